"""Keyed spread orders over the values of an image.

The values are cut into blocks of :data:`BLOCK` consecutive values. An :class:`Order` visits
one value in every block before it visits a second one: position ``p`` is offset
``(p // blocks) ^ k[b]`` of block ``b = perm[p % blocks]``, where ``perm`` is a keyed
permutation of the blocks and ``k`` a keyed offset per block. ``perm`` is a Feistel network whose
round functions are tables of AES-CTR output under the key (filtered down to ``range(blocks)``);
``k`` comes from the same key stream. Without the key, neither the order nor where a message
starts can be told; the first ``m`` positions cost O(m) to compute.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

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
    x = np.arange(1 << bits, dtype=np.uint32)
    high, low = x >> np.uint32(low_bits), x & np.uint32(low_mask)
    for i, table in enumerate(tables):
        if i % 2:
            low ^= table[high] & np.uint32(low_mask)
        else:
            high ^= table[low] & np.uint32(high_mask)
    y = (high << np.uint32(low_bits)) | low
    return y[y < size].astype(np.int64)


class Order:
    """A keyed spread order over ``blocks * BLOCK`` values."""

    def __init__(self, blocks: int, key: bytes = FIXED_KEY):
        if blocks < 1:
            raise ValueError("an order needs at least one block")
        self.blocks = blocks
        bits = max(2, (blocks - 1).bit_length())
        table_bytes = 4 * (ROUNDS << (bits - bits // 2))
        stream = crypto.keystream(key, table_bytes + blocks)
        self._perm = _feistel_permutation(blocks, stream[:table_bytes])
        offsets = np.frombuffer(stream, dtype=np.uint8, offset=table_bytes) % BLOCK
        self._offsets = offsets[self._perm].astype(np.int64)
        self._starts = self._perm * BLOCK

    @property
    def size(self) -> int:
        """How many positions the order has."""
        return self.blocks * BLOCK

    def take(self, count: int) -> np.ndarray:
        """The value indices (int64) at positions ``0`` to ``count - 1``."""
        if not 0 <= count <= self.size:
            raise ValueError(f"an order of {self.size} positions has no {count} positions")
        rounds = -(-count // self.blocks)
        sweep = np.arange(rounds, dtype=np.int64)[:, None]
        columns = min(count, self.blocks)
        values = self._starts[:columns] + (sweep ^ self._offsets[:columns])
        return values.ravel()[:count]


@lru_cache(maxsize=4)
def order(blocks: int, key: bytes = FIXED_KEY) -> Order:
    """A cached :class:`Order` (building one for a 12-megapixel image takes milliseconds)."""
    return Order(blocks, key)
