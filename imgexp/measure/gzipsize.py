"""How many bytes a stream takes gzip-compressed, estimated in parallel without keeping the output.

The registry push of a layer is a gzip stream at the default level (6), so that is the
size estimated here. Like pigz, the stream is cut into 1 MiB blocks compressed in threads
(zlib and ISA-L release the GIL), each primed with the 32 KiB before it, so a sum over
blocks matches one sequential stream. Each of the 256 KiB units below ends in a flush of a
few bytes, which counts only on data that deflates extremely well (runs of zeros).

Level 6 is too slow to run over a large layer while the engine streams it, so the
estimate works in 256 KiB units: every unit goes through ISA-L's level 1 (much faster)
and only ``SAMPLED_UNITS`` units, spread evenly over the stream, also through zlib's
level 6. A stream of at most ``SAMPLED_UNITS`` units (16 MiB) is counted at level 6 in
full. Past that, the level-6 size of the units not sampled is predicted from their ISA-L
size ``x`` and length ``n`` by the regression ``a*x + b*x*x/n`` fitted on the sampled ones
(level 6 gains more over level 1 on the more compressible units). How close the estimate
comes, measured and dated: docs/measurements.md (Pull size) and docs/benchmarks.md.
"""

from __future__ import annotations

import os
import threading
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from typing import NamedTuple, Protocol

import numpy as np
from isal import isal_zlib

GZIP_LEVEL = 6
#: bytes of gzip's header (10) and trailer (CRC32 and length, 8) around a deflate stream
GZIP_FRAME_BYTES = 18
#: what a compressor thread takes at a time
BLOCK_BYTES = 1 << 20
#: the estimate's unit: each is sized at ISA-L's level 1, the sampled ones at zlib's level 6 too
UNIT_BYTES = 256 << 10
UNITS_PER_BLOCK = BLOCK_BYTES // UNIT_BYTES
assert BLOCK_BYTES % UNIT_BYTES == 0, "a block holds whole units"
WINDOW_BYTES = 32 << 10
#: units per stream deflated at level 6 (a stream of at most this many is counted in full)
SAMPLED_UNITS = 64
FAST_LEVEL = 1
#: pushed bytes / zlib level-6 bytes of the same layer: the engine pushes with Go's compress/gzip, whose level 6
#: emits more than zlib's. Fitted on 2026-12-03's pushes of the write-up's layers, 1.010 to 1.019 a layer
#: (docs/measurements.md; bench/pull_estimate.py measures it again)
ENGINE_PUSH_RATIO = 1.0142


def as_pushed(zlib_bytes: int) -> int:
    """The bytes an engine's push of a layer takes, estimated from its zlib level-6 gzip size."""
    return round(zlib_bytes * ENGINE_PUSH_RATIO)


class UnitSizes(NamedTuple):
    length: int
    fast: int
    """ISA-L level-1 deflate bytes"""
    slow: int | None
    """zlib level-6 deflate bytes, None when the unit was not sampled"""


class _Compressor(Protocol):
    def compress(self, data: memoryview, /) -> bytes: ...
    def flush(self, mode: int, /) -> bytes: ...


def _deflated_size(compressor: _Compressor, data: memoryview) -> int:
    """Raw deflate bytes of ``data`` through ``compressor``, flushed to a byte boundary."""
    return len(compressor.compress(data)) + len(compressor.flush(zlib.Z_SYNC_FLUSH))


def _settings(primer: memoryview | None) -> tuple:
    """compressobj's arguments after the level: raw deflate, continuing ``primer``'s window."""
    return (zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, *((primer,) if primer else ()))


def _block_sizes(block: bytearray, primer: memoryview | None, sampled: tuple[bool, ...]) -> list[UnitSizes]:
    """Each unit's ISA-L level-1 size and, for the sampled ones, level-6 size, in one stream from ``primer``."""
    view = memoryview(block)
    fast = isal_zlib.compressobj(FAST_LEVEL, *_settings(primer))
    sizes = []
    for index, start in enumerate(range(0, len(block) or 1, UNIT_BYTES)):  # an empty stream: one empty unit
        unit = view[start : start + UNIT_BYTES]
        slow = None
        if sampled[index]:
            window = view[max(0, start - WINDOW_BYTES) : start] if start else primer
            slow = _deflated_size(zlib.compressobj(GZIP_LEVEL, *_settings(window)), unit)
        sizes.append(UnitSizes(len(unit), _deflated_size(fast, unit), slow))
    return sizes


