"""Reading `docker save` once, as a stream, for every per-layer figure.

The archive is never held in memory or written to disk: the outer archive (a few
members) is read with :mod:`tarfile`, and each layer's tar streams through
:mod:`imgexp.measure.layertar` (its file list and its pull size) at once. Legacy
(``layer.tar``, which API 1.41 gives) and OCI layouts are both read.
"""

from __future__ import annotations

import json
import posixpath
import tarfile
from collections.abc import Iterable, Iterator

import docker

from .gzipsize import GzipSizer
from .layercache import LayerCache, cached_scan
from .layertar import ChunkCursor, LayerScan, SavedImage, StreamFile

STREAM_CHUNK_BYTES = 1 << 20
#: small metadata members kept in memory (manifest.json, the image config)
METADATA_MAX_BYTES = 16 << 20


def save_chunks(client: docker.DockerClient, image_id: str) -> Iterator[bytes]:
    """The `docker save` archive of one image, chunk by chunk."""
    return client.api.get_image(image_id, chunk_size=STREAM_CHUNK_BYTES)


def open_stream(chunks: Iterable[bytes]) -> StreamFile:
    """A forward-only file over a stream of chunks, for ``tarfile.open(fileobj=..., mode="r|")`` or ``"r:"``."""
    return StreamFile(ChunkCursor(chunks))


def read_saved(chunks: Iterable[bytes], cache: LayerCache | None = None) -> SavedImage:
    """Walk a `docker save` archive (legacy or OCI layout) once and describe each layer.

    A layer found in ``cache`` is passed over unread; each layer scanned is stored there.
    """
    cursor = ChunkCursor(chunks)
    scans: dict[str, LayerScan] = {}
    aliases: dict[str, str] = {}
    metadata: dict[str, bytes] = {}
    with GzipSizer() as sizer, tarfile.open(fileobj=StreamFile(cursor), mode="r:") as archive:
        for member in archive:
            if member.issym() or member.islnk():
                aliases[member.name] = posixpath.normpath(
                    posixpath.join(posixpath.dirname(member.name), member.linkname)
                )
                continue
            if not member.isfile():
                continue
            layer = _is_layer(member.name) and cursor.peek(1) not in (b"{", b"")
            if layer:
                scans[member.name] = cached_scan(member.name, member.size, cursor, sizer, cache)
            elif member.size <= METADATA_MAX_BYTES:
                metadata[member.name] = StreamFile(cursor, member.size).read()
    return _assemble(scans, aliases, metadata)


def _is_layer(name: str) -> bool:
    return name.endswith("/layer.tar") or name.startswith("blobs/")


def _assemble(scans: dict[str, LayerScan], aliases: dict[str, str], metadata: dict[str, bytes]) -> SavedImage:
    if "manifest.json" not in metadata:
        raise ValueError("the `docker save` stream held no manifest.json: is it an image archive?")
    manifest = json.loads(metadata["manifest.json"])[0]
    config = json.loads(metadata[manifest["Config"]]) if manifest["Config"] in metadata else {}
    ordered: list[LayerScan] = []
    for name in manifest["Layers"]:
        seen: set[str] = set()
        while name in aliases and name not in seen:
            seen.add(name)
            name = aliases[name]
        if name not in scans:
            raise ValueError(f"the `docker save` stream lists layer {name} in manifest.json but holds no such member")
        ordered.append(scans[name])
    return SavedImage(layers=ordered, config=config)
