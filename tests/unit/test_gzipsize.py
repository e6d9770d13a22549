"""The gzip size estimate against zlib's level 6 on data of a few kinds; which units are sampled; the regression.

A mixed 64 MiB stream at the real sample size is in test_savestream; here the sample is made
smaller so that streams of a few MiB are sampled, one kind of data at a time.
"""

from __future__ import annotations

import gzip
import itertools
import random
from collections.abc import Callable
from concurrent.futures import Future

import pytest

from imgexp.measure import gzipsize
from imgexp.measure.gzipsize import (
    GZIP_FRAME_BYTES,
    SAMPLED_UNITS,
    UNIT_BYTES,
    UNITS_PER_BLOCK,
    GzipCounter,
    GzipSizer,
    UnitSizes,
    predict_total,
)

#: what the module's docstring promises: a stream counted in full agrees with `gzip -c` within 0.2 %,
#: a sampled one within 1.6 % (the worst of 200 placements of the sample on real layers)
FULL_TOLERANCE = 0.002
SAMPLED_TOLERANCE = 0.016
#: each unit is flushed to a byte boundary and starts a new deflate block: a few bytes each,
#: which only data that deflates about 1000:1 (runs of zeros) shows against its tiny gzip size
BYTES_PER_UNIT = 24


def _random(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def _text(n: int, seed: int) -> bytes:
    rng = random.Random(seed)
    words = [bytes(rng.choice(b"abcdefghijklmnopqrst") for _ in range(rng.randint(2, 10))) for _ in range(3000)]
    out = bytearray()
    while len(out) < n:
        out += b" ".join(rng.choices(words, k=2000)) + b"\n"
    return bytes(out[:n])


def _zeros(n: int, seed: int) -> bytes:
    return bytes(n)


KINDS: dict[str, Callable[[int, int], bytes]] = {"random": _random, "text": _text, "zeros": _zeros}


def _estimate(data: bytes, chunk: int = 300_000) -> int:
    with GzipSizer() as sizer:
        counter = sizer.stream(len(data))
        for start in range(0, len(data), chunk):
            counter.feed(data[start : start + chunk])
        return counter.total()


def _gzip(data: bytes) -> int:
    return len(gzip.compress(data, 6, mtime=0))


def _units(length: int) -> int:
    return max(1, -(-length // UNIT_BYTES))


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("length", [0, 1, 1000, 100_000, UNIT_BYTES])
def test_one_unit_is_exact_but_for_its_flush(kind: str, length: int) -> None:
    """One unit is one deflate stream: it differs from gzip's only by ending in a sync flush, not a final block."""
    data = KINDS[kind](length, 1)
    assert 0 <= _estimate(data) - _gzip(data) <= 5


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_stream_counted_in_full_is_within_the_documented_tolerance(kind: str) -> None:
    data = KINDS[kind](5 * UNIT_BYTES + 12_345, 2)
    estimate, actual = _estimate(data), _gzip(data)
    assert abs(estimate - actual) <= max(FULL_TOLERANCE * actual, BYTES_PER_UNIT * _units(len(data)))


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_sampled_stream_is_within_the_documented_tolerance(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gzipsize, "SAMPLED_UNITS", 6)
    data = KINDS[kind](20 * UNIT_BYTES + 777, 3)
    estimate, actual = _estimate(data), _gzip(data)
    assert abs(estimate - actual) <= max(SAMPLED_TOLERANCE * actual, BYTES_PER_UNIT * _units(len(data)))


def test_how_the_stream_is_fed_changes_nothing() -> None:
    data = _text(3 * UNIT_BYTES + 99, 4)
    assert len({_estimate(data, chunk) for chunk in (7_777, 1 << 20, len(data))}) == 1


class _RecordingSizer:
    """Stands in for GzipSizer: keeps which units each block asks to sample, compresses nothing."""

    def __init__(self) -> None:
        self.sampled: list[bool] = []
        self.block_lengths: list[int] = []

    def submit(self, block: bytearray, primer: object, sampled: tuple[bool, ...]) -> Future[list[UnitSizes]]:
        units = max(1, -(-len(block) // UNIT_BYTES))
        self.sampled += sampled[:units]
        self.block_lengths.append(len(block))
        future: Future[list[UnitSizes]] = Future()
        future.set_result([UnitSizes(UNIT_BYTES, 10, 20 if flag else None) for flag in sampled[:units]])
        return future


@pytest.mark.parametrize(
    "units",
    [1, UNITS_PER_BLOCK, SAMPLED_UNITS - 1, SAMPLED_UNITS, SAMPLED_UNITS + 1, 3 * SAMPLED_UNITS + 5, 1000],
)
def test_the_sample_is_spread_over_the_stream(units: int) -> None:
    sizer = _RecordingSizer()
    counter = GzipCounter(sizer, units * UNIT_BYTES)  # type: ignore[arg-type]
    block = bytes(UNIT_BYTES)
    for _ in range(units):
        counter.feed(block)
    counter.total()
    assert len(sizer.sampled) == units
    assert sum(sizer.block_lengths) == units * UNIT_BYTES
    chosen = [index for index, flag in enumerate(sizer.sampled) if flag]
    assert len(chosen) == min(units, SAMPLED_UNITS)
    if units > SAMPLED_UNITS:
        gaps = {b - a for a, b in itertools.pairwise(chosen)}
        assert gaps <= {units // SAMPLED_UNITS, units // SAMPLED_UNITS + 1}, "evenly spread"


def test_an_empty_stream_is_one_empty_unit() -> None:
    sizer = _RecordingSizer()
    counter = GzipCounter(sizer, 0)  # type: ignore[arg-type]
    assert counter.total() == GZIP_FRAME_BYTES + 20
    assert sizer.block_lengths == [0] and sizer.sampled == [True]


def test_gzip_frame_is_header_and_trailer() -> None:
    raw = gzip.compress(b"hello", 6, mtime=0)
    deflate = raw[10:-8]
    assert GZIP_FRAME_BYTES == len(raw) - len(deflate) == 18


def _units_from(fast: list[int], length: int, slow: Callable[[float], float], sampled: set[int]) -> list[UnitSizes]:
    return [UnitSizes(length, x, round(slow(x)) if i in sampled else None) for i, x in enumerate(fast)]


@pytest.mark.parametrize(
    ("slow", "sampled", "expected"),
    [
        pytest.param(
            lambda x: 1.5 * x,
            {0, 1, 2, 3, 4, 5},
            sum(round(1.5 * x) for x in (100, 220, 300, 480, 610, 900)),
            id="all-sampled-is-their-sum",
        ),
        pytest.param(lambda x: 0.9 * x, {0, 3, 5}, 0.9 * (100 + 220 + 300 + 480 + 610 + 900), id="proportional"),
        pytest.param(
            lambda x: 0.8 * x + 0.5 * x * x / 1000,
            {1, 2, 5},
            sum(0.8 * x + 0.5 * x * x / 1000 for x in (100, 220, 300, 480, 610, 900)),
            id="quadratic",
        ),
    ],
)
def test_predict_total_fits_level_6_from_the_fast_size(
    slow: Callable[[float], float], sampled: set[int], expected: float
) -> None:
    """Units whose level-6 size is a*x + b*x*x/n of their ISA-L size x are predicted exactly from a few."""
    units = _units_from([100, 220, 300, 480, 610, 900], 1000, slow, sampled)
    assert predict_total(units) == pytest.approx(expected, abs=1)
