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
#: Domain values enciphered at a time (small enough to stay in cache).
_SLICE = 1 << 15
#: The order used without a key: public, but it spreads the data over the whole image.
FIXED_KEY = hashlib.sha256(b"stegokit fixed spread order v1").digest()


def _feistel_permutation(size: int, stream: bytes):
    """A permutation of ``range(size)`` from an alternating unbalanced Feistel network, in
    consecutive pieces (so that no array of the whole permutation is needed).

    The domain ``range(1 << bits)`` is enciphered a slice of rows at a time (small buffers,
    reused: a 12-megapixel image's domain would take 24 MB at once) and the outputs below
    ``size`` are kept in domain order."""
    bits = max(2, (size - 1).bit_length())
    low_bits = bits // 2
    high_bits = bits - low_bits
    low_mask, high_mask = (1 << low_bits) - 1, (1 << high_bits) - 1
    tables = np.frombuffer(stream, dtype=np.uint32, count=ROUNDS << high_bits)
    tables = tables.reshape(ROUNDS, 1 << high_bits).astype(np.intp)
    tables[1::2] &= low_mask  # odd rounds: low ^= T[high]; even rounds: high ^= T[low]
    tables[::2] &= high_mask
    # x = high << low_bits | low runs over range(1 << bits), so round 0 (high ^= T0[low]) is
    # an outer XOR of the high halves with the table of the low halves: no lookup needed
    first = tables[0, : 1 << low_bits]
    rows = max(1, _SLICE >> low_bits)
    low = np.empty(rows << low_bits, dtype=np.intp)
    high, looked_up = np.empty_like(low), np.empty_like(low)
    for top in range(0, 1 << high_bits, rows):
        n = min(rows, (1 << high_bits) - top) << low_bits
        x_high, x_low, found = high[:n], low[:n], looked_up[:n]
        np.bitwise_xor(np.arange(top, top + (n >> low_bits), dtype=np.intp)[:, None], first,
                       out=x_high.reshape(-1, 1 << low_bits))
        x_low.reshape(-1, 1 << low_bits)[:] = np.arange(1 << low_bits, dtype=np.intp)
        for i in range(1, ROUNDS):
            side, index = (x_low, x_high) if i % 2 else (x_high, x_low)
            # the indices are in range: "clip" only skips numpy's slower bounds-checked path
            np.take(tables[i], index, out=found, mode="clip")
            side ^= found
        x_high *= 1 << low_bits  # (x_high << low_bits: NumPy's left shifts are slow)
        x_high |= x_low
        yield np.compress(x_high < size, x_high)  # as x[x < size], several times faster


class Order:
    """A keyed spread order over ``blocks * BLOCK`` values.

    The whole permutation is built the first time :attr:`column` or :attr:`offset` is read;
    :meth:`first_columns` serves a short message from the first columns alone.
    """

    def __init__(self, blocks: int, key: bytes = FIXED_KEY):
        if blocks < 1:
            raise ValueError("an order needs at least one block")
        self.blocks = blocks
        bits = max(2, (blocks - 1).bit_length())
        self._table_bytes = 4 * (ROUNDS << (bits - bits // 2))
        self._stream = crypto.keystream(key, self._table_bytes + blocks)
        #: The offset key of the block in each column (sweep ``s`` visits value
        #: ``s ^ key`` of the block).
        self._column_offsets = np.frombuffer(self._stream, dtype=np.uint8,
                                             offset=self._table_bytes) % BLOCK

    @cached_property
    def _by_block(self) -> tuple[np.ndarray, np.ndarray]:
        column = np.empty(self.blocks, dtype=np.int64)
        offset = np.empty(self.blocks, dtype=np.uint8)
        first = 0
        for piece in self._permutation():  # the blocks of columns first, first + 1, ...
            column[piece] = np.arange(first, first + len(piece))
            offset[piece] = self._column_offsets[first : first + len(piece)]
            first += len(piece)
        return column, offset

    @property
    def column(self) -> np.ndarray:
        """Each block's column in a sweep (in value order); column ``c`` is one block."""
        return self._by_block[0]

    @property
    def offset(self) -> np.ndarray:
        """Each block's offset key (in value order)."""
        return self._by_block[1]

    def _permutation(self):
        return _feistel_permutation(self.blocks, self._stream[: self._table_bytes])

    def first_columns(self, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(blocks, columns, offsets)`` of the blocks in columns ``0`` to ``count - 1``,
        sorted by block, enciphering only as much of the permutation as they need."""
        if not 0 <= count <= self.blocks:
            raise ValueError(f"an order of {self.blocks} columns has no column {count - 1}")
        if "_by_block" in self.__dict__:  # built already
            blocks = np.flatnonzero(self.column < count)
            return blocks, self.column[blocks], self.offset[blocks]
        pieces, found = [], 0
        for piece in self._permutation():
            if found >= count:
                break
            pieces.append(piece)
            found += len(piece)
        in_column = np.concatenate(pieces)[:count] if pieces else np.empty(0, np.intp)
        columns = np.argsort(in_column)
        return in_column[columns], columns, self._column_offsets[columns]

    @property
    def size(self) -> int:
        """How many positions the order has."""
        return self.blocks * BLOCK

    def layout(self, stop: int):
        """Positions ``0`` to ``stop - 1`` as ``(positions, values)`` pairs, a sweep at a time.

        Sweep ``s`` holds positions ``s * blocks`` to ``(s + 1) * blocks - 1``, one value in
        each block. Each sweep's positions and values come sorted by value, so reading and
        writing the image walks it in memory order.
        """
        if not 0 <= stop <= self.size:
            raise ValueError(f"an order of {self.size} positions has no position {stop - 1}")
        full, rest = divmod(stop, self.blocks)
        starts = np.arange(self.blocks, dtype=np.int64) * BLOCK
        for index in range(full):
            yield index * self.blocks + self.column, starts + (index ^ self.offset)
        if rest:
            blocks, columns, offsets = self.first_columns(rest)
            yield full * self.blocks + columns, starts[blocks] + (full ^ offsets)

    def take(self, stop: int, start: int = 0) -> np.ndarray:
        """The value indices at positions ``start`` to ``stop - 1``, in position order."""
        if not 0 <= start <= stop <= self.size:
            raise ValueError(f"an order of {self.size} positions has no positions "
                             f"{start} to {stop - 1}")
        sweeps, columns = np.divmod(np.arange(start, stop, dtype=np.int64), self.blocks)
        block_at = np.empty(self.blocks, dtype=np.intp)  # the block in each column
        block_at[self.column] = np.arange(self.blocks)
        block = block_at[columns]
        return block * BLOCK + (sweeps ^ self.offset[block])


@lru_cache(maxsize=4)
def order(blocks: int, key: bytes = FIXED_KEY) -> Order:
    """A cached :class:`Order` (building one for a 12-megapixel image takes milliseconds)."""
    return Order(blocks, key)
