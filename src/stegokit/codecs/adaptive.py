"""The LSB codec's adaptive layout: HILL costs and syndrome-trellis coding along the order.

The 14-byte header sits at positions 0-111 of the carrier's order (sweep 0), written as every
1-bit layout writes it, so the reader finds it the same way. The rest of the container is the
syndrome (:mod:`.stc`, planned from the carrier's size and the container's length) of the low
bits of the other values, taken block by block in the order's columns (the block in column
0, then column 1...), each block's values in sweep order, and dealt to the trellis segments
in turn; the writer picks, among the low bits with that syndrome, those whose changes cost
least by the HILL map of the cover (:mod:`.costs`), and each changed value moves by +1 or -1
as its already-moved neighbours did (:func:`clustered_steps`). The reader computes the
syndrome: no costs.

The writer works a batch of trellis segments at a time, gathering the values of the batch
from the image and the cost map (no whole-image array in trellis order); the reader works on
whole blocks in *sweep order* (one 64-bit word per carrier block, bit ``s`` being the value
that sweep ``s`` visits), as the LSB codec's other layouts do.
"""

from __future__ import annotations

import numpy as np

from ..container import HEADER_SIZE
from . import costs, stc
from .order import BLOCK, Order

#: The Hamming-code field of the LSB codec parameter that marks this layout (1 | 15 << 4).
CODE = 15
#: The trellis segments are embedded in at least this many batches, one after the other; a
#: change lowers the costs of its four neighbours for the later batches (so that changes
#: cluster, and step alike: :func:`clustered_steps`)...
SYNC_BATCHES = 8
#: ...by this many levels (16 levels: a factor of 2; 0: costs stay).
SYNC_LEVELS = 48
#: Rounds over the four sub-lattices when choosing the steps (the second sees all four
#: neighbours of every value).
_STEP_SWEEPS = 2
#: Trellis values whose place in the image is worked out at a time.
_GATHER_CHUNK = 1 << 16
#: Values (or a band's values) the step choice handles at a time.
_STEP_CHUNK = 1 << 18
#: Order positions before the coded values (the header at 1 bit per value).
HEADER_BITS = HEADER_SIZE * 8


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


class _CodedValues:
    """Where the coded values are in the image: value index (data channels, alpha skipped)
    of each position of the coded sequence (the carrier's column-major entries without the
    header's)."""

    def __init__(self, carrier, sequence: Order):
        self.block_at = _blocks_by_column(sequence.column)
        self.offset = sequence.offset
        header = _header_entries(carrier.size)
        #: Coded position ``i`` is entry ``i + (number of these <= i)``.
        self.skips = header - np.arange(len(header))
        self.image_blocks = None if carrier.contiguous else carrier.blocks

    def values(self, coded: np.ndarray) -> np.ndarray:
        """Value indices of coded positions (int64 array, any shape)."""
        entry = coded + np.searchsorted(self.skips, coded, side="right")
        column, sweep = np.divmod(entry, BLOCK)
        block = self.block_at[column]
        sweep ^= self.offset[block]
        if self.image_blocks is not None:
            block = self.image_blocks[block]
        block *= BLOCK
        block += sweep
        return block


