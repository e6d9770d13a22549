"""An image's layer tars read from a local engine's overlay2 store: the bytes `docker save` would send.

`docker save` writes the whole archive to a temporary folder before it sends the first byte,
most of its time on a large image (measured and dated in docs/benchmarks.md). Beside the
engine, with read access to its data root (root, on Linux) and the overlay2 storage driver,
each layer tar is put together the way the engine itself does it: the layer's tar-split
record (its original tar headers and padding, kept when the layer was registered) around the
file contents in the layer's ``diff`` folder. The bytes are the same (their sha256 is the
layer's diff ID, checked by a test), so every figure is the one the save stream gives;
anything missing or unreadable falls back to `docker save`.
"""

from __future__ import annotations

import base64
import bisect
import gzip
import hashlib
import io
import itertools
import json
import os
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import docker

from .gzipsize import GzipCounter, GzipSizer
from .layercache import LayerCache, layer_key
from .layertar import LayerScan, SavedImage, contents_read, read_entries

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

SOURCE = "overlay2 layer store"
TAR_SPLIT = "tar-split.json.gz"
#: layers read side by side (each with a second thread passing its bytes to the gzip counter)
LAYER_READERS = max(1, min(4, os.cpu_count() or 1))
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


def layer_stamp(store: LayerStore, chain_id: str) -> str:
    """What the layer's cache key holds besides its chain ID: size, modification time and inode of its
    tar-split record (a layer registered again, or a record rewritten, is read again); "" when missing."""
    try:
        record = (store.layer_folder(chain_id) / TAR_SPLIT).stat()
    except OSError:
        return ""
    return f"{record.st_size}-{record.st_mtime_ns}-{record.st_ino}"


class Folders:
    """Whether folders of one diff folder resolve inside it: one lstat per folder, each answer kept."""

    def __init__(self, diff: str) -> None:
        self._diff = diff
        self._real: dict[str, str] = {diff: diff}
        """folder -> where it resolves"""

    def inside(self, folder: str) -> bool:
        return self._resolved(folder).startswith(self._diff + os.sep) or self._resolved(folder) == self._diff

    def _resolved(self, folder: str) -> str:
        known = self._real.get(folder)
        if known is None:
            parent, name = os.path.split(folder)
            if not folder.startswith(self._diff + os.sep) or name in ("", ".", ".."):
                known = os.path.realpath(folder)
            else:
                below = os.path.join(self._resolved(parent), name)
                known = os.path.realpath(below) if os.path.islink(below) else below
            self._real[folder] = known
        return known


def layer_pieces(store: LayerStore, chain_id: str) -> list[Piece] | None:
    """The layer tar as tar-split records it, or None when the store lacks it or it names a path outside it.

    A file's folder must resolve inside the diff folder (a symlinked folder would lead
    out of it, to the host's files), and the file itself is opened without following a
    symlink (``PieceFile``, ``feed_pieces``).
    """
    folder = store.layer_folder(chain_id)
    try:
        diff = store.diff_folder(chain_id)
        if not os.path.isdir(diff):
            return None
        folders = Folders(diff)
        pieces: list[Piece] = []
        with gzip.open(folder / TAR_SPLIT, "rt") as records:
            for line in records:
                entry = json.loads(line)
                if entry["type"] == _SEGMENT:
                    pieces.append(base64.b64decode(entry["payload"]))
                elif entry["type"] == _FILE and entry.get("size"):
                    name = entry["name"] if "name" in entry else os.fsdecode(base64.b64decode(entry["name_raw"]))
                    path = os.path.normpath(os.path.join(diff, name.lstrip("/")))
                    if not folders.inside(os.path.dirname(path)):
                        return None
                    pieces.append((path, entry["size"]))
    except (OSError, EOFError, zlib.error, ValueError, KeyError, TypeError):  # missing, truncated or malformed
        return None
    return pieces


def tar_bytes(pieces: list[Piece]) -> int:
    return sum(len(piece) if isinstance(piece, bytes) else piece[1] for piece in pieces)


def _open_content(path: str) -> int:
    """A file of a diff folder, opened for reading without following a symlink."""
    return os.open(path, os.O_RDONLY | os.O_NOFOLLOW)


def _short(path: str, size: int) -> ValueError:
    return ValueError(f"{path} in the engine's layer store is shorter than its layer's tar says ({size} bytes)")


class Stopped(Exception):
    """Raised in a reader thread once the read it serves has been given up (an error or Ctrl-C elsewhere)."""


