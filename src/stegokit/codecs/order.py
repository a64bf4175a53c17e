"""Keyed spread orders over the values of an image.

The values are cut into blocks of :data:`BLOCK` consecutive values. An :class:`Order` visits
one value in every block before it visits a second one: position ``p`` is offset
``(p // blocks) ^ k[b]`` of block ``b = perm[p % blocks]``, where ``perm`` is a keyed
permutation of the blocks and ``k`` a keyed offset per block. ``perm`` is a Feistel network whose
round functions are tables of AES-CTR output under the key (filtered down to ``range(blocks)``);
``k`` comes from the same key stream. Without the key, neither the order nor where a message
starts can be told. Codecs walk an order one sweep (one value per block) at a time, in
memory order, which keeps a 12-megapixel image's reads and writes cache-friendly.
"""

from __future__ import annotations

import hashlib
from functools import cached_property, lru_cache

import numpy as np

from .. import crypto

BLOCK = 64
ROUNDS = 6
#: The order used without a key: public, but it spreads the data over the whole image.
FIXED_KEY = hashlib.sha256(b"stegokit fixed spread order v1").digest()


def _feistel_permutation(size: int, stream: bytes) -> np.ndarray:
    """A permutation of ``range(size)`` from an alternating unbalanced Feistel network."""
    bits = max(2, (size - 1).bit_length())
    low_bits = bits // 2
    high_bits = bits - low_bits
    tables = np.frombuffer(stream, dtype=np.uint32, count=ROUNDS << high_bits)
    tables = tables.reshape(ROUNDS, 1 << high_bits)
    low_mask, high_mask = (1 << low_bits) - 1, (1 << high_bits) - 1
    # x = high << low_bits | low runs over range(1 << bits), so round 0 (high ^= T0[low]) is
    # an outer XOR of the high halves with the table of the low halves: no lookup needed
    first = (tables[0, : 1 << low_bits] & np.uint32(high_mask)).astype(np.intp)
    high = (np.arange(1 << high_bits, dtype=np.intp)[:, None] ^ first).reshape(-1)
    low = np.tile(np.arange(1 << low_bits, dtype=np.intp), 1 << high_bits)
    looked_up = np.empty_like(high)
    for i, table in enumerate(tables[1:], start=1):
        side, index, mask = (low, high, low_mask) if i % 2 else (high, low, high_mask)
        # the indices are in range: "clip" only skips numpy's slower bounds-checked path
        np.take((table & np.uint32(mask)).astype(np.intp), index, out=looked_up, mode="clip")
        side ^= looked_up
    high <<= low_bits
    high |= low
    return np.compress(high < size, high)  # as high[high < size], several times faster


class Order:
    """A keyed spread order over ``blocks * BLOCK`` values."""

    def __init__(self, blocks: int, key: bytes = FIXED_KEY):
        if blocks < 1:
            raise ValueError("an order needs at least one block")
        self.blocks = blocks
        bits = max(2, (blocks - 1).bit_length())
        table_bytes = 4 * (ROUNDS << (bits - bits // 2))
        stream = crypto.keystream(key, table_bytes + blocks)
        self._perm = perm = _feistel_permutation(blocks, stream[:table_bytes])
        offsets = np.frombuffer(stream, dtype=np.uint8, offset=table_bytes) % BLOCK
        #: For each block (in value order): its column in a sweep, and its offset key (sweep
        #: ``s`` visits value ``s ^ offset`` of the block).
        self.column = np.empty(blocks, dtype=np.int64)
        self.column[perm] = np.arange(blocks)
        self.offset = np.empty(blocks, dtype=np.uint8)
        self.offset[perm] = offsets
        self._block_starts = np.arange(blocks, dtype=np.int64) * BLOCK

    @cached_property
    def offset_groups(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The blocks sorted by offset key, where each key's run starts (65 bounds), and the
        blocks' columns in that order."""
        blocks = np.argsort(self.offset, kind="stable")
        bounds = np.searchsorted(self.offset[blocks], np.arange(BLOCK + 1))
        return blocks, bounds, self.column[blocks]

    @property
    def size(self) -> int:
        """How many positions the order has."""
        return self.blocks * BLOCK

    def sweeps(self, indices, count: int | None = None):
        """Columns ``0`` to ``count - 1`` of the given sweeps: ``columns``, then the values of
        each sweep in turn.

        Sweep ``s`` holds positions ``s * blocks`` to ``(s + 1) * blocks - 1``, one value in
        each block. ``columns`` and each sweep's values come sorted by value, so reading and
        writing the image walks it in memory order.
        """
        if count is None or count >= self.blocks:
            columns, starts, offsets = self.column, self._block_starts, self.offset
        else:
            blocks = np.flatnonzero(self.column < count)
            columns, starts, offsets = (self.column[blocks], self._block_starts[blocks],
                                        self.offset[blocks])
        return columns, (starts + (index ^ offsets) for index in indices)

    def layout(self, stop: int):
        """Positions ``0`` to ``stop - 1`` as ``(positions, values)`` pairs, a sweep at a time."""
        if not 0 <= stop <= self.size:
            raise ValueError(f"an order of {self.size} positions has no position {stop - 1}")
        for index in range(-(-stop // self.blocks)):
            base = index * self.blocks
            columns, values = self.sweeps([index], stop - base)
            yield base + columns, next(values)

    def value_at(self, sweeps: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """The value indices at the given sweeps and columns."""
        block = self._perm[columns]
        return block * BLOCK + (sweeps ^ self.offset[block])

    def take(self, stop: int, start: int = 0) -> np.ndarray:
        """The value indices at positions ``start`` to ``stop - 1``, in position order."""
        if not 0 <= start <= stop <= self.size:
            raise ValueError(f"an order of {self.size} positions has no positions "
                             f"{start} to {stop - 1}")
        return self.value_at(*np.divmod(np.arange(start, stop, dtype=np.int64), self.blocks))


@lru_cache(maxsize=4)
def order(blocks: int, key: bytes = FIXED_KEY) -> Order:
    """A cached :class:`Order` (building one for a 12-megapixel image takes milliseconds)."""
    return Order(blocks, key)
