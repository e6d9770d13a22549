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

import pytest

from imgexp.gzipsize import BLOCK_BYTES, SAMPLED_BLOCKS, GzipSizer
from imgexp.savestream import FILE, LINK, WHITEOUT, read_saved

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
    return _tar([(_info("abc/layer.tar"), layer), (_info("config.json"), b"{}"), (_info("manifest.json"), manifest)],
                fmt)


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT], ids=["pax", "gnu"])
@pytest.mark.parametrize("chunk", [1, 511, 513, 4096, 1 << 20])
def test_headers_of_any_format_are_read_across_any_chunk_boundary(fmt: int, chunk: int) -> None:
    layer = _tar(
        [
            (_info(LONG_NAME), b"hello" * 77),
            (_info(RECORD), b"foo/__init__.py,,\n" * 50),
            (_info("l" * 200, type=tarfile.SYMTYPE, linkname="t" * 200), b""),
            (_info("etc/.wh.gone"), b""),
        ],
        fmt,
    )
    archive = _saved(layer, fmt)
    saved = read_saved(archive[i:i + chunk] for i in range(0, len(archive), chunk))
    scan = saved.layers[0]
    assert scan.entries == [(LONG_NAME, FILE, 385), (RECORD, FILE, 900), ("l" * 200, LINK, 0), ("etc/gone", WHITEOUT, 0)]
    assert scan.records == {RECORD: "foo/__init__.py,,\n" * 50}
    assert scan.tar_bytes == len(layer) and not scan.compressed_exact
    assert abs(scan.compressed_bytes - len(gzip.compress(layer, 6, mtime=0))) <= 8  # a short layer: deflated in full


def test_a_long_stream_is_sampled_and_still_within_two_percent_of_gzip() -> None:
    """Past SAMPLED_BLOCKS blocks, most blocks are predicted from ISA-L; the total stays within 2 %."""
    rng = random.Random(4)
    words = [bytes(rng.choice(b"abcdefghij") for _ in range(rng.randint(2, 9))) for _ in range(3000)]
    parts = []
    while sum(map(len, parts)) < (SAMPLED_BLOCKS + 16) * BLOCK_BYTES:
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
            counter.feed(data[start:start + 300_000])
        estimate = counter.total()
    assert abs(estimate / len(gzip.compress(data, 6, mtime=0)) - 1) < 0.02
