"""Syndrome-trellis codes (STC): embed bits while keeping the total cost of the changes low.

After Filler, Judas and Fridrich, "Minimizing additive distortion in steganography using
syndrome-trellis codes", IEEE TIFS 6(3), 2011. A message of ``m`` bits is the syndrome
``H y`` of the low bits ``y`` of ``n`` cover values, ``H`` a band matrix built from an
``h``-row submatrix; the writer finds, with the Viterbi algorithm over ``2**h`` states, the
``y`` nearest the cover's bits in total cost. The reader needs no costs: it computes the
syndrome.

Here the cover is cut into ``segments`` independent trellises of ``length`` values, each
carrying ``bits`` message bits; the Viterbi pass runs over all the segments of a batch at once
(NumPy arrays of ``2**h`` states by segments), one cover value per step. Message bit ``k`` of a
segment owns the values ``floor(k * length / bits)`` to ``floor((k + 1) * length / bits) - 1``
(a *block*); value ``c`` of a block has column ``c`` of the submatrix, which adds it to the
syndrome bits ``k`` to ``k + h - 1`` (those below ``bits``) where the column's bits ``0`` to
``h - 1`` are set.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

#: Rows of the submatrix (the trellis has ``2**HEIGHT`` states; at most 8).
HEIGHT = 7
#: Message bits a segment aims at (fewer segments of more bits code a little better; more
#: segments vectorise better).
SEGMENT_BITS = 256
#: A segment uses at most this many values per message bit (rates below ``1 / MAX_WIDTH``
#: leave the rest of the cover untouched).
MAX_WIDTH = 64
#: Largest quantised cost of one change; path costs stay below 2**16.
MAX_COST = 4095
_INF = np.uint16(65535 - MAX_COST)
#: Trellis segments handled at a time (at most)...
_BATCH = 512
#: ...and the most bytes their decisions may take (``length * 2**h / 8`` per segment).
_DECISION_BYTES = 4 << 20


@dataclass(frozen=True)
class Plan:
    """How a message is spread over a cover: ``segments`` trellises of ``length`` values and
    ``bits`` message bits each (the last segment's spare bits are zeros)."""

    segments: int
    length: int
    bits: int
    height: int = HEIGHT

    @property
    def cover_size(self) -> int:
        """Cover values used (the first ``segments * length``)."""
        return self.segments * self.length


def plan(cover_size: int, message_bits: int, height: int = HEIGHT) -> Plan:
    """The segments for ``message_bits`` bits in ``cover_size`` values.

    Raises ``ValueError`` if the message needs more than one bit per two values.
    """
    if message_bits <= 0:
        return Plan(0, 0, 0, height)
    segments = -(-message_bits // SEGMENT_BITS)
    bits = -(-message_bits // segments)
    length = min(cover_size // segments, bits * MAX_WIDTH)
    if length < 2 * bits:
        raise ValueError("the message needs more than one bit per two cover values")
    return Plan(segments, length, bits, height)


@lru_cache(maxsize=64)
def _columns(height: int, width: int) -> np.ndarray:
    """The submatrix's ``width`` columns as ``height``-bit integers (bit ``r``: row ``r``),
    top and bottom rows always set; fixed pseudo-random bits from SHA-256."""
    stream = b"".join(hashlib.sha256(b"stegokit stc %d %d %d" % (height, width, i)).digest()
                      for i in range(-(-width // 16)))
    raw = np.frombuffer(stream, dtype=">u2", count=width).astype(np.int64)
    return (raw & ((1 << height) - 1)) | 1 | (1 << (height - 1))


def _block_map(p: Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per value of a segment: its block (message bit) and its column; and the blocks' starts."""
    starts = np.arange(p.bits + 1, dtype=np.int64) * p.length // p.bits
    block = np.repeat(np.arange(p.bits), np.diff(starts))
    column_index = np.arange(p.length) - starts[block]
    return block, _columns(p.height, int(np.diff(starts).max()))[column_index], starts


def syndrome(cover_bits: np.ndarray, p: Plan) -> np.ndarray:
    """The message bits a cover carries.

    Parameters
    ----------
    cover_bits : ndarray, shape (segments, length), uint8 (0 or 1)
    p : Plan

    Returns
    -------
    ndarray, shape (segments * bits,), uint8
    """
    if not p.segments:
        return np.zeros(0, dtype=np.uint8)
    starts = _block_map(p)[2]
    widths, starts = np.diff(starts), starts[:-1]
    table = _columns(p.height, int(widths.max()))
    by_value = cover_bits.T  # (a view: the trellis's layout is often value-major already)
    # per block, the XOR of the columns of its values whose bit is set (an h-bit word)...
    words = np.zeros((p.bits, p.segments), dtype=np.uint8)
    for c in range(len(table)):
        has = widths > c
        if has.all():
            words ^= by_value[starts + c] * np.uint8(table[c])
        else:
            words[has] ^= by_value[starts[has] + c] * np.uint8(table[c])
    # ...whose bit r lands in message bit k + r
    out = np.zeros_like(words)
    for row in range(min(p.height, p.bits)):
        out[row:] ^= (words[: p.bits - row] >> row) & 1
    return out.T.reshape(-1)


def embed(cover_bits: np.ndarray, costs: np.ndarray, message: np.ndarray,
          p: Plan) -> np.ndarray:
    """The low bits nearest ``cover_bits`` (least total cost of changes) whose syndrome is
    ``message`` (zero-padded to ``segments * bits``).

    Parameters
    ----------
    cover_bits : ndarray, shape (segments, length), uint8 (0 or 1)
    costs : ndarray, shape (segments, length), uint16 in 1..MAX_COST
        The cost of changing each value.
    message : ndarray, shape (m,), uint8 (0 or 1), ``m <= segments * bits``
    p : Plan

    Returns
    -------
    ndarray, shape (segments, length), uint8: the stego bits.
    """
    out = np.empty_like(cover_bits)

    def gather(lanes: slice) -> tuple[np.ndarray, np.ndarray]:
        return cover_bits[lanes].T, costs[lanes].T

    for lanes, stego in embed_batches(p, message, gather):
        out[lanes] = stego.T
    return out


def batch_size(p: Plan, batches: int = 1) -> int:
    """Segments per Viterbi batch: at most ``_BATCH``, fewer for long segments so that a
    batch's decisions stay within ``_DECISION_BYTES``, and few enough to make at least
    ``batches`` batches where there are that many segments."""
    fit = _DECISION_BYTES * 8 // max(p.length << p.height, 1)
    return int(min(_BATCH, max(8, fit // 8 * 8), max(1, -(-p.segments // batches))))


def embed_batches(p: Plan, message: np.ndarray, gather, batches: int = 1):
    """:func:`embed` a batch of segments at a time (at least ``batches`` batches where there
    are that many segments), for covers too large to hold whole, or for a writer that
    changes the costs of the later segments by the changes made in the earlier ones.

    ``gather(lanes)`` returns the cover bits and costs of the segments ``lanes`` (a slice),
    each an array of shape (length, segments in the batch); it is called for a batch after
    the previous batch was yielded. Yields ``(lanes, stego bits)``, the stego bits in the
    same shape, uint8.
    """
    if not p.segments:
        return
    wanted = np.zeros(p.segments * p.bits, dtype=np.uint8)
    wanted[: len(message)] = message
    wanted = wanted.reshape(p.segments, p.bits)
    block, columns, starts = _block_map(p)
    ends = np.zeros(p.length, dtype=bool)
    ends[starts[1:] - 1] = True
    step = batch_size(p, batches)
    for first in range(0, p.segments, step):
        lanes = slice(first, min(first + step, p.segments))
        bits, costs = gather(lanes)
        yield lanes, _viterbi(bits, costs, wanted[lanes], p.height, columns, block, ends)


def _viterbi(bits: np.ndarray, costs: np.ndarray, wanted: np.ndarray, height: int,
             columns: np.ndarray, block: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """One batch of segments, ``bits`` and ``costs`` of shape (length, segments): the forward
    pass keeps a decision bit per state and value (packed, 8 segments a byte), the backward
    pass follows the cheapest path. Returns the stego bits, (length, segments)."""
    states = 1 << height
    length, count = bits.shape
    bits = np.ascontiguousarray(bits, dtype=np.uint16)
    to_one = np.array(costs, dtype=np.uint16, order="C")  # cost of y = 1 where x = 0...
    to_zero = to_one * bits  # ...and of y = 0 where x = 1
    to_one -= to_zero
    del bits
    wanted_t = np.ascontiguousarray(wanted.T).astype(bool)
    decisions = np.empty((length, states, -(-count // 8)), dtype=np.uint8)  # y = 1 on the path
    cost = np.full((states, count), _INF, dtype=np.uint16)
    cost[0] = 0
    stay, move = np.empty_like(cost), np.empty_like(cost)
    took_one = np.empty(cost.shape, dtype=bool)
    # ``cost`` seen with state s at s ^ column: the axes of the column's set bits reversed
    # (axis ``j`` of the (2, ..., 2, count) shape is state bit ``height - 1 - j``)
    cube = cost.reshape((2,) * height + (count,))
    moved = move.reshape(cube.shape)
    partners = {int(c): cube[tuple(slice(None, None, -1) if c >> (height - 1 - j) & 1
                                   else slice(None) for j in range(height))]
                for c in np.unique(columns)}
    half = states // 2
    for i in range(length):
        np.add(cost, to_zero[i], out=stay)  # y = 0
        np.add(partners[int(columns[i])], to_one[i], out=moved)  # y = 1: from s ^ column
        np.less(move, stay, out=took_one)
        decisions[i] = np.packbits(took_one, axis=1, bitorder="little")
        np.minimum(stay, move, out=cost)
        if ends[i]:  # keep the states whose low bit is the message bit, then shift
            kept = np.where(wanted_t[block[i]], cost[1::2], cost[0::2])
            kept -= kept.min(axis=0)
            cost[:half] = kept
            cost[half:] = _INF
    state = cost.argmin(axis=0).astype(np.int64)  # backward, from the cheapest end
    lanes = np.arange(count)
    byte, shift = lanes >> 3, (lanes & 7).astype(np.uint8)
    out = np.empty((length, count), dtype=np.uint8)
    for i in range(length - 1, -1, -1):
        if ends[i]:
            state = (state << 1) | wanted_t[block[i]]
        took = (decisions[i, state, byte] >> shift) & 1
        out[i] = took
        state ^= columns[i] * took
    return out
