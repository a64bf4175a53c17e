"""The LSB codec: a container written into the low bits of an image's values, pure NumPy.

Data values are the colour channels (alpha and the grey of LA images' alpha are never
touched), cut into blocks of 64 (:mod:`.order`). A *carrier* is the list of blocks a layout
may use: at 1 bit per value, only blocks with no value at 0 or 255 (a ±1 step there could
only go one way, which RS and SPA analysis would see as LSB replacement); at 2 to 4 bits,
all blocks. The blocks are visited in a spread order: the public fixed order for a plain
container; for an encrypted one, an order keyed by the container's key, the 36-byte key block
sitting alone at 1 bit per value in the last five blocks.

At 1 bit a value whose low bit must change moves by +1 or -1 at random (LSB matching; 1 only
moves up and 254 only down, so no value enters or leaves the carrier). When the payload
leaves room, matrix embedding with a Hamming code carries ``p`` bits in ``2**p - 1`` values
with at most one change. At 2 to 4 bits the low bits are replaced and the value then moved by
``2**bits`` where that brings it closer to the original (optimal pixel adjustment).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import container, crypto
from ..container import HEADER_SIZE, Header, Payload
from ..errors import AuthenticationError, CapacityError, NoPayloadError
from .order import BLOCK, FIXED_KEY, Order, order

BITS = (1, 2, 3, 4)
#: The largest Hamming code used for matrix embedding (63 values per group, one per sweep).
MAX_CODE = 6
#: Blocks at the end of the values that hold the key block of an encrypted container.
KEY_BLOCKS = math.ceil(crypto.KEY_BLOCK_SIZE * 8 / BLOCK)
_CHUNK_BLOCKS = 1 << 16


@dataclass(frozen=True)
class Extracted:
    """A payload read from an image, and how it was stored."""

    payload: Payload
    codec: int
    param: int
    encrypted: bool


def value_count(pixels_shape: tuple[int, ...]) -> int:
    """How many values of an image of this shape can carry data (alpha excluded)."""
    return pixels_shape[0] * pixels_shape[1] * (3 if pixels_shape[2] >= 3 else 1)


def _check(pixels: np.ndarray) -> None:
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] not in (1, 2, 3, 4):
        raise ValueError("pixels must be a uint8 array of shape (H, W, C), C in 1..4")


_ONES = np.uint64(0x0101010101010101)
_HIGHS = np.uint64(0x8080808080808080)


def _has_zero_byte(words: np.ndarray) -> np.ndarray:
    """Non-zero where a uint64 word holds a zero byte (exact; eight values per operation)."""
    return (words - _ONES) & ~words & _HIGHS


def _unsaturated_blocks(pixels: np.ndarray, blocks: int) -> np.ndarray:
    """Indices of the first ``blocks`` blocks that hold no value at 0 or 255."""
    data = pixels if pixels.shape[2] in (1, 3) else pixels[..., : 3 if pixels.shape[2] == 4 else 1]
    keep = []
    for first in range(0, blocks, _CHUNK_BLOCKS):
        last = min(blocks, first + _CHUNK_BLOCKS)
        values = np.ascontiguousarray(_value_slice(data, first * BLOCK, last * BLOCK))
        words = values.view(np.uint64)
        saturated = _has_zero_byte(words) | _has_zero_byte(~words)
        clear = ~saturated.reshape(-1, BLOCK // 8).any(axis=1)
        keep.append(first + np.flatnonzero(clear))
    return np.concatenate(keep) if keep else np.empty(0, dtype=np.int64)


def _value_slice(data: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Values ``start`` to ``stop - 1`` of an (H, W, C) array of data channels only."""
    if data.flags.c_contiguous:
        return data.reshape(-1)[start:stop]
    per_row = data.shape[1] * data.shape[2]
    rows = data[start // per_row : -(-stop // per_row)].reshape(-1)
    offset = start // per_row * per_row
    return rows[start - offset : stop - offset]


class _Carrier:
    """The blocks a layout writes in, and how their values map into the pixel array."""

    def __init__(self, pixels: np.ndarray, bits: int, encrypted: bool):
        _check(pixels)
        self.channels = pixels.shape[2]
        self.data_channels = 3 if self.channels >= 3 else 1
        self.raw_blocks = value_count(pixels.shape) // BLOCK
        usable = max(self.raw_blocks - (KEY_BLOCKS if encrypted else 0), 0)
        if encrypted and usable == 0:
            self.blocks = np.empty(0, dtype=np.int64)
        elif bits == 1:
            self.blocks = _unsaturated_blocks(pixels, usable)
        else:
            self.blocks = np.arange(usable, dtype=np.int64)

        #: Every block from the first on is used: carrier indices are value indices.
        self.contiguous = len(self.blocks) == 0 or self.blocks[-1] == len(self.blocks) - 1

    @property
    def size(self) -> int:
        return len(self.blocks)

    def flat(self, compact: np.ndarray) -> np.ndarray:
        """Indices into the raveled pixel array for value indices of the carrier's order."""
        if self.contiguous:
            return self._value_flat(compact)
        block, offset = np.divmod(compact, BLOCK)
        return self._value_flat(self.blocks[block] * BLOCK + offset)

    def _value_flat(self, values: np.ndarray) -> np.ndarray:
        if self.channels == self.data_channels:
            return values
        pixel, channel = np.divmod(values, self.data_channels)
        return pixel * self.channels + channel

    def key_block_flat(self) -> np.ndarray:
        start = (self.raw_blocks - KEY_BLOCKS) * BLOCK
        return self._value_flat(np.arange(start, start + crypto.KEY_BLOCK_SIZE * 8))


def _symbols(data: bytes, bits: int) -> np.ndarray:
    """Split bytes into ``bits``-wide symbols, MSB first, zero-padded at the end."""
    stream = np.unpackbits(np.frombuffer(data, dtype=np.uint8))
    stream = np.concatenate([stream, np.zeros(-len(stream) % bits, dtype=np.uint8)])
    if bits == 1:
        return stream
    columns = stream.reshape(-1, bits)
    symbols = columns[:, 0].copy()
    for column in range(1, bits):
        symbols <<= np.uint8(1)
        symbols |= columns[:, column]
    return symbols


def _bytes(symbols: np.ndarray, bits: int, size: int) -> bytes:
    """Inverse of :func:`_symbols`: the first ``size`` bytes of the symbols' bit stream."""
    if bits > 1:
        shifts = np.arange(bits - 1, -1, -1, dtype=np.uint8)
        symbols = ((symbols[:, None] >> shifts) & np.uint8(1)).ravel()
    return np.packbits(symbols[: size * 8]).tobytes()


def _slots(byte_count: int, bits: int) -> int:
    return -(-byte_count * 8 // bits)


def _random_signs(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` random booleans: True means +1, False -1."""
    return np.unpackbits(np.frombuffer(rng.bytes(-(-count // 8)), dtype=np.uint8),
                         count=count).astype(bool)


def _write_flips(flat: np.ndarray, where: np.ndarray, rng: np.random.Generator) -> int:
    """Flip the low bit of ``flat[where]`` by a random ±1 step; 0 and 1 step up, 254 and 255
    down, so that values in 1..254 stay there."""
    moved = flat[where]
    up = _random_signs(rng, len(moved))
    up[moved <= 1] = True
    up[moved >= 254] = False
    flat[where] = np.where(up, moved + np.uint8(1), moved - np.uint8(1))
    return len(moved)


def write_symbols(flat: np.ndarray, where: np.ndarray, symbols: np.ndarray, bits: int,
                  rng: np.random.Generator) -> int:
    """Store ``symbols`` in the low ``bits`` of ``flat[where]``; return how many values changed."""
    old = flat[where]
    if bits == 1:
        return _write_flips(flat, where[(old & np.uint8(1)) != symbols], rng)
    span = 1 << bits
    replaced = (old & np.uint8(256 - span)) | symbols
    change = replaced != old
    moved = old[change].astype(np.int16)
    new = replaced[change].astype(np.int16)
    diff = new - moved
    new[(diff > span // 2) & (new >= span)] -= span
    new[(diff < -(span // 2)) & (new + span <= 255)] += span
    flat[where[change]] = new.astype(np.uint8)
    return len(new)  # a changed symbol always changes the value


def _write_ordered(flat: np.ndarray, carrier: _Carrier, sequence: Order, data: bytes,
                   bits: int, rng: np.random.Generator) -> int:
    """Write ``data`` along an order, one sweep at a time (bounded memory, memory order)."""
    symbols = _symbols(data, bits)
    changed = 0
    for positions, where in sequence.layout(len(symbols)):
        changed += write_symbols(flat, carrier.flat(where), symbols[positions], bits, rng)
    return changed


def _read_ordered(flat: np.ndarray, carrier: _Carrier, sequence: Order, bits: int,
                  size: int) -> bytes:
    """Read ``size`` bytes along an order, one sweep at a time."""
    symbols = np.empty(_slots(size, bits), dtype=np.uint8)
    for positions, where in sequence.layout(len(symbols)):
        symbols[positions] = flat[carrier.flat(where)]
    return _bytes(symbols & np.uint8((1 << bits) - 1), bits, size)


def _hamming_span(code: int) -> int:
    return (1 << code) - 1


def _hamming_capacity(blocks: int, code: int) -> int:
    """Groups available: sweep 0 holds the header; each band of ``span`` sweeps after it holds
    one group per column."""
    if blocks < _slots(HEADER_SIZE, 1):
        return 0
    return (BLOCK - 1) // _hamming_span(code) * blocks


def _bands(sequence: Order, groups: int, code: int):
    """``(first sweep, first group, group count)`` of each band of groups."""
    span = _hamming_span(code)
    for band in range(-(-groups // sequence.blocks)):
        first = band * sequence.blocks
        yield 1 + band * span, first, min(sequence.blocks, groups - first)


def _band_syndromes(flat: np.ndarray, carrier: _Carrier, sequence: Order, sweep: int,
                    count: int, code: int) -> tuple[np.ndarray, np.ndarray]:
    """The band's columns and each group's syndrome (in the same order): the XOR of the
    1-based numbers of the band's sweeps whose value has its low bit set."""
    span = range(sweep, sweep + _hamming_span(code))
    columns, sweeps = sequence.sweeps(span, count)
    syndromes = np.zeros(len(columns), dtype=np.uint8)
    low_bits = np.empty_like(syndromes)
    for number, where in enumerate(sweeps, start=1):
        np.take(flat, carrier.flat(where), out=low_bits)
        low_bits &= np.uint8(1)
        low_bits *= np.uint8(number)
        syndromes ^= low_bits
    return columns, syndromes


def _write_hamming(flat: np.ndarray, carrier: _Carrier, sequence: Order, data: bytes,
                   code: int, rng: np.random.Generator) -> int:
    """Matrix embedding: ``code`` bits per group of ``2**code - 1`` values (one per sweep of a
    band, same column), with at most one ±1 change per group."""
    messages = _symbols(data, code)
    changed = 0
    for sweep, first, count in _bands(sequence, len(messages), code):
        columns, syndromes = _band_syndromes(flat, carrier, sequence, sweep, count, code)
        flip = syndromes ^ messages[first + columns]
        hit = np.flatnonzero(flip)
        where = sequence.value_at(sweep - 1 + flip[hit].astype(np.int64), columns[hit])
        changed += _write_flips(flat, carrier.flat(where), rng)
    return changed


def _read_hamming(flat: np.ndarray, carrier: _Carrier, sequence: Order, size: int,
                  code: int) -> bytes:
    messages = np.empty(_slots(size, code), dtype=np.uint8)
    for sweep, first, count in _bands(sequence, len(messages), code):
        columns, syndromes = _band_syndromes(flat, carrier, sequence, sweep, count, code)
        messages[first + columns] = syndromes
    return _bytes(messages, code, size)


def layout_param(bits: int, code: int = 0) -> int:
    """The LSB codec's header parameter: bits per value, and the Hamming code (0: none)."""
    return bits | code << 4


def _hamming_code_of(header: Header) -> int:
    return header.param >> 4 if header.codec == container.CODEC_LSB else 0


def room(pixels: np.ndarray, bits: int, *, encrypted: bool) -> int:
    """Carrier bytes available at ``bits`` per value (after the key block when encrypted)."""
    return _Carrier(pixels, bits, encrypted).size * BLOCK * bits // 8


def capacity(pixels: np.ndarray, bits: int, *, encrypted: bool, name: str = "") -> int:
    """The exact number of payload bytes that fit (incompressible data; 0 if none)."""
    overhead = container.RECORD_OVERHEAD + len(container.safe_name(name).encode("utf-8"))
    record = container.max_record(room(pixels, bits, encrypted=encrypted), encrypted=encrypted)
    return max(record - overhead, 0)


def matrix_code(pixels: np.ndarray, container_size: int, *, encrypted: bool) -> int:
    """The largest Hamming code (fewest changes per bit) whose layout fits, or 0 for none.

    With code ``p``, ``p`` message bits ride on ``2**p - 1`` values and at most one of them
    changes: 0.375 changes per bit at ``p = 2``, 0.23 at ``p = 4``, 0.16 at ``p = 6``,
    against 0.5 for one bit per value.
    """
    return _largest_code(_Carrier(pixels, 1, encrypted).size, container_size, encrypted)


def _largest_code(blocks: int, container_size: int, encrypted: bool) -> int:
    rest = container_size - HEADER_SIZE - (crypto.KEY_BLOCK_SIZE if encrypted else 0)
    best = 0
    for code in range(2, MAX_CODE + 1):
        if _slots(rest, code) <= _hamming_capacity(blocks, code):
            best = code
    return best


def embed(pixels: np.ndarray, data: bytes, *, bits: int = 1, code: int = 0,
          keys: crypto.Keys | None = None,
          rng: np.random.Generator | int | None = None) -> tuple[np.ndarray, int]:
    """Write a packed container into a copy of ``pixels``.

    Parameters
    ----------
    pixels : ndarray, shape (H, W, C), uint8
        The cover, C in 1..4 (L, LA, RGB, RGBA). Not modified.
    data : bytes
        A container from :func:`stegokit.container.pack`; if ``keys`` is given it must be
        encrypted and start with its key block.
    bits : int
        Low bits per value, 1 to 4.
    code : int
        Matrix embedding with this Hamming code (see :func:`matrix_code`); ``bits`` must be 1
        and the container's header parameter ``layout_param(1, code)``.
    keys : Keys, optional
        The container's keys; their ``order`` key scatters the data.
    rng : Generator or seed, optional
        Chooses the +1/-1 steps of LSB matching.

    Returns
    -------
    stego : ndarray, same shape and dtype as ``pixels``
    changed : int
        How many values differ from the cover.
    """
    if bits not in BITS:
        raise ValueError("bits must be 1, 2, 3 or 4")
    rng = np.random.default_rng(rng)
    encrypted = keys is not None
    carrier = _Carrier(pixels, bits, encrypted)
    body = data[crypto.KEY_BLOCK_SIZE :] if encrypted else data
    limit = carrier.size * BLOCK * bits // 8
    fits = code <= _largest_code(carrier.size, len(data), encrypted)
    if len(body) > limit or (code and (bits != 1 or not fits)):
        raise CapacityError(f"the container needs {len(body)} bytes; the cover holds {limit}")
    out = pixels.copy()
    flat = out.reshape(-1)
    changed = 0
    if encrypted:
        block = _symbols(data[: crypto.KEY_BLOCK_SIZE], 1)
        changed += write_symbols(flat, carrier.key_block_flat(), block, 1, rng)
    sequence = order(carrier.size, keys.order if encrypted else FIXED_KEY)
    if code:
        changed += _write_ordered(flat, carrier, sequence, body[:HEADER_SIZE], 1, rng)
        changed += _write_hamming(flat, carrier, sequence, body[HEADER_SIZE:], code, rng)
    else:
        changed += _write_ordered(flat, carrier, sequence, body, bits, rng)
    return out, changed


def _find(pixels: np.ndarray, key: bytes, encrypted: bool) -> tuple[Header, bytes] | None:
    """Try each bit depth for a header along the order of ``key``; the header and the rest."""
    flat = pixels.reshape(-1)
    for bits in BITS:
        carrier = _Carrier(pixels, bits, encrypted)
        if carrier.size * BLOCK < _slots(HEADER_SIZE, bits):
            continue
        sequence = order(carrier.size, key)
        raw = _read_ordered(flat, carrier, sequence, bits, HEADER_SIZE)
        room_after = carrier.size * BLOCK * bits // 8 - HEADER_SIZE
        try:
            header = container.parse_header(raw, room=room_after)
        except NoPayloadError:
            continue
        rest = header.length + header.trailer_size()
        code = _hamming_code_of(header)
        if not code:
            data = _read_ordered(flat, carrier, sequence, bits, HEADER_SIZE + rest)
            return header, data[HEADER_SIZE:]
        if bits != 1 or code > MAX_CODE or \
                _slots(rest, code) > _hamming_capacity(carrier.size, code):
            raise AuthenticationError("integrity check failed: the header is damaged")
        return header, _read_hamming(flat, carrier, sequence, rest, code)
    return None


def extract(pixels: np.ndarray, *,
            unlock: Callable[[bytes], crypto.Keys] | None = None) -> Extracted:
    """Read the container an image carries.

    Parameters
    ----------
    pixels : ndarray, shape (H, W, C), uint8
    unlock : callable, optional
        Turns a 36-byte key block into keys (from a passphrase or a private key). Without it
        only plain containers are found.

    Raises
    ------
    NoPayloadError
        Nothing found.
    AuthenticationError
        Wrong key, or the data was damaged or tampered with.
    """
    _check(pixels)
    found = _find(pixels, FIXED_KEY, encrypted=False)
    if found:
        header, rest = found
        return Extracted(container.open_plain(header, rest), header.codec, header.param, False)
    hint = "no hidden message found"
    if unlock is None:
        raise NoPayloadError(hint + " (if it was encrypted, give the passphrase or --user)")
    carrier = _Carrier(pixels, 4, encrypted=True)
    if carrier.size == 0:
        raise NoPayloadError(hint)
    flat = pixels.reshape(-1)
    block = _bytes(flat[carrier.key_block_flat()] & np.uint8(1), 1, crypto.KEY_BLOCK_SIZE)
    keys = unlock(block)
    found = _find(pixels, keys.order, encrypted=True)
    if not found or not found[0].encrypted:
        raise AuthenticationError("authentication failed: wrong passphrase or key, or no message")
    header, rest = found
    payload = container.open_sealed(block, header, rest, keys)
    return Extracted(payload, header.codec, header.param, True)