def predict_total(sizes: list[UnitSizes]) -> int:
    """Level-6 bytes of all units: measured where sampled, predicted from the ISA-L size elsewhere."""
    length = np.array([max(s.length, 1) for s in sizes], dtype=float)
    fast = np.array([s.fast for s in sizes], dtype=float)
    slow = np.array([np.nan if s.slow is None else s.slow for s in sizes], dtype=float)
    sampled = ~np.isnan(slow)
    if sampled.all():
        return int(slow.sum())
    features = np.column_stack([fast, fast * fast / length])
    coefficients, *_ = np.linalg.lstsq(features[sampled], slow[sampled], rcond=None)
    predicted = np.clip(features[~sampled] @ coefficients, 0, None)
    return round(slow[sampled].sum() + predicted.sum())


class GzipSizer:
    """A pool of compressor threads; ``stream(length)`` gives a counter for one stream.

    At most ``2 * workers`` blocks are in flight, so memory stays near
    ``2 * workers * BLOCK_BYTES`` whatever the stream's length.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="imgexp-gzip")
        self._slots = threading.BoundedSemaphore(2 * self.workers)

    def stream(self, length: int) -> GzipCounter:
        """A counter for a stream of ``length`` bytes (the length sets which units are sampled)."""
        return GzipCounter(self, length)

    def submit(self, block: bytearray, primer: memoryview | None, sampled: tuple[bool, ...]) -> Future[list[UnitSizes]]:
        self._slots.acquire()
        future = self._pool.submit(_block_sizes, block, primer, sampled)
        future.add_done_callback(lambda _: self._slots.release())
        return future

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def __enter__(self) -> GzipSizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class GzipCounter:
    """Feed a stream's bytes in order with ``feed``; ``total()`` waits and returns its gzip size."""

    def __init__(self, sizer: GzipSizer, length: int) -> None:
        self._sizer = sizer
        self._units = max(1, -(-length // UNIT_BYTES))
        self._block = bytearray(BLOCK_BYTES)
        self._filled = 0
        self._primer: memoryview | None = None
        self._futures: list[Future[list[UnitSizes]]] = []

    def feed(self, data: memoryview | bytes) -> None:
        view = memoryview(data)
        while view:
            take = min(len(view), BLOCK_BYTES - self._filled)
            self._block[self._filled : self._filled + take] = view[:take]
            view = view[take:]
            self.commit(take)

    def free_space(self) -> memoryview:
        """The unfilled rest of the current block, to read the stream's next bytes into (then ``commit``)."""
        return memoryview(self._block)[self._filled :]

    def commit(self, size: int) -> None:
        """Take the next ``size`` bytes as written into ``free_space()``."""
        self._filled += size
        if self._filled == BLOCK_BYTES:
            self._send(self._block)
            self._block, self._filled = bytearray(BLOCK_BYTES), 0

    def _is_sampled(self, index: int) -> bool:
        """True for ``SAMPLED_UNITS`` units spread evenly over the stream (all of a short one)."""
        if self._units <= SAMPLED_UNITS:
            return True
        return index * SAMPLED_UNITS // self._units != (index - 1) * SAMPLED_UNITS // self._units

    def _send(self, block: bytearray) -> None:
        first = len(self._futures) * UNITS_PER_BLOCK
        sampled = tuple(self._is_sampled(first + offset) for offset in range(UNITS_PER_BLOCK))
        self._futures.append(self._sizer.submit(block, self._primer, sampled))
        self._primer = memoryview(block)[-WINDOW_BYTES:]

    def total(self) -> int:
        """The stream's gzip size: level 6 where deflated, predicted from ISA-L elsewhere."""
        if self._filled or not self._futures:
            self._send(self._block[: self._filled])
            self._filled = 0
        return GZIP_FRAME_BYTES + predict_total([unit for future in self._futures for unit in future.result()])
