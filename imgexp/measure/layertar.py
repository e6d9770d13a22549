"""Reading one layer tar as a stream: its entries, its dist-info RECORDs, its package database and its pull size.

A layer (tens of thousands of members) is read with libarchive, whose C reader parses
headers much faster than :mod:`tarfile` (docs/dependencies.md says by how much). It reads the headers (and the text of
each dist-info RECORD and of the system's package database) and seeks over file contents,
which go to the gzip counter as views into the stream's chunks (copied once, into the
counter's blocks).

A layer that is already compressed (an OCI blob: gzip or zstd, as the containerd image
store keeps them) counts its blob size, exactly, and its tar's size is what it
decompresses to; an uncompressed one is gzip-counted at the registry's default level, an
estimate.
"""

from __future__ import annotations

import contextlib
import io
import posixpath
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

try:
    import libarchive
except (OSError, AttributeError) as error:  # libarchive-c loads the C library when imported
    raise ImportError(
        f"imgexp reads layers with libarchive, and the C library could not be loaded ({error}): install it "
        "(Debian/Ubuntu: apt-get install libarchive13; macOS: brew install libarchive; conda: conda install "
        "libarchive) or set LIBARCHIVE to the path of libarchive.so"
    ) from error

from isal import isal_zlib

from .gzipsize import GzipSizer

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

#: libarchive's read buffer: headers and small files are copied into it, large contents are sought over
LAYER_BUFFER_BYTES = 64 << 10
#: files whose contents are read from the layers: a distribution's list of files
RECORD_SUFFIX = ".dist-info/RECORD"
#: files whose header lines are kept: a distribution's metadata (its name, version, extras and requirements)
METADATA_SUFFIX = ".dist-info/METADATA"
METADATA_FIELDS = ("Name:", "Version:", "Requires-Dist:", "Provides-Extra:")
#: files whose contents are read from the layers: the system's package database (dpkg: each package's
#: list of files, and apt's record of what it installed only as a dependency; apk: one file that lists them all)
PACKAGE_DB = re.compile(
    r"^(?:var/lib/dpkg/status|var/lib/dpkg/info/[^/]+\.list|var/lib/apt/extended_states|lib/apk/db/installed)$"
)
#: the first bytes of a gzip and of a zstd blob
GZIP_MAGIC = b"\x1f\x8b"
COMPRESSED_MAGIC = (GZIP_MAGIC, b"\x28\xb5\x2f\xfd")
#: zlib's window bits for a gzip member (header and trailer checked)
GZIP_WBITS = 16 + 15
#: how much of a gzip blob is inflated at a time, and the most it may inflate to in one call
INFLATE_IN_BYTES, INFLATE_OUT_BYTES = 256 << 10, 4 << 20

#: kinds of layer entries
FILE, DIR, LINK, WHITEOUT, OPAQUE = "file", "dir", "link", "whiteout", "opaque"
WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"


@dataclass
class LayerScan:
    """One layer as read from the save stream or the layer store."""

    member: str
    tar_bytes: int = 0
    """the uncompressed layer tar's bytes"""
    blob_bytes: int = 0
    """the bytes read: the layer tar, or its compressed blob"""
    compressed_bytes: int = 0
    compressed_exact: bool = False
    entries: list[tuple[str, str, int]] = field(default_factory=list)
    """(path, kind, bytes) in tar order; for a whiteout the path is what it deletes; a symlink's bytes are
    its target's length, as a graph driver counts a layer's size (a hard link's are 0)"""
    records: dict[str, str] = field(default_factory=dict)
    """path of each ``*.dist-info/RECORD`` in the layer -> its text"""
    package_db: dict[str, str] = field(default_factory=dict)
    """path of each file of the package database in the layer (see PACKAGE_DB) -> its text"""
    metadata: dict[str, str] = field(default_factory=dict)
    """path of each ``*.dist-info/METADATA`` in the layer -> its METADATA_FIELDS lines"""


@dataclass(frozen=True)
class SavedImage:
    """An image's layers in order (bottom first) and its config."""

    layers: list[LayerScan]
    config: dict[str, Any]