class PieceFile(io.RawIOBase):
    """The layer tar the pieces describe as a read-only file that seeks anywhere at no cost.

    A file's contents are read from the diff folder only when a read reaches them, so a tar
    reader that seeks over contents (libarchive) reads little more than the headers; and
    read as zeros where ``unread(path)`` is true: contents the reader passes over unlooked
    at (libarchive reads ahead in blocks, small files' contents too).
    """

    def __init__(
        self, pieces: list[Piece], stop: threading.Event | None = None, unread: Callable[[str], bool] | None = None
    ) -> None:
        self._pieces = pieces
        self._unread = unread
        self._starts = list(itertools.accumulate((_length(piece) for piece in pieces), initial=0))
        self._position = 0
        self._open: tuple[int, int] | None = None
        """(piece index, descriptor) of the file last read"""
        self._stop = stop or threading.Event()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._starts[-1]}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: WriteableBuffer) -> int:
        target = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(target) and self._position < self._starts[-1]:
            if self._stop.is_set():
                raise Stopped
            index = bisect.bisect_right(self._starts, self._position) - 1
            piece, within = self._pieces[index], self._position - self._starts[index]
            take = min(len(target) - filled, _length(piece) - within)
            if isinstance(piece, bytes):
                target[filled : filled + take] = piece[within : within + take]
            elif self._unread is not None and self._unread(piece[0]):
                target[filled : filled + take] = bytes(take)
            elif os.preadv(self._descriptor(index), [target[filled : filled + take]], within) != take:
                raise _short(*piece)
            filled += take
            self._position += take
        return filled

    def _descriptor(self, index: int) -> int:
        if self._open is None or self._open[0] != index:
            self._close_content()
            piece = self._pieces[index]
            assert not isinstance(piece, bytes), "only a file's piece is opened"
            self._open = (index, _open_content(piece[0]))
        return self._open[1]

    def _close_content(self) -> None:
        if self._open is not None:
            os.close(self._open[1])
            self._open = None

    def close(self) -> None:
        self._close_content()
        super().close()


def _length(piece: Piece) -> int:
    return len(piece) if isinstance(piece, bytes) else piece[1]


def feed_pieces(pieces: list[Piece], counter: GzipCounter, stop: threading.Event | None = None) -> None:
    """Pass the layer tar's bytes to the gzip counter in order, each file read straight into its blocks."""
    for piece in pieces:
        if stop is not None and stop.is_set():
            raise Stopped
        if isinstance(piece, bytes):
            counter.feed(piece)
            continue
        path, size = piece
        descriptor = _open_content(path)
        try:
            left = size
            while left:
                read = os.readv(descriptor, [counter.free_space()[:left]])
                if not read:
                    raise _short(path, size)
                counter.commit(read)
                left -= read
        finally:
            os.close(descriptor)


def scan_pieces(
    name: str, diff: str, pieces: list[Piece], sizer: GzipSizer, feeder: Executor, stop: threading.Event
) -> LayerScan:
    """The layer's scan: its entries read from the headers here while ``feeder`` passes every byte to the gzip
    counter, at once (both wait mostly in C: libarchive, file reads, the compressor threads).

    The header reader reads from ``diff`` (the layer's folder) only the contents the scan keeps.
    """
    size = tar_bytes(pieces)
    scan = LayerScan(member=name, tar_bytes=size, blob_bytes=size)
    counter = sizer.stream(size)
    fed = feeder.submit(feed_pieces, pieces, counter, stop)
    try:
        if size:
            with PieceFile(pieces, stop, unread=lambda path: not contents_read(path[len(diff) + 1 :])) as tar:
                read_entries(name, tar, scan)
        fed.result()
    finally:
        if not fed.done():  # the headers failed: stop the feed before the counter goes
            stop.set()
            wait([fed])
    scan.compressed_bytes = counter.total()
    return scan


def cache_key(store: LayerStore, chain_id: str) -> str:
    """The layer's key in the layer cache."""
    return layer_key(f"chain-{chain_id}", layer_stamp(store, chain_id))


def _stored_layer(
    store: LayerStore,
    chain: str,
    cache: LayerCache | None,
    readers: tuple[GzipSizer, Executor],
    stop: threading.Event,
) -> LayerScan | None:
    """One layer's scan from the cache, else read from the store (None when the store cannot give it)."""
    name, key = f"chain-{chain}", cache_key(store, chain)
    scan = cache.get(key, name) if cache else None
    if scan is not None:
        return scan
    pieces = layer_pieces(store, chain)
    try:
        if pieces is None:
            raise Stopped
        scan = scan_pieces(name, store.diff_folder(chain), pieces, *readers, stop)
    except (OSError, ValueError, Stopped):  # a file this process may not read (rootless engines): save has it
        stop.set()  # the image is read from `docker save` then: the other layers need not be finished
        return None
    if cache:
        cache.put(key, scan)
    return scan


def read_stored(store: LayerStore, image_id: str, cache: LayerCache | None = None) -> SavedImage | None:
    """Describe each layer of the image from the store, as `read_saved` does from the save stream.

    None when the store lacks the image's config or any of its layers, or a file in them
    cannot be read. A layer in ``cache`` is not read at all (its tar-split record neither);
    the others are read side by side, ``LAYER_READERS`` at a time (one tar-split record
    each in memory).
    """
    try:
        config = json.loads(store.config_path(image_id).read_bytes())
    except (OSError, ValueError):
        return None
    chains = chain_ids(config.get("rootfs", {}).get("diff_ids", []))
    if not all((store.layer_folder(chain) / TAR_SPLIT).is_file() for chain in chains):
        return None
    stop = threading.Event()
    with (
        GzipSizer() as sizer,
        ThreadPoolExecutor(LAYER_READERS, thread_name_prefix="imgexp-layer") as layers,
        ThreadPoolExecutor(LAYER_READERS, thread_name_prefix="imgexp-feed") as feeder,
    ):
        jobs = [layers.submit(_stored_layer, store, chain, cache, (sizer, feeder), stop) for chain in chains]
        try:
            scans = [job.result() for job in jobs]
        except BaseException:
            stop.set()
            raise
    if any(scan is None for scan in scans):
        return None
    return SavedImage(layers=[scan for scan in scans if scan is not None], config=config)
