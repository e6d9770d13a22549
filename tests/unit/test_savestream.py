"""The save-stream reader and the gzip counter on archives made here: tar formats, chunk boundaries, sampling.

The real engine's archives are read in test_measurements; these cover what one engine
never emits: pax and GNU headers with long names, and chunks cut anywhere.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import libarchive
import pytest

from imgexp.measure import layercache
from imgexp.measure.gzipsize import SAMPLED_UNITS, UNIT_BYTES, GzipSizer
from imgexp.measure.layercache import LayerCache
from imgexp.measure.layertar import FILE, LINK, WHITEOUT
from imgexp.measure.savestream import read_saved

RECORD = "usr/lib/python3/site-packages/foo-1.0.dist-info/RECORD"
LONG_NAME = "usr/lib/python3/site-packages/" + "x" * 150 + "/a.txt"


def _tar(members: list[tuple[tarfile.TarInfo, bytes]], fmt: int) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as archive:
        for info, data in members:
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _info(name: str, **fields: object) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    for key, value in fields.items():
        setattr(info, key, value)
    return info


def _saved(layer: bytes, fmt: int) -> bytes:
    """A legacy `docker save` archive of one layer."""
    manifest = json.dumps([{"Config": "config.json", "Layers": ["abc/layer.tar"]}]).encode()
    return _tar(
        [(_info("abc/layer.tar"), layer), (_info("config.json"), b"{}"), (_info("manifest.json"), manifest)], fmt
    )


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT], ids=["pax", "gnu"])
@pytest.mark.parametrize("chunk", [1, 511, 513, 4096, 1 << 20])
def test_headers_of_any_format_are_read_across_any_chunk_boundary(fmt: int, chunk: int) -> None:
    layer = _tar(
        [
            (_info(LONG_NAME), b"hello" * 77),
            (_info(RECORD), b"foo/__init__.py,,\n" * 50),
            (_info("l" * 200, type=tarfile.SYMTYPE, linkname="t" * 200), b""),
            (_info("etc/hard", type=tarfile.LNKTYPE, linkname=LONG_NAME), b""),
            (_info("etc/.wh.gone"), b""),
        ],
        fmt,
    )
    archive = _saved(layer, fmt)
    saved = read_saved(archive[i : i + chunk] for i in range(0, len(archive), chunk))
    scan = saved.layers[0]
    assert scan.entries == [
        (LONG_NAME, FILE, 385),
        (RECORD, FILE, 900),
        ("l" * 200, LINK, 200),
        ("etc/hard", LINK, 0),
        ("etc/gone", WHITEOUT, 0),
    ]
    assert scan.records == {RECORD: "foo/__init__.py,,\n" * 50}
    assert scan.tar_bytes == len(layer) and not scan.compressed_exact
    assert abs(scan.compressed_bytes - len(gzip.compress(layer, 6, mtime=0))) <= 8  # a short layer: deflated in full


def test_a_long_stream_is_sampled_and_still_within_two_percent_of_gzip() -> None:
    """Past SAMPLED_UNITS units, most units are predicted from ISA-L; the total stays within 2 %."""
    rng = random.Random(4)
    words = [bytes(rng.choice(b"abcdefghij") for _ in range(rng.randint(2, 9))) for _ in range(3000)]
    parts = []
    while sum(map(len, parts)) < 4 * SAMPLED_UNITS * UNIT_BYTES:
        kind = rng.random()
        if kind < 0.3:
            parts.append(rng.randbytes(rng.randint(1, 400_000)))  # compressed or random data
        elif kind < 0.8:
            parts.append(b" ".join(rng.choice(words) for _ in range(rng.randint(1, 60_000))))  # text
        else:
            parts.append(bytes(rng.randint(1, 200_000)))  # zero runs and padding
    data = b"".join(parts)
    with GzipSizer() as sizer:
        counter = sizer.stream(len(data))
        for start in range(0, len(data), 300_000):
            counter.feed(data[start : start + 300_000])
        estimate = counter.total()
    assert abs(estimate / len(gzip.compress(data, 6, mtime=0)) - 1) < 0.02


def _compressed_layer(compression: str) -> bytes:
    blob = bytearray()

    def write(data: bytes) -> int:
        blob.extend(data)
        return len(data)

    with libarchive.custom_writer(write, "pax", filter_name=compression) as archive:
        archive.add_file_from_memory("app/hello.txt", 5000, b"hello" * 1000)
    return bytes(blob)


@pytest.mark.parametrize("compression", ["gzip", "zstd"])
def test_a_compressed_layer_counts_its_blob_size_exactly(compression: str) -> None:
    """`docker save` on this engine never gives compressed layers, so an OCI-style archive is made here."""
    blob = _compressed_layer(compression)
    config = b'{"rootfs": {"diff_ids": ["sha256:x"]}, "history": [{"created_by": "COPY hello"}]}'
    manifest = b'[{"Config": "blobs/sha256/c", "Layers": ["blobs/sha256/l"]}]'
    archive = _tar(
        [(_info("blobs/sha256/c"), config), (_info("blobs/sha256/l"), blob), (_info("manifest.json"), manifest)],
        tarfile.PAX_FORMAT,
    )
    saved = read_saved([archive])
    assert saved.layers[0].compressed_exact and saved.layers[0].compressed_bytes == len(blob)
    assert saved.layers[0].entries == [("app/hello.txt", FILE, 5000)]
    assert (saved.layers[0].blob_bytes, saved.layers[0].tar_bytes) == (len(blob), len(_decompressed(blob)))


def test_a_compressed_layer_counts_its_tar_to_the_end_of_its_padding() -> None:
    """The tar reader stops at the end-of-archive marker; the tar's size counts the zeros after it too."""
    layer = _tar([(_info("a.txt"), b"a" * 700)], tarfile.PAX_FORMAT) + bytes(18 * 512)
    blob = gzip.compress(layer, 6, mtime=0)
    manifest = b'[{"Config": "blobs/sha256/c", "Layers": ["blobs/sha256/l"]}]'
    archive = _tar(
        [(_info("blobs/sha256/c"), b"{}"), (_info("blobs/sha256/l"), blob), (_info("manifest.json"), manifest)],
        tarfile.PAX_FORMAT,
    )
    scan = read_saved([archive]).layers[0]
    assert (scan.tar_bytes, scan.compressed_bytes, scan.entries) == (len(layer), len(blob), [("a.txt", FILE, 700)])