class ChunkCursor:
    """Forward-only reading over an iterator of byte chunks, copying only what is asked for."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._view = memoryview(b"")
        self._position = 0
        self.offset = 0
        """bytes consumed so far"""

    def _available(self) -> bool:
        while self._position >= len(self._view):
            try:
                self._view, self._position = memoryview(next(self._chunks)), 0
            except StopIteration:
                return False
        return True

    def pieces(self, size: int) -> Iterator[memoryview]:
        """Consume up to ``size`` bytes, yielded as views into the chunks (valid until the next call)."""
        while size > 0 and self._available():
            piece = self._view[self._position : self._position + size]
            self._position += len(piece)
            self.offset += len(piece)
            size -= len(piece)
            yield piece

    def peek(self, size: int) -> bytes:
        """The next ``size`` bytes (fewer at the end of the stream), not consumed."""
        while self._available() and len(self._view) - self._position < size:
            try:
                following = next(self._chunks)
            except StopIteration:
                break
            self._view, self._position = memoryview(bytes(self._view[self._position :]) + following), 0
        return bytes(self._view[self._position : self._position + size]) if self._available() else b""


class StreamFile(io.RawIOBase):
    """A file over the next ``length`` bytes of a cursor (or all of them) that seeks forward only.

    Enough for :mod:`tarfile`'s random-access mode (``r:``) and libarchive's stream reader,
    which seek over the members' contents instead of reading them into Python: every byte
    passed over, read or skipped, is handed to ``sink`` as well.
    """

    def __init__(
        self, cursor: ChunkCursor, length: int | None = None, sink: Callable[[memoryview], None] | None = None
    ) -> None:
        self._cursor = cursor
        self._start = cursor.offset
        self._length = length
        self._sink = sink

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._cursor.offset - self._start

    def _bounded(self, size: int) -> int:
        return size if self._length is None else max(0, min(size, self._length - self.tell()))

    def _pieces(self, size: int) -> Iterator[memoryview]:
        """Consume up to ``size`` bytes of the window, each piece handed to the sink too."""
        for piece in self._cursor.pieces(self._bounded(size)):
            if self._sink is not None:
                self._sink(piece)
            yield piece

    def _consume(self, size: int, keep: bool) -> bytes:
        return b"".join(bytes(piece) for piece in self._pieces(size) if keep)

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = sys.maxsize if self._length is None else self._length - self.tell()
        return self._consume(size, keep=True)

    def readinto(self, buffer: WriteableBuffer) -> int:
        target = memoryview(buffer).cast("B")
        filled = 0
        for piece in self._pieces(len(target)):
            target[filled : filled + len(piece)] = piece
            filled += len(piece)
        return filled

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = offset + (self.tell() if whence == io.SEEK_CUR else 0)
        if whence == io.SEEK_END or target < self.tell():
            raise io.UnsupportedOperation(f"a stream seeks forward only (asked for {offset}, whence {whence})")
        self._consume(target - self.tell(), keep=False)
        return self.tell()

    def drain(self) -> None:
        """Pass over whatever is left (a layer's end-of-archive padding), so the sink sees it too."""
        self._consume(sys.maxsize if self._length is None else self._length - self.tell(), keep=False)


class _CalledFromC:
    """A StreamFile as libarchive calls it, from C, where an exception would be printed and lost.

    The first exception (KeyboardInterrupt included) is kept in ``failure`` and every call
    after it does nothing, so libarchive ends early; the caller raises it once libarchive
    returns, whether libarchive saw an error or took the early end for the archive's end.
    """

    def __init__(self, file: io.RawIOBase) -> None:
        self._file = file
        self.failure: BaseException | None = None

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._file.tell()

    def readinto(self, buffer: WriteableBuffer) -> int:
        if self.failure is None:
            try:
                return self._file.readinto(buffer)
            except BaseException as error:  # noqa: BLE001 -- raised by the caller (see the class docstring)
                self.failure = error
        return 0

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if self.failure is None:
            try:
                return self._file.seek(offset, whence)
            except BaseException as error:  # noqa: BLE001 -- raised by the caller (see the class docstring)
                self.failure = error
        return self._file.tell()


def scan_layer(name: str, size: int, cursor: ChunkCursor, sizer: GzipSizer) -> LayerScan:
    """List the entries of the layer at the cursor; gzip-count it unless it is a compressed blob already.

    A compressed blob is decompressed (gzip by ISA-L, zstd by a libarchive reader of its own)
    into the tar reader, so the tar's bytes are counted to the last byte of padding after the
    end-of-archive marker (the tar reader stops at the marker).
    """
    scan = LayerScan(member=name, tar_bytes=size, blob_bytes=size)
    magic = cursor.peek(4)
    compressed = magic.startswith(COMPRESSED_MAGIC)
    counter = None if compressed else sizer.stream(size)
    contents = StreamFile(cursor, size, sink=None if counter is None else counter.feed)
    if size:
        inflated = _gunzipped(name, contents) if magic.startswith(GZIP_MAGIC) else _decompressed(name, contents)
        tar = StreamFile(ChunkCursor(inflated)) if compressed else contents
        read_entries(name, tar, scan)
        if compressed:
            tar.drain()
            scan.tar_bytes = tar.tell()
    contents.drain()
    if contents.tell() != size:
        raise ValueError(f"layer {name} ended after {contents.tell()} of its {size} bytes")
    if counter is None:
        scan.compressed_bytes, scan.compressed_exact = size, True
    else:
        scan.compressed_bytes = counter.total()
    return scan


def read_entries(name: str, tar: io.RawIOBase, scan: LayerScan) -> None:
    """Record each entry of the (uncompressed) layer tar ``tar`` in ``scan``."""
    with _libarchive(name, tar, "tar", "none") as layer:
        for entry in layer:
            _record_entry(entry, scan)


def _gunzipped(name: str, blob: StreamFile) -> Iterator[bytes]:
    """The bytes of a gzip blob, member after member, inflated by ISA-L (twice as fast as zlib)."""
    inflater, open_member = isal_zlib.decompressobj(GZIP_WBITS), False
    while data := blob.read(INFLATE_IN_BYTES):
        while data:
            try:
                yield inflater.decompress(data, INFLATE_OUT_BYTES)
            except isal_zlib.error as error:  # type: ignore[misc]  # its stub types the class as an instance
                raise ValueError(f"layer {name}: not a sound gzip stream ({error})") from error
            data, open_member = inflater.unconsumed_tail, not inflater.eof
            if inflater.eof:
                data, inflater = inflater.unused_data, isal_zlib.decompressobj(GZIP_WBITS)
                if data and not data.startswith(GZIP_MAGIC):
                    return  # padding after the last member: left for the caller to drain
    if open_member:
        raise ValueError(f"layer {name}: its gzip stream ends inside a member")


def _decompressed(name: str, blob: StreamFile) -> Iterator[bytes]:
    """The bytes of a compressed blob (zstd, or any other libarchive reads), decompressed block by block."""
    with _libarchive(name, blob, "raw", "all") as raw:
        for entry in raw:
            yield from entry.get_blocks()


@contextlib.contextmanager
def _libarchive(name: str, stream: io.RawIOBase, format_name: str, filter_name: str) -> Iterator[Any]:
    """libarchive reading ``stream``; its failure, or the stream's (raised inside the C reader), as one
    error naming the layer."""
    source = _CalledFromC(stream)
    try:
        with libarchive.stream_reader(
            source, format_name=format_name, filter_name=filter_name, block_size=LAYER_BUFFER_BYTES
        ) as reader:
            yield reader
    except libarchive.ArchiveError as error:
        raise source.failure or ValueError(f"layer {name}: {error}") from error
    if source.failure is not None:
        raise source.failure


def _in_site(path: str) -> bool:
    return "site-packages/" in path or "dist-packages/" in path


def is_record(path: str) -> bool:
    """True for a distribution's list of files in a site directory (RECORD_SUFFIX)."""
    return path.endswith(RECORD_SUFFIX) and _in_site(path)


def is_metadata(path: str) -> bool:
    """True for a distribution's METADATA in a site directory (METADATA_SUFFIX)."""
    return path.endswith(METADATA_SUFFIX) and _in_site(path)


def contents_read(path: str) -> bool:
    """True for a regular file whose contents a layer's scan keeps: a RECORD, a METADATA or a package database file."""
    return is_record(path) or is_metadata(path) or PACKAGE_DB.match(path) is not None


def _record_entry(entry: libarchive.ArchiveEntry, scan: LayerScan) -> None:
    name = entry.pathname
    if isinstance(name, bytes):  # not valid in the locale's encoding: kept byte for byte, as tarfile does
        name = name.decode("utf-8", "surrogateescape")
    path = posixpath.normpath(name.lstrip("/")).removeprefix("./")
    directory, base = posixpath.split(path)
    filetype = stat.S_IFMT(entry.filetype)  # read once: each of libarchive-c's is* asks the C library again
    if base == OPAQUE_MARKER:
        scan.entries.append((directory, OPAQUE, 0))
    elif base.startswith(WHITEOUT_PREFIX):
        scan.entries.append((posixpath.join(directory, base[len(WHITEOUT_PREFIX) :]), WHITEOUT, 0))
    elif filetype == stat.S_IFDIR:
        scan.entries.append((path, DIR, 0))
    elif filetype == stat.S_IFREG and not entry.islnk:
        scan.entries.append((path, FILE, entry.size or 0))
        if is_record(path):
            scan.records[path] = b"".join(entry.get_blocks()).decode(errors="replace")
        elif is_metadata(path):
            text = b"".join(entry.get_blocks()).decode(errors="replace")
            scan.metadata[path] = "\n".join(line for line in text.splitlines() if line.startswith(METADATA_FIELDS))
        elif PACKAGE_DB.match(path):
            scan.package_db[path] = b"".join(entry.get_blocks()).decode(errors="replace")
    elif filetype == stat.S_IFLNK:
        target = entry.linkpath
        scan.entries.append((path, LINK, len(target.encode("utf-8", "surrogateescape") if target else b"")))
    else:
        scan.entries.append((path, LINK, 0))
