"""Reading `docker save` once, as a stream, for every per-layer figure.

The archive is never held in memory or written to disk: each layer's tar streams
through a gzip counter (its pull size) and a tar reader (its file list) at once.
A layer that is already gzip (an OCI blob) counts its blob size, exactly; an
uncompressed one (``layer.tar`` of the legacy format, which API 1.41 gives) is
gzip-counted at the registry's default level, an estimate.
"""

from __future__ import annotations

import io
import json
import posixpath
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import docker

from .gzipsize import GzipCounter, GzipSizer

if TYPE_CHECKING:
    from .layercache import LayerCache

STREAM_CHUNK_BYTES = 1 << 20
TAR_BUFFER_BYTES = 64 << 10
#: small metadata members kept in memory (manifest.json, the image config)
METADATA_MAX_BYTES = 16 << 20
#: files whose contents are read from the layers: a distribution's list of files
RECORD_SUFFIX = ".dist-info/RECORD"
GZIP_MAGIC = b"\x1f\x8b"

#: kinds of layer entries
FILE, DIR, LINK, WHITEOUT, OPAQUE = "file", "dir", "link", "whiteout", "opaque"
WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"


@dataclass
class LayerScan:
    """One layer as it came out of the save stream."""

    member: str
    tar_bytes: int = 0
    compressed_bytes: int = 0
    compressed_exact: bool = False
    entries: list[tuple[str, str, int]] = field(default_factory=list)
    """(path, kind, bytes) in tar order; for a whiteout the path is what it deletes"""
    records: dict[str, str] = field(default_factory=dict)
    """path of each ``*.dist-info/RECORD`` in the layer -> its text"""


@dataclass(frozen=True)
class SavedImage:
    """An image's layers in order (bottom first) and its config."""

    layers: list[LayerScan]
    config: dict


class ChunkReader(io.RawIOBase):
    """A file object over an iterator of byte chunks."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


class _Tee(io.RawIOBase):
    """Reads a layer member, handing every byte to a gzip counter on the way."""

    def __init__(self, source: io.RawIOBase, counter: GzipCounter | None) -> None:
        self._source = source
        self._counter = counter

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        size = self._source.readinto(buffer)
        if self._counter is not None and size:
            self._counter.feed(bytes(buffer[:size]))
        return size

    def drain(self) -> None:
        """Read what the tar reader left (end-of-archive padding), so it is counted too."""
        while self.read(TAR_BUFFER_BYTES):
            pass


def save_chunks(client: docker.DockerClient, image_id: str) -> Iterator[bytes]:
    """The `docker save` archive of one image, chunk by chunk."""
    return client.api.get_image(image_id, chunk_size=STREAM_CHUNK_BYTES)


def read_saved(chunks: Iterable[bytes], cache: LayerCache | None = None) -> SavedImage:
    """Walk a `docker save` archive (legacy or OCI layout) once and describe each layer.

    A layer found in ``cache`` is skipped over unread; each layer scanned is stored there.
    """
    sizer = GzipSizer()
    scans: dict[str, LayerScan] = {}
    aliases: dict[str, str] = {}
    metadata: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BufferedReader(ChunkReader(chunks), TAR_BUFFER_BYTES), mode="r|",
                          bufsize=TAR_BUFFER_BYTES) as archive:
            for member in archive:
                if member.issym() or member.islnk():
                    aliases[member.name] = posixpath.normpath(posixpath.join(posixpath.dirname(member.name),
                                                                             member.linkname))
                    continue
                if not member.isfile():
                    continue
                cached = cache.get(member.name, member.size) if cache and _is_layer(member.name) else None
                if cached is not None:
                    scans[member.name] = cached
                    continue
                source = archive.extractfile(member)
                assert source is not None
                head = source.read(len(GZIP_MAGIC))
                if _is_layer(member.name) and head[:1] != b"{":
                    scans[member.name] = _scan_layer(member.name, member.size, head, source, sizer)
                    if cache:
                        cache.put(scans[member.name])
                elif member.size <= METADATA_MAX_BYTES:
                    metadata[member.name] = head + source.read()
    finally:
        sizer.close()
    return _assemble(scans, aliases, metadata)


def _is_layer(name: str) -> bool:
    return name.endswith("/layer.tar") or name.startswith("blobs/")


def _scan_layer(name: str, size: int, head: bytes, source: io.BufferedIOBase, sizer: GzipSizer) -> LayerScan:
    """List a layer's entries; gzip-count it unless it is a gzip blob already."""
    scan = LayerScan(member=name, tar_bytes=size)
    counter = None if head == GZIP_MAGIC else sizer.stream()
    tee = _Tee(_Rewound(head, source), counter)
    with tarfile.open(fileobj=tee, mode="r|gz" if counter is None else "r|", bufsize=TAR_BUFFER_BYTES) as layer:
        for entry in layer:
            _record_entry(layer, entry, scan)
    tee.drain()
    if counter is None:
        scan.compressed_bytes, scan.compressed_exact = size, True
    else:
        scan.compressed_bytes = counter.total()
    return scan


class _Rewound(io.RawIOBase):
    """``source`` with bytes already read from it put back in front."""

    def __init__(self, head: bytes, source: io.BufferedIOBase) -> None:
        self._head, self._source = head, source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            data, self._head = self._head[: len(buffer)], self._head[len(buffer):]
        else:
            data = self._source.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _record_entry(layer: tarfile.TarFile, entry: tarfile.TarInfo, scan: LayerScan) -> None:
    path = posixpath.normpath(entry.name.lstrip("/")).removeprefix("./")
    directory, base = posixpath.split(path)
    if base == OPAQUE_MARKER:
        scan.entries.append((directory, OPAQUE, 0))
    elif base.startswith(WHITEOUT_PREFIX):
        scan.entries.append((posixpath.join(directory, base[len(WHITEOUT_PREFIX):]), WHITEOUT, 0))
    elif entry.isdir():
        scan.entries.append((path, DIR, 0))
    elif entry.isfile():
        scan.entries.append((path, FILE, entry.size))
        if path.endswith(RECORD_SUFFIX) and ("site-packages/" in path or "dist-packages/" in path):
            handle = layer.extractfile(entry)
            assert handle is not None
            scan.records[path] = handle.read().decode(errors="replace")
    else:
        scan.entries.append((path, LINK, 0))


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