def _blob_layer(blob: bytes) -> bytes:
    manifest = b'[{"Config": "blobs/sha256/c", "Layers": ["blobs/sha256/l"]}]'
    return _tar(
        [(_info("blobs/sha256/c"), b"{}"), (_info("blobs/sha256/l"), blob), (_info("manifest.json"), manifest)],
        tarfile.PAX_FORMAT,
    )


_LAYER = _tar([(_info("a.txt"), b"a" * 700), (_info("big.bin"), bytes(9_000_000))], tarfile.PAX_FORMAT)
#: gzip blobs as writers make them: one member, several members, zeros after the last member
GZIP_BLOBS = {
    "one-member": gzip.compress(_LAYER, 6, mtime=0),
    "two-members": gzip.compress(_LAYER[:5000], 1, mtime=0) + gzip.compress(_LAYER[5000:], 9, mtime=0),
    "padding-after-the-end": gzip.compress(_LAYER, 6, mtime=0) + bytes(4096),
}


@pytest.mark.parametrize("blob", GZIP_BLOBS.values(), ids=GZIP_BLOBS.keys())
def test_a_gzip_blob_is_read_whole_however_it_was_written(blob: bytes) -> None:
    scan = read_saved([_blob_layer(blob)]).layers[0]
    assert (scan.tar_bytes, scan.blob_bytes) == (len(_LAYER), len(blob))
    assert scan.entries == [("a.txt", FILE, 700), ("big.bin", FILE, 9_000_000)]


@pytest.mark.parametrize(
    ("blob", "error"),
    [
        (GZIP_BLOBS["one-member"][:-3000], "ends inside a member"),
        (GZIP_BLOBS["one-member"][:30] + bytes(100) + GZIP_BLOBS["one-member"][130:], "not a sound gzip stream"),
    ],
    ids=["cut-short", "damaged"],
)
def test_a_broken_gzip_blob_is_one_error_naming_its_layer(blob: bytes, error: str) -> None:
    with pytest.raises(ValueError, match=error) as raised:
        read_saved([_blob_layer(blob)])
    assert "blobs/sha256/l" in str(raised.value)


def test_the_layer_cache_keeps_a_blob_and_its_tar_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cached compressed layer comes back with its tar's size, not its blob's, from the cache (not rescanned)."""
    blob = _compressed_layer("gzip")
    manifest = b'[{"Config": "blobs/sha256/c", "Layers": ["blobs/sha256/l"]}]'
    archive = _tar(
        [(_info("blobs/sha256/c"), b"{}"), (_info("blobs/sha256/l"), blob), (_info("manifest.json"), manifest)],
        tarfile.PAX_FORMAT,
    )
    first = read_saved([archive], cache=LayerCache(tmp_path)).layers[0]
    monkeypatch.setattr(layercache, "scan_layer", _no_rescan)
    again = read_saved([archive], cache=LayerCache(tmp_path)).layers[0]
    assert len(list(tmp_path.iterdir())) == 1
    assert (again.tar_bytes, again.blob_bytes, again.entries) == (first.tar_bytes, len(blob), first.entries)
    assert again.tar_bytes > again.blob_bytes


def _no_rescan(*args: object) -> NoReturn:
    raise AssertionError("the layer was scanned again: the cache missed")


def _decompressed(blob: bytes) -> bytes:
    with libarchive.memory_reader(blob, format_name="raw", filter_name="all") as archive:
        return b"".join(block for entry in archive for block in entry.get_blocks())


@pytest.mark.parametrize("where", ["inside a file", "at the header after a skip"])
def test_a_stream_that_breaks_inside_a_layer_raises_its_own_error(where: str) -> None:
    """A connection lost mid-layer: libarchive reads from C, where the error would be lost, so it is raised after.

    At a header boundary libarchive would take the early end for the end of the archive.
    """
    layer = _tar([(_info("a.txt"), bytes(200_000)), (_info("b.txt"), b"b")], tarfile.PAX_FORMAT)
    archive = _saved(layer, tarfile.PAX_FORMAT)
    cut = 20_000 if where == "inside a file" else archive.index(b"b.txt\0")

    def broken() -> Iterator[bytes]:
        yield archive[:cut]
        raise ConnectionResetError("the engine went away")

    with pytest.raises(ConnectionResetError, match="the engine went away"):
        read_saved(broken())