def changes(pixels: np.ndarray, carrier, sequence: Order, body: bytes) -> np.ndarray:
    """Which values to change by ±1 to carry ``body`` (the container after its header).

    Parameters
    ----------
    pixels : ndarray, shape (H, W, C), uint8, the cover (its header already written)
    carrier : lsb.Carrier at 1 bit per value
    sequence : Order over the carrier
    body : bytes

    Returns
    -------
    ndarray, uint32 (int64 for images of 2**32 values or more): value indices (data
    channels, alpha skipped), distinct, in no particular order.
    """
    p = layout(carrier.size, len(body))
    if p is None:
        raise ValueError("the body does not fit the adaptive layout")
    if not p.segments:
        return np.zeros(0, dtype=np.int64)
    channels = 3 if pixels.shape[2] >= 3 else 1
    level, counts = costs.levels(pixels[..., :channels])
    level = level.reshape(-1)
    table = costs.level_costs(counts)
    flat = pixels.reshape(-1)
    coded = _CodedValues(carrier, sequence)
    positions = np.arange(p.length, dtype=np.int64)[:, None] * p.segments
    compact = np.uint32 if len(level) < 1 << 32 else np.int64  # (half the memory)
    batch = {}

    def gather(lanes: slice) -> tuple[np.ndarray, np.ndarray]:
        lane_numbers = np.arange(lanes.start, lanes.stop)
        values = np.empty((p.length, len(lane_numbers)), dtype=compact)
        rows = max(1, _GATHER_CHUNK // len(lane_numbers))
        for top in range(0, p.length, rows):
            values[top : top + rows] = coded.values(positions[top : top + rows] + lane_numbers)
        bits = flat[carrier.value_flat(values)] & np.uint8(1)
        batch.update(values=values, bits=bits)
        return bits, table[level[values]]

    message = np.unpackbits(np.frombuffer(body, dtype=np.uint8))
    found = []
    for _, stego in stc.embed_batches(p, message, gather, SYNC_BATCHES):
        found.append(batch["values"][stego != batch["bits"]])
        if SYNC_LEVELS:
            _cheapen_neighbourhoods(level, found[-1], pixels.shape[1], channels)
    return np.concatenate(found)


def _cheapen_neighbourhoods(level: np.ndarray, values: np.ndarray, width: int,
                            channels: int) -> None:
    """Lower the cost level of each value by ``SYNC_LEVELS`` for each of its four
    same-channel neighbours among ``values`` (in place)."""
    per_row = width * channels
    column = values // channels % width
    for near in (values[column > 0] - channels, values[column < width - 1] + channels,
                 values[values >= per_row] - per_row,
                 values[values < len(level) - per_row] + per_row):
        lowered = level[near].astype(np.int16) - SYNC_LEVELS
        level[near] = np.clip(lowered, 0, 255).astype(np.uint8)


def _padded_index(values: np.ndarray, width: int, channels: int) -> np.ndarray:
    """Flat indices, in an (H + 2, W + 2, C) array with a border of one pixel, of value
    indices of the (H, W, C) data channels."""
    pixel, channel = np.divmod(values.astype(np.int64), channels)
    row, column = np.divmod(pixel, width)
    row += 1
    row *= width + 2
    row += column + 1
    row *= channels
    row += channel
    return row


def clustered_steps(shape: tuple[int, int, int], values: np.ndarray, current: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:
    """A +1 or -1 step for each value to change, neighbouring changes stepping alike.

    The low bit changes either way; the direction is free, and changes of one direction in
    a cluster leave less trace in high-pass residuals than random ones (after the
    clustering of modification directions of Li, Wang, Li and Huang, IEEE TIFS 10(7), 2015).
    The pixels are taken one 2x2 sub-lattice at a time (even rows and columns first); a
    value steps as the sum of the steps already chosen for its four neighbours in the same
    channel says, at random where it is 0; a second round over the sub-lattices lets every
    value follow all four neighbours. 1 always steps up and 254 down. Works on a map of one
    byte per value (with a border), a band of rows at a time.

    Parameters
    ----------
    shape : (H, W, C), the shape of the data channels
    values : ndarray, integers, the value indices to change, distinct
    current : ndarray, uint8, their values (1..254)
    rng : Generator

    Returns
    -------
    ndarray, like ``values``, int8: +1 or -1.
    """
    height, width, channels = shape
    # 0: unchanged; +-3: to change, not yet decided (the sign: a coin); +-1: decided
    board = np.zeros((height + 2, width + 2, channels), dtype=np.int8)
    flat = board.reshape(-1)
    coin = rng.integers(0, 2, len(values), dtype=np.int8) * np.int8(6) - np.int8(3)
    for first in range(0, len(values), _STEP_CHUNK):
        part = slice(first, first + _STEP_CHUNK)
        flat[_padded_index(values[part], width, channels)] = coin[part]
    del coin
    rows = max(1, _STEP_CHUNK // (width * channels))
    for _ in range(_STEP_SWEEPS):
        for r0, c0 in ((0, 0), (0, 1), (1, 0), (1, 1)):
            for top in range(1 + r0, height + 1, 2 * rows):
                bottom = min(top + 2 * rows, height + 1)
                centre = board[top:bottom:2, 1 + c0 : width + 1 : 2]
                total = np.zeros(centre.shape, dtype=np.int8)
                for near in (board[top:bottom:2, c0:width:2],
                             board[top:bottom:2, 2 + c0 : width + 2 : 2],
                             board[top - 1 : bottom - 1 : 2, 1 + c0 : width + 1 : 2],
                             board[top + 1 : bottom + 1 : 2, 1 + c0 : width + 1 : 2]):
                    total += near == 1
                    total -= near == -1
                chosen = np.sign(total)
                # where the neighbours are even (or none moved yet): the coin, or the step
                # chosen in the first round
                even = chosen == 0
                chosen[even] = np.sign(centre[even])
                chosen[centre == 0] = 0
                centre[...] = chosen
    steps = np.empty(len(values), dtype=np.int8)
    for first in range(0, len(values), _STEP_CHUNK):
        part = slice(first, first + _STEP_CHUNK)
        steps[part] = flat[_padded_index(values[part], width, channels)]
    steps[current <= 1] = 1
    steps[current >= 254] = -1
    return steps


def read(words: np.ndarray, column: np.ndarray, size: int) -> bytes | None:
    """The ``size`` bytes after the header, from the carrier's sweep-order low-bit words
    (None if they cannot be in this carrier)."""
    p = layout(len(words), size)
    if p is None:
        return None
    bits = _coded(_bit_rows(words[_blocks_by_column(column)]), p)
    return np.packbits(stc.syndrome(bits, p)[: size * 8]).tobytes()
