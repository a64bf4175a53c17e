"""The LSB codec's adaptive layout: HILL costs and syndrome-trellis coding along the order.

The 14-byte header sits at positions 0-111 of the carrier's order (sweep 0), written as every
1-bit layout writes it, so the reader finds it the same way. The rest of the container is the
syndrome of the low bits of the values at positions 112 on (:mod:`.stc`, plan from the
carrier's size and the message length); the writer picks, among the low bits with that
syndrome, those whose changes cost least by the HILL map of the cover (:mod:`.costs`), and
each changed value moves by +1 or -1 at random. The reader computes the syndrome: no costs.
"""

from __future__ import annotations

import numpy as np

from ..container import HEADER_SIZE
from . import costs, stc
from .order import Order

#: The Hamming-code field of the LSB codec parameter that marks this layout (1 | 15 << 4).
CODE = 15
#: Order positions before the coded values (the header at 1 bit per value).
HEADER_BITS = HEADER_SIZE * 8


def cover_size(carrier_blocks: int) -> int:
    """Values the trellis may use in a carrier of ``carrier_blocks`` blocks."""
    return max(carrier_blocks * 64 - HEADER_BITS, 0)


def layout(carrier_blocks: int, body_bytes: int) -> stc.Plan | None:
    """The trellis plan for ``body_bytes`` bytes after the header, or None if they do not fit
    (more than about one bit per two values)."""
    try:
        return stc.plan(cover_size(carrier_blocks), body_bytes * 8)
    except ValueError:
        return None


def _walk(carrier, sequence: Order, p: stc.Plan):
    """``(cover positions, raveled pixel indices)`` of the coded values, a sweep at a time."""
    for sweep, (positions, values) in enumerate(sequence.layout(HEADER_BITS + p.cover_size)):
        if sweep * sequence.blocks < HEADER_BITS:  # a sweep with header bits: skip them
            keep = positions >= HEADER_BITS
            positions, values = positions[keep], values[keep]
        yield positions - HEADER_BITS, carrier.flat(values)


def _gather(flat: np.ndarray, carrier, sequence: Order, p: stc.Plan) -> np.ndarray:
    out = np.empty(p.cover_size, dtype=flat.dtype)
    for positions, where in _walk(carrier, sequence, p):
        out[positions] = flat[where]
    return out.reshape(p.segments, p.length)


def changes(pixels: np.ndarray, carrier, sequence: Order, body: bytes) -> np.ndarray:
    """Where to change the low bit to carry ``body`` (the container after its header).

    Parameters
    ----------
    pixels : ndarray, shape (H, W, C), uint8, the cover
    carrier : lsb.Carrier at 1 bit per value
    sequence : Order over the carrier
    body : bytes

    Returns
    -------
    ndarray of int: raveled pixel indices
    """
    p = layout(carrier.size, len(body))
    if p is None:
        raise ValueError("the body does not fit the adaptive layout")
    if not p.segments:
        return np.zeros(0, dtype=np.int64)
    flat = pixels.reshape(-1)
    channels = pixels.shape[2]
    value_costs = np.zeros(pixels.shape, dtype=np.uint16)  # alpha: never read
    data = 3 if channels >= 3 else 1
    value_costs[..., :data] = costs.value_costs(pixels[..., :data])
    bits = _gather(flat, carrier, sequence, p) & np.uint8(1)
    cost = _gather(value_costs.reshape(-1), carrier, sequence, p)
    del value_costs
    message = np.unpackbits(np.frombuffer(body, dtype=np.uint8))
    changed = (stc.embed(bits, cost, message, p) != bits).reshape(-1)
    return np.concatenate([where[changed[positions]]
                           for positions, where in _walk(carrier, sequence, p)])


def read(pixels: np.ndarray, carrier, sequence: Order, size: int) -> bytes | None:
    """The ``size`` bytes after the header, or None if they cannot be in this carrier."""
    p = layout(carrier.size, size)
    if p is None:
        return None
    bits = _gather(pixels.reshape(-1), carrier, sequence, p) & np.uint8(1)
    return np.packbits(stc.syndrome(bits, p)[: size * 8]).tobytes()
