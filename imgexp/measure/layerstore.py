"""An image's layer tars read from a local engine's overlay2 store: the bytes `docker save` would send.

Docker Engine 20.10's `docker save` writes the whole archive to a temporary folder before
it sends the first byte: 7 of the 9 s it takes for the 1.3 GB baseline here, one core busy
and the other idle. Beside the engine, with read access to its data root (root, on Linux)
and the overlay2 storage driver, each layer tar is put together the way the engine itself
does it: the layer's tar-split record (its original tar headers and padding, kept when the
layer was registered) around the file contents in the layer's ``diff`` folder. The bytes
are the same (their sha256 is the layer's diff ID, checked by a test), so every figure is
the one the save stream gives; anything missing or unreadable falls back to `docker save`.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import posixpath
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker

from .gzipsize import GzipSizer
from .layercache import LayerCache, cached_scan
from .layertar import ChunkCursor, SavedImage

SOURCE = "overlay2 layer store"
READ_BYTES = 1 << 20
#: tar-split's entry types: a file's contents (read from the diff folder), raw tar bytes
_FILE, _SEGMENT = 1, 2

Piece = bytes | tuple[str, int]
"""raw tar bytes, or (path in the diff folder, bytes to read from it)"""


@dataclass(frozen=True)
class LayerStore:
    """The data root of an engine whose overlay2 store this process can read."""

    root: Path

    @property
    def layerdb(self) -> Path:
        return self.root / "image" / "overlay2" / "layerdb" / "sha256"

    def layer_folder(self, chain_id: str) -> Path:
        return self.layerdb / chain_id.removeprefix("sha256:")

    def diff_folder(self, chain_id: str) -> str:
        """The layer's files: its overlay2 ``diff`` folder, symlinks resolved (OSError when the store lacks it)."""
        cache_id = (self.layer_folder(chain_id) / "cache-id").read_text().strip()
        return os.path.realpath(self.root / "overlay2" / cache_id / "diff")

    def config_path(self, image_id: str) -> Path:
        return self.root / "image" / "overlay2" / "imagedb" / "content" / "sha256" / image_id.removeprefix("sha256:")


def open_store(client: docker.DockerClient) -> LayerStore | None:
    """The engine's layer store when it uses overlay2 and its data root is readable here, else None."""
    info = client.info()
    if info.get("Driver") != "overlay2" or not info.get("DockerRootDir"):
        return None
    store = LayerStore(Path(info["DockerRootDir"]))
    readable = all(os.access(folder, os.R_OK | os.X_OK) for folder in (store.layerdb, store.root / "overlay2"))
    return store if readable else None


def chain_ids(diff_ids: list[str]) -> list[str]:
    """Each layer's chain ID: the digest of the layer's diff ID and the chain ID under it."""
    chain: list[str] = []
    for diff_id in diff_ids:
        chain.append(
            diff_id if not chain else "sha256:" + hashlib.sha256(f"{chain[-1]} {diff_id}".encode()).hexdigest()
        )
    return chain


def layer_pieces(store: LayerStore, chain_id: str) -> list[Piece] | None:
    """The layer tar as tar-split records it, or None when the store lacks it or it names a path outside it.

    A file's folder must resolve inside the diff folder (a symlinked folder would lead
    out of it, to the host's files), and the file itself is opened without following a
    symlink (``layer_chunks``).
    """
    folder = store.layer_folder(chain_id)
    try:
        diff = store.diff_folder(chain_id)
        if not os.path.isdir(diff):
            return None
        inside: dict[str, bool] = {}
        pieces: list[Piece] = []
        with gzip.open(folder / "tar-split.json.gz", "rt") as records:
            for line in records:
                entry = json.loads(line)
                if entry["type"] == _SEGMENT:
                    pieces.append(base64.b64decode(entry["payload"]))
                elif entry["type"] == _FILE and entry.get("size"):
                    name = entry["name"] if "name" in entry else os.fsdecode(base64.b64decode(entry["name_raw"]))
                    path = os.path.join(diff, posixpath.normpath(name.lstrip("/")))
                    parent = os.path.dirname(path)
                    if parent not in inside:
                        inside[parent] = os.path.realpath(parent).startswith(diff + os.sep) or parent == diff
                    if not inside[parent]:
                        return None
                    pieces.append((path, entry["size"]))
    except (OSError, EOFError, zlib.error, ValueError, KeyError, TypeError):  # missing, truncated or malformed
        return None
    return pieces


def tar_bytes(pieces: list[Piece]) -> int:
    return sum(len(piece) if isinstance(piece, bytes) else piece[1] for piece in pieces)


def layer_chunks(pieces: list[Piece]) -> Iterator[bytes]:
    """The layer tar's bytes: segments as recorded, each file's contents read from the diff folder."""
    for piece in pieces:
        if isinstance(piece, bytes):
            yield piece
            continue
        path, size = piece
        with open(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb") as contents:
            left = size
            while left:
                chunk = contents.read(min(left, READ_BYTES))
                if not chunk:
                    raise ValueError(
                        f"{path} in the engine's layer store is shorter than its layer's tar says ({size} bytes)"
                    )
                left -= len(chunk)
                yield chunk


def read_stored(store: LayerStore, image_id: str, cache: LayerCache | None = None) -> SavedImage | None:
    """Describe each layer of the image from the store, as `read_saved` does from the save stream.

    None when the store lacks the image's config or any of its layers, or a file in them
    cannot be read (each layer's tar-split record is read only when its turn comes, so one
    layer's is in memory at a time).
    """
    try:
        config = json.loads(store.config_path(image_id).read_bytes())
    except (OSError, ValueError):
        return None
    chains = chain_ids(config.get("rootfs", {}).get("diff_ids", []))
    if not all((store.layer_folder(chain) / "tar-split.json.gz").is_file() for chain in chains):
        return None
    scans = []
    with GzipSizer() as sizer:
        for chain in chains:
            pieces = layer_pieces(store, chain)
            if pieces is None:
                return None
            try:
                scans.append(
                    cached_scan(f"chain-{chain}", tar_bytes(pieces), ChunkCursor(layer_chunks(pieces)), sizer, cache)
                )
            except (OSError, ValueError):  # a file this process may not read (rootless engines): save has it
                return None
    return SavedImage(layers=scans, config=config)
