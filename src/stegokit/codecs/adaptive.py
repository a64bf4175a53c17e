"""The LSB codec's adaptive layout: HILL costs and syndrome-trellis coding along the order.

The 14-byte header sits at positions 0-111 of the carrier's order (sweep 0), written as every
1-bit layout writes it, so the reader finds it the same way. The rest of the container is the
syndrome (:mod:`.stc`, planned from the carrier's size and the container's length) of the low
bits of the other values, taken block by block in the order's columns (the block in column
0, then column 1...), each block's values in sweep order, and dealt to the trellis segments
in turn; the writer picks, among the low bits with that
syndrome, those whose changes cost least by the HILL map of the cover (:mod:`.costs`), and
each changed value moves by +1 or -1 at random. The reader computes the syndrome: no costs.

The functions here work on whole blocks in *sweep order*: one row (or one 64-bit word) per
carrier block, entry (or bit) ``s`` being the value that sweep ``s`` visits; the LSB codec
turns pixels into such words and applies the flips.
"""

from __future__ import annotations

import numpy as np

from ..container import HEADER_SIZE
from . import costs, stc
from .order import BLOCK, Order

#: The Hamming-code field of the LSB codec parameter that marks this layout (1 | 15 << 4).
CODE = 15
#: Order positions before the coded values (the header at 1 bit per value).
HEADER_BITS = HEADER_SIZE * 8
#: Blocks whose cost rows are reordered at a time.
_CHUNK = 1 << 15


def layout(carrier_blocks: int, body_bytes: int) -> stc.Plan | None:
    """The trellis plan for ``body_bytes`` bytes after the header in a carrier of
    ``carrier_blocks`` blocks, or None if they do not fit (more than about one bit per two
    values)."""
    try:
        return stc.plan(max(carrier_blocks * BLOCK - HEADER_BITS, 0), body_bytes * 8)
    except ValueError:
        return None


def _header_entries(blocks: int) -> np.ndarray:
    """Where the header's values (order positions 0-111) fall in column-major entries
    (entry ``c * 64 + s``: sweep ``s`` of the block in column ``c``)."""
    sweep, column = np.divmod(np.arange(min(HEADER_BITS, blocks * BLOCK)), blocks)
    return np.sort(column * BLOCK + sweep)


def _coded(by_column: np.ndarray, p: stc.Plan) -> np.ndarray:
    """The trellis cover (segments, length) from sweep-order rows in column order (row ``c``:
    the block in column ``c``): each block's values in sweep order, header values skipped,
    dealt to the segments in turn (value ``i`` of segment ``j`` is entry ``i * segments + j``,
    so that every segment draws on values from all over the image)."""
    entries = np.delete(by_column.reshape(-1), _header_entries(len(by_column)))
    return entries[: p.cover_size].reshape(p.length, p.segments).T


def _blocks_by_column(column: np.ndarray) -> np.ndarray:
    """The carrier block in each column of the order."""
    block_at = np.empty_like(column)
    block_at[column] = np.arange(len(column))
    return block_at


def _bit_rows(words: np.ndarray) -> np.ndarray:
    return np.unpackbits(words.view(np.uint8), bitorder="little").reshape(-1, BLOCK)


def _cost_rows(pixels: np.ndarray, carrier, offsets: np.ndarray) -> np.ndarray:
    """Quantised HILL costs of the carrier's values, (carrier blocks, 64) in sweep order."""
    data = pixels[..., : 3 if pixels.shape[2] >= 3 else 1]
    rows = costs.value_costs(data).reshape(-1)[: carrier.raw_blocks * BLOCK].reshape(-1, BLOCK)
    rows = rows[: carrier.size] if carrier.contiguous else rows[carrier.blocks]
    out = np.empty_like(rows)
    sweeps = np.arange(BLOCK, dtype=np.intp)
    for first in range(0, len(rows), _CHUNK):
        part = slice(first, first + _CHUNK)
        out[part] = np.take_along_axis(rows[part],
                                       sweeps ^ offsets[part, None].astype(np.intp), axis=1)
    return out


def flips(pixels: np.ndarray, carrier, sequence: Order, words: np.ndarray,
          body: bytes) -> tuple[np.ndarray, int]:
    """Which low bits to change to carry ``body`` (the container after its header).

    Parameters
    ----------
    pixels : ndarray, shape (H, W, C), uint8, the cover
    carrier : lsb.Carrier at 1 bit per value
    sequence : Order over the carrier
    words : ndarray, shape (carrier blocks,), uint64
        The low bits of the carrier's blocks in sweep order.
    body : bytes

    Returns
    -------
    flips : ndarray, like ``words``: set bits change (sweep order)
    changed : int
        How many.
    """
    p = layout(carrier.size, len(body))
    if p is None:
        raise ValueError("the body does not fit the adaptive layout")
    out = np.zeros_like(words)
    if not p.segments:
        return out, 0
    block_at = _blocks_by_column(sequence.column)
    bits = _coded(_bit_rows(words[block_at]), p)
    cost = _coded(_cost_rows(pixels, carrier, sequence.offset)[block_at], p)
    message = np.unpackbits(np.frombuffer(body, dtype=np.uint8))
    changed = np.zeros(carrier.size * BLOCK - HEADER_BITS, dtype=bool)
    changed[: p.cover_size] = (stc.embed(bits, cost, message, p) != bits).T.reshape(-1)
    entries = _header_entries(carrier.size)
    by_column = np.insert(changed, entries - np.arange(len(entries)), False)
    rows = by_column.reshape(carrier.size, BLOCK)[sequence.column]
    out[:] = np.packbits(rows, axis=1, bitorder="little").view("<u8").reshape(-1)
    return out, int(np.count_nonzero(changed))


def read(words: np.ndarray, column: np.ndarray, size: int) -> bytes | None:
    """The ``size`` bytes after the header, from the carrier's sweep-order low-bit words
    (None if they cannot be in this carrier)."""
    p = layout(len(words), size)
    if p is None:
        return None
    bits = _coded(_bit_rows(words[_blocks_by_column(column)]), p)
    return np.packbits(stc.syndrome(bits, p)[: size * 8]).tobytes()
