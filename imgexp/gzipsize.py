"""How many bytes a stream takes gzip-compressed, estimated in parallel without keeping the output.

The registry push of a layer is a gzip stream at the default level (6), so that is the
size estimated here. Like pigz, the stream is cut into 1 MiB blocks compressed in threads
(zlib and ISA-L release the GIL), each primed with the 32 KiB before it, so a sum over
blocks matches one sequential stream: ``gzip -c`` of the same bytes agrees within 0.2 %.

Level 6 deflates about 27 MB/s a core, too slow to run over a 1 GB layer while the engine
streams it, so every block goes through ISA-L's level 1 (about 17 times faster) and only
``SAMPLED_BLOCKS`` blocks, spread evenly over the stream, also through zlib's level 6. A
stream of at most ``SAMPLED_BLOCKS`` blocks is counted at level 6 in full. Past that, the level-6 size of the blocks
not sampled is predicted from their ISA-L size ``x`` and length ``n`` by the regression ``a*x + b*x*x/n``
fitted on the sampled ones (level 6 gains more over level 1 on the more compressible
blocks). On the 1.3 GB baseline's two large layers, 40 placements of the sample gave a
standard error of 0.5 % of the image's compressed size and at most 1.3 %.
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
BLOCK_BYTES = 1 << 20
WINDOW_BYTES = 32 << 10
#: blocks per stream deflated at level 6 (a stream of at most this many is counted in full)
SAMPLED_BLOCKS = 32
FAST_LEVEL = 1


class BlockSizes(NamedTuple):
    length: int
    fast: int
    """ISA-L level-1 deflate bytes"""
    slow: int | None
    """zlib level-6 deflate bytes, None when the block was not sampled"""


class _Compressor(Protocol):
    def compress(self, data: bytearray, /) -> bytes: ...
    def flush(self, mode: int, /) -> bytes: ...


def _deflated_size(compressor: _Compressor, block: bytearray) -> int:
    """Raw deflate bytes of ``block`` through ``compressor``, flushed to a byte boundary."""
    return len(compressor.compress(block)) + len(compressor.flush(zlib.Z_SYNC_FLUSH))


def _block_sizes(block: bytearray, primer: memoryview | None, sampled: bool) -> BlockSizes:
    """The block's ISA-L level-1 size and, when sampled, level-6 size, each continuing ``primer``'s window."""
    settings = (zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, *((primer,) if primer else ()))
    fast = _deflated_size(isal_zlib.compressobj(FAST_LEVEL, *settings), block)
    slow = _deflated_size(zlib.compressobj(GZIP_LEVEL, *settings), block) if sampled else None
    return BlockSizes(len(block), fast, slow)


def predict_total(sizes: list[BlockSizes]) -> int:
    """Level-6 bytes of all blocks: measured where sampled, predicted from the ISA-L size elsewhere."""
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
        """A counter for a stream of ``length`` bytes (the length sets which blocks are sampled)."""
        return GzipCounter(self, length)

    def submit(self, block: bytearray, primer: memoryview | None, sampled: bool) -> Future[BlockSizes]:
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
        self._blocks = max(1, -(-length // BLOCK_BYTES))
        self._block = bytearray(BLOCK_BYTES)
        self._filled = 0
        self._primer: memoryview | None = None
        self._futures: list[Future[BlockSizes]] = []

    def feed(self, data: memoryview | bytes) -> None:
        view = memoryview(data)
        while view:
            take = min(len(view), BLOCK_BYTES - self._filled)
            self._block[self._filled:self._filled + take] = view[:take]
            self._filled += take
            view = view[take:]
            if self._filled == BLOCK_BYTES:
                self._send(self._block)
                self._block, self._filled = bytearray(BLOCK_BYTES), 0

    def _is_sampled(self, index: int) -> bool:
        """True for ``SAMPLED_BLOCKS`` blocks spread evenly over the stream (all of a short one)."""
        if self._blocks <= SAMPLED_BLOCKS:
            return True
        return index * SAMPLED_BLOCKS // self._blocks != (index - 1) * SAMPLED_BLOCKS // self._blocks

    def _send(self, block: bytearray) -> None:
        index = len(self._futures)
        self._futures.append(self._sizer.submit(block, self._primer, self._is_sampled(index)))
        self._primer = memoryview(block)[-WINDOW_BYTES:]

    def total(self) -> int:
        """The stream's gzip size: level 6 where deflated, predicted from ISA-L elsewhere."""
        if self._filled or not self._futures:
            self._send(self._block[:self._filled])
            self._filled = 0
        return GZIP_FRAME_BYTES + predict_total([future.result() for future in self._futures])
