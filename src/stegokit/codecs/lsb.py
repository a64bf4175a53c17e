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
from functools import lru_cache

import numpy as np

from .. import container, crypto
from ..container import HEADER_SIZE, Header, Payload
from ..errors import AuthenticationError, CapacityError, NoPayloadError
from ..progress import Progress, stage, steps
from . import adaptive
from .order import BLOCK, FIXED_KEY, Order, order

BITS = (1, 2, 3, 4)
#: The largest Hamming code used for matrix embedding (63 values per group, one per sweep).
MAX_CODE = 6
#: Blocks at the end of the values that hold the key block of an encrypted container (sized
#: for version 1's 36 bytes; version 2's 32 fill the first 256 values).
KEY_BLOCKS = math.ceil(crypto.V1_KEY_BLOCK_SIZE * 8 / BLOCK)
#: Blocks a chunked pass handles at a time (its buffers stay in cache).
_CHUNK_BLOCKS = 1 << 15
#: The stage name of the embedding (:mod:`stegokit.progress`).
HIDING = "Hiding the data"


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


def _data_values(pixels: np.ndarray) -> np.ndarray:
    """The channels that carry data (a view without alpha)."""
    return pixels if pixels.shape[2] in (1, 3) else pixels[..., : 3 if pixels.shape[2] == 4 else 1]


def _value_chunks(data: np.ndarray, blocks: int):
    """``(first block, values)`` for the first ``blocks`` blocks of the data channels, in
    chunks of at most ``_CHUNK_BLOCKS`` blocks (flat uint8 arrays, views where possible)."""
    for first in range(0, blocks, _CHUNK_BLOCKS):
        last = min(blocks, first + _CHUNK_BLOCKS)
        yield first, _value_slice(data, first * BLOCK, last * BLOCK)


def _unsaturated_blocks(pixels: np.ndarray, blocks: int,
                        progress: Progress | None = None) -> np.ndarray:
    """For each of the first ``blocks`` blocks, whether it holds no value at 0 or 255."""
    clear = np.empty(blocks, dtype=bool)
    size = min(blocks, _CHUNK_BLOCKS) * BLOCK
    bumped, saturated = np.empty(size, dtype=np.uint8), np.empty(size, dtype=bool)
    chunks = steps(progress, "Scanning the cover", _value_chunks(_data_values(pixels), blocks),
                   -(-blocks // _CHUNK_BLOCKS))
    for first, values in chunks:
        n = len(values)
        # 0 and 255 are the values that adding 1 (modulo 256) leaves below 2
        np.add(values, np.uint8(1), out=bumped[:n])
        np.less(bumped[:n], 2, out=saturated[:n])
        words = np.packbits(saturated[:n]).view(np.uint64)  # one word per block
        np.equal(words, 0, out=clear[first : first + len(words)])
    return clear


def _end_words(values: np.ndarray) -> np.ndarray:
    """Value-order words of whole blocks of flat ``values``: bit ``i`` set where the block's
    value ``i`` is 0, 1, 254 or 255."""
    near = values + np.uint8(2)  # the four values go to 0..3
    return np.packbits(near < 4, bitorder="little").view("<u8")


def _value_slice(data: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Values ``start`` to ``stop - 1`` of an (H, W, C) array of data channels only."""
    if data.flags.c_contiguous:
        return data.reshape(-1)[start:stop]
    per_row = data.shape[1] * data.shape[2]
    rows = data[start // per_row : -(-stop // per_row)].reshape(-1)
    offset = start // per_row * per_row
    return rows[start - offset : stop - offset]


class Carrier:
    """The blocks a layout writes in, and how their values map into the pixel array.

    Building one scans the image (at 1 bit per value); keep it to ask for the room, the
    capacity or the matrix code and to embed, rather than scanning again for each.
    ``progress`` (:mod:`stegokit.progress`) hears of the scan.
    """

    def __init__(self, pixels: np.ndarray, bits: int, encrypted: bool,
                 progress: Progress | None = None):
        _check(pixels)
        self.bits, self.encrypted, self.shape = bits, encrypted, pixels.shape
        self.channels = pixels.shape[2]
        self.data_channels = 3 if self.channels >= 3 else 1
        self.raw_blocks = value_count(pixels.shape) // BLOCK
        usable = max(self.raw_blocks - (KEY_BLOCKS if encrypted else 0), 0)
        #: How many blocks the carrier has, and, unless they are the first ``size`` blocks
        #: of the image (``contiguous``: carrier indices are value indices), their indices.
        self.size, self.blocks = usable, None
        if bits == 1 and usable:
            clear = _unsaturated_blocks(pixels, usable, progress)
            self.size = int(np.count_nonzero(clear))
            if not clear[: self.size].all():
                self.blocks = np.flatnonzero(clear)
        self.contiguous = self.blocks is None

    @property
    def room(self) -> int:
        """Bytes available (after the key block when encrypted)."""
        return self.size * BLOCK * self.bits // 8

    def capacity(self, name: str = "") -> int:
        """The exact number of payload bytes that fit (incompressible data; 0 if none)."""
        overhead = container.RECORD_OVERHEAD + len(container.safe_name(name).encode("utf-8"))
        return max(container.max_record(self.room, encrypted=self.encrypted) - overhead, 0)

    def matrix_code(self, container_size: int) -> int:
        """The largest Hamming code (fewest changes per bit) whose layout fits, or 0 for none
        (always 0 above 1 bit per value).

        With code ``p``, ``p`` message bits ride on ``2**p - 1`` values and at most one of
        them changes: 0.375 changes per bit at ``p = 2``, 0.23 at ``p = 4``, 0.16 at
        ``p = 6``, against 0.5 for one bit per value.
        """
        return _largest_code(self.size, container_size, self.encrypted) if self.bits == 1 else 0

    def adaptive_fits(self, container_size: int) -> bool:
        """Whether a container of this size fits the adaptive layout (:mod:`.adaptive`; at
        most about one bit per two values, always False above 1 bit per value)."""
        rest = container_size - HEADER_SIZE - (crypto.KEY_BLOCK_SIZE if self.encrypted else 0)
        return self.bits == 1 and adaptive.layout(self.size, rest) is not None

    def adaptive_capacity(self, name: str = "") -> int:
        """The exact number of payload bytes the adaptive layout takes (incompressible data;
        0 if none)."""
        if self.bits != 1 or adaptive.layout(self.size, 1) is None:
            return 0
        low, high = 1, self.room  # the largest body (container after the header) that fits
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (middle, high) if adaptive.layout(self.size, middle) else (low, middle - 1)
        overhead = container.RECORD_OVERHEAD + len(container.safe_name(name).encode("utf-8"))
        record = container.max_record(HEADER_SIZE + low, encrypted=self.encrypted)
        return max(record - overhead, 0)

    def flat(self, compact: np.ndarray) -> np.ndarray:
        """Indices into the raveled pixel array for value indices of the carrier's order."""
        if self.contiguous:
            return self.value_flat(compact)
        block, offset = np.divmod(compact, BLOCK)
        return self.value_flat(self.blocks[block] * BLOCK + offset)

    def value_flat(self, values: np.ndarray) -> np.ndarray:
        """Indices into the raveled pixel array for value indices (alpha skipped)."""
        if self.channels == self.data_channels:
            return values
        pixel, channel = np.divmod(values, self.data_channels)
        return pixel * self.channels + channel

    def key_block_flat(self, size: int = crypto.KEY_BLOCK_SIZE) -> np.ndarray:
        """Flat indices of the values holding a key block of ``size`` bytes (1 bit each)."""
        start = (self.raw_blocks - KEY_BLOCKS) * BLOCK
        return self.value_flat(np.arange(start, start + size * 8))


def _symbol_spans(bits: int):
    """``(i, byte, shift)`` for the eight ``bits``-wide symbols of a ``bits``-byte group:
    symbol ``i`` is bits ``shift`` to ``shift + bits - 1`` (from the low end) of the 16-bit
    big-endian window starting at ``byte``."""
    for i in range(8):
        byte, skip = divmod(i * bits, 8)
        yield i, byte, 16 - skip - bits


def _symbols(data: bytes, bits: int) -> np.ndarray:
    """Split bytes into ``bits``-wide symbols, MSB first, zero-padded at the end."""
    raw = np.frombuffer(data, dtype=np.uint8)
    if bits == 1:
        return np.unpackbits(raw)
    # ``bits`` bytes hold eight symbols; a spare zero byte closes every group's last window
    padded = np.zeros(-(-len(raw) // bits) * bits, dtype=np.uint8)
    padded[: len(raw)] = raw
    groups = np.zeros((len(padded) // bits, bits + 1), dtype=np.uint8)
    groups[:, :bits] = padded.reshape(-1, bits)
    symbols = np.empty((len(groups), 8), dtype=np.uint8)
    mask = np.uint16((1 << bits) - 1)
    for i, byte, shift in _symbol_spans(bits):
        window = groups[:, byte].astype(np.uint16)
        window *= np.uint16(256)  # (window << 8: NumPy's left shifts are slow)
        window |= groups[:, byte + 1]
        window >>= shift
        window &= mask
        symbols[:, i] = window
    return symbols.reshape(-1)[: _slots(len(raw), bits)]


def _bytes(symbols: np.ndarray, bits: int, size: int) -> bytes:
    """Inverse of :func:`_symbols`: the first ``size`` bytes of the symbols' bit stream."""
    if bits == 1:
        return np.packbits(symbols[: size * 8]).tobytes()
    count = _slots(size, bits)
    padded = np.zeros((-(-count // 8), 8), dtype=np.uint8)
    padded.reshape(-1)[:count] = symbols[:count]
    groups = np.zeros((len(padded), bits + 1), dtype=np.uint8)
    for i, byte, shift in _symbol_spans(bits):
        window = padded[:, i].astype(np.uint16)
        window *= np.uint16(1 << shift)  # (window << shift)
        groups[:, byte] |= (window >> 8).astype(np.uint8)
        groups[:, byte + 1] |= window.astype(np.uint8)  # (the low byte)
    return groups[:, :bits].tobytes()[:size]


def _slots(byte_count: int, bits: int) -> int:
    return -(-byte_count * 8 // bits)


def _write_flips(flat: np.ndarray, where: np.ndarray, rng: np.random.Generator) -> int:
    """Flip the low bit of ``flat[where]`` by a random ±1 step; 0 and 1 step up, 254 and 255
    down, so that values in 1..254 stay there."""
    moved = flat[where]
    random = np.frombuffer(rng.bytes(-(-moved.size // 8)), dtype=np.uint8)
    up = np.unpackbits(random, count=moved.size)
    up |= moved <= 1
    up &= moved < 254
    up += up  # 2 or 0 (numpy's uint8 shifts are slow)...
    up -= np.uint8(1)  # ...then 1 or 255, that is -1 modulo 256
    moved += up
    flat[where] = moved
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


def _write_ordered(flat: np.ndarray, carrier: Carrier, sequence: Order, data: bytes,
                   bits: int, rng: np.random.Generator, progress: Progress | None = None) -> int:
    """Write ``data`` along an order, one sweep at a time (bounded memory, memory order)."""
    symbols = _symbols(data, bits)
    changed = 0
    sweeps = steps(progress, HIDING, sequence.layout(len(symbols)),
                   -(-len(symbols) // sequence.blocks))
    for positions, where in sweeps:
        changed += write_symbols(flat, carrier.flat(where), symbols[positions], bits, rng)
    return changed


def _read_ordered(flat: np.ndarray, carrier: Carrier, sequence: Order, bits: int,
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


def _bands(sequence: Order, groups: int, code: int) -> list[tuple[int, int]]:
    """``(first sweep, group count)`` of each band of groups (band ``b`` holds groups
    ``b * blocks`` on, group ``b * blocks + k`` in column ``k``)."""
    span, blocks = _hamming_span(code), sequence.blocks
    return [(1 + band * span, min(blocks, groups - band * blocks))
            for band in range(-(-groups // blocks))]


def _to_block_order(symbols: np.ndarray, sequence: Order) -> np.ndarray:
    """One row per band: entry ``c`` of row ``b`` is the symbol of block ``c``'s group in band
    ``b`` (``symbols[b * blocks + column[c]]``; 0 past the last symbol)."""
    blocks = sequence.blocks
    ordered = np.empty((-(-len(symbols) // blocks), blocks), dtype=np.uint8)
    for band, row in enumerate(ordered):  # a band at a time: it stays in cache
        band_symbols = symbols[band * blocks : (band + 1) * blocks]
        if len(band_symbols) < blocks:  # the last band: zeros after its symbols
            band_symbols = np.concatenate([band_symbols,
                                           np.zeros(blocks - len(band_symbols), np.uint8)])
        band_symbols.take(sequence.column, out=row)
    return ordered


def _from_block_order(ordered: np.ndarray, sequence: Order, count: int) -> np.ndarray:
    """Inverse of :func:`_to_block_order`: the first ``count`` symbols."""
    symbols = np.empty_like(ordered)
    for row, band in zip(ordered, symbols, strict=True):
        band[sequence.column] = row
    return symbols.reshape(-1)[:count]


#: ``(shift, 2**shift, mask)``: exchanging the bits under ``mask`` with those ``shift`` above
#: moves bit ``s`` to ``s ^ shift`` (``mask``: the positions whose bit ``shift`` is 0). Left
#: shifts are done as multiplications by ``2**shift``: NumPy's are several times slower.
_XOR_STAGES = tuple((np.uint64(1 << k), np.uint64(1 << (1 << k)), np.uint64(mask))
                    for k, mask in enumerate((
                        0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F,
                        0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF, 0x00000000FFFFFFFF)))


#: For :func:`_swap_masks`: per stage, the stage's mask for each offset key (0 where the key
#: lacks the stage's bit).
_STAGE_MASKS = tuple(np.where(np.arange(BLOCK) >> k & 1, mask, 0).astype(np.uint64)
                     for k, (_, _, mask) in enumerate(_XOR_STAGES))


def _swap_masks(keys: np.ndarray) -> list[np.ndarray]:
    """For :func:`_swap_sweep_order`: per stage, each block's stage mask where its offset key
    has the stage's bit, else 0."""
    keys = keys.astype(np.intp)  # (take is several times slower with uint8 indices)
    return [table.take(keys) for table in _STAGE_MASKS]


def _swap_sweep_order(words: np.ndarray, masks: list[np.ndarray]) -> None:
    """Reorder the 64 bits of each block's word, in place, between value order (bit ``i``: the
    block's value ``i``) and sweep order (bit ``s``: the value sweep ``s`` visits, ``s ^ key``),
    ``masks`` being :func:`_swap_masks` of the blocks' offset keys. The exchange is its own
    inverse, so it goes either way."""
    for (shift, scale, _), mask in zip(_XOR_STAGES, masks, strict=True):
        delta = words >> shift  # a delta swap: exchange the bits under mask with those above
        delta ^= words
        delta &= mask
        words ^= delta
        delta *= scale  # (delta << shift)
        words ^= delta


def _low_bit_words(pixels: np.ndarray, blocks: int) -> np.ndarray:
    """The low bits of the first ``blocks`` blocks, a value-order uint64 word per block (bit
    ``i``: value ``i``)."""
    words = np.empty(blocks, dtype="<u8")  # byte i holds bits 8i..8i+7
    for first, values in _value_chunks(_data_values(pixels), blocks):
        packed = np.packbits(values & np.uint8(1), bitorder="little")
        words[first : first + len(packed) // 8] = packed.view("<u8")
    return words


def _sweep_chunks(low_bits: np.ndarray, carrier: Carrier, sequence: Order):
    """The carrier's blocks a chunk at a time, as ``(part, image blocks, masks, words)``: the
    slice of the carrier, where its blocks are in the image (a slice too when the carrier is
    contiguous), their :func:`_swap_masks`, and their low-bit words (``low_bits``: the image's
    :func:`_low_bit_words`) in sweep order."""
    for first in range(0, carrier.size, _CHUNK_BLOCKS):
        part = slice(first, min(first + _CHUNK_BLOCKS, carrier.size))
        if carrier.contiguous:
            image, words = part, low_bits[part].copy()
        else:
            image = carrier.blocks[part]
            words = low_bits.take(image)
        masks = _swap_masks(sequence.offset[part])
        _swap_sweep_order(words, masks)
        yield part, image, masks, words


def _apply_flips(out: np.ndarray, carrier: Carrier, flips: np.ndarray, low_bits: np.ndarray,
                 rng: np.random.Generator) -> None:
    """Flip, by a random ±1 step as :func:`_write_flips` does, the low bit of every value whose
    bit is set in ``flips`` (a value-order word per image block; ``low_bits``: the image's
    :func:`_low_bit_words`; both are overwritten).

    When many blocks change, the signs are drawn as words too (a random bit per value, forced
    up at 1 and down at 254), split into an "add 1" and a "subtract 1" word per block, and the
    image is rewritten chunk by chunk in memory order; when few blocks change, the values are
    written one by one.
    """
    if np.count_nonzero(flips) < carrier.size // 16:
        touched = np.flatnonzero(flips)
        ones = np.unpackbits(flips[touched].view(np.uint8), bitorder="little")
        row, offset = np.divmod(np.flatnonzero(ones), BLOCK)
        _write_flips(out.reshape(-1), carrier.value_flat(touched[row] * BLOCK + offset), rng)
        return
    # a random sign per value (AES-CTR under a key drawn from ``rng``: twice as fast as
    # drawing the bits from ``rng`` itself), but carrier blocks hold no 0 or 255, so there
    # the end values are 1 (odd: only up) and 254 (even: only down)
    random = crypto.keystream_reader(rng.bytes(32))
    data = _data_values(out)
    up = low_bits  # each chunk's low bits are read before its signs replace them
    for first, values in _value_chunks(data, len(flips)):
        ends = _end_words(values)
        chunk = up[first : first + len(ends)]
        forced_up = ends & chunk
        np.bitwise_and(np.frombuffer(random(ends.nbytes), dtype=ends.dtype), ~ends, out=chunk)
        chunk |= forced_up
    up &= flips  # the values that step up; the rest of ``flips`` step down
    down = flips
    down ^= up
    per_row = data.shape[1] * data.shape[2]
    rows = max(1, _CHUNK_BLOCKS * BLOCK // per_row)
    for top in range(0, data.shape[0], rows):
        values = data[top : top + rows]  # a view: the writes below go into ``out``
        start, stop = top * per_row, top * per_row + values.size
        values += _value_bits(up, start, stop).reshape(values.shape)
        values -= _value_bits(down, start, stop).reshape(values.shape)


def _value_bits(words: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Bits ``start`` to ``stop - 1`` of value-order block words, one uint8 per value (0 past
    the last block)."""
    first = start // BLOCK
    bits = np.unpackbits(words[first : -(-stop // BLOCK)].view(np.uint8),
                         count=stop - first * BLOCK, bitorder="little")  # zero-padded
    return bits[start - first * BLOCK :]


@lru_cache(maxsize=MAX_CODE)
def _syndrome_tables(code: int) -> np.ndarray:
    """``tables[k][v]``: the XOR of the 1-based sweep numbers ``8k + i + 1`` for the bits ``i``
    set in byte ``v`` of a group's window."""
    numbers = np.arange(1, 8 * -(-_hamming_span(code) // 8) + 1, dtype=np.uint8).reshape(-1, 8)
    bits = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1, bitorder="little")
    tables = np.zeros((len(numbers), 256), dtype=np.uint8)
    for i in range(8):
        tables ^= np.where(bits[:, i], numbers[:, i : i + 1], 0).astype(np.uint8)
    return tables


def _band_syndromes(words: np.ndarray, sweep: int, code: int) -> np.ndarray:
    """Each group's syndrome for the band starting at ``sweep``: the XOR of the 1-based numbers
    of the band's sweeps whose value has its low bit set."""
    span = _hamming_span(code)
    syndromes = np.zeros(len(words), dtype=np.uint8)
    for k, table in enumerate(_syndrome_tables(code)):
        window = words >> np.uint64(sweep + 8 * k)  # bits 8k to 8k + 7
        window &= np.uint64((1 << min(8, span - 8 * k)) - 1)
        syndromes ^= table.take(window.astype(np.uint8))  # (take: faster than indexing)
    return syndromes


def _flip_words(sweep: int, code: int) -> np.ndarray:
    """Sweep-order words by flip: flip ``f`` (the band's ``f``-th sweep, 1-based; 0: none)
    sets bit ``sweep + f - 1``."""
    words = np.zeros(1 << code, dtype=np.uint64)
    words[1:] = np.uint64(1) << np.arange(sweep, sweep + _hamming_span(code), dtype=np.uint64)
    return words


def _write_hamming(out: np.ndarray, carrier: Carrier, sequence: Order, data: bytes,
                   code: int, rng: np.random.Generator, progress: Progress | None = None) -> int:
    """Matrix embedding: ``code`` bits per group of ``2**code - 1`` values (one per sweep of a
    band, same column), with at most one ±1 change per group."""
    low_bits = _low_bit_words(out, carrier.raw_blocks)
    flips, changed = _hamming_flips(low_bits, carrier, sequence, data, code, progress)
    _apply_flips(out, carrier, flips, low_bits, rng)
    return changed


def _hamming_flips(low_bits: np.ndarray, carrier: Carrier, sequence: Order, data: bytes,
                   code: int, progress: Progress | None = None) -> tuple[np.ndarray, int]:
    """The values to flip so that each group's syndrome is its ``code``-bit message from
    ``data``: value-order words (bit ``i`` set where the block's value ``i`` changes), and
    how many."""
    flips = np.zeros_like(low_bits)
    messages = _symbols(data, code)
    if not len(messages):
        return flips, 0
    bands = _bands(sequence, len(messages), code)
    wanted = _to_block_order(messages, sequence)
    del messages  # (only the block order is used from here)
    flip_words = [_flip_words(sweep, code) for sweep, _ in bands]
    in_last_band = sequence.column < bands[-1][1]  # (a partial band leaves the rest alone)
    changed = 0
    chunks = steps(progress, HIDING, _sweep_chunks(low_bits, carrier, sequence),
                   -(-carrier.size // _CHUNK_BLOCKS))
    for part, image, masks, words in chunks:
        found = np.zeros_like(words)  # sweep order
        for (sweep, count), wants, sets in zip(bands, wanted, flip_words, strict=True):
            flip = _band_syndromes(words, sweep, code)
            flip ^= wants[part]
            if count < sequence.blocks:
                flip *= in_last_band[part]
            changed += int(np.count_nonzero(flip))
            found |= sets.take(flip)
        _swap_sweep_order(found, masks)
        flips[image] = found
    return flips, changed


def _read_hamming(pixels: np.ndarray, carrier: Carrier, sequence: Order, size: int,
                  code: int) -> bytes:
    count = _slots(size, code)
    if count * _FEW_GROUPS <= sequence.blocks:
        return _read_few_groups(pixels, carrier, sequence, size, code)
    bands = _bands(sequence, count, code)
    found = np.empty((len(bands), sequence.blocks), dtype=np.uint8)  # block order
    low_bits = _low_bit_words(pixels, carrier.raw_blocks)
    for part, _, _, words in _sweep_chunks(low_bits, carrier, sequence):
        for (sweep, _), band_found in zip(bands, found, strict=True):
            band_found[part] = _band_syndromes(words, sweep, code)
    return _bytes(_from_block_order(found, sequence, count), code, size)


#: A Hamming-coded message whose groups fill at most this fraction of one band's columns
#: (a short text in a large image) is read from its own blocks only, not from every block.
_FEW_GROUPS = 16


def _read_few_groups(pixels: np.ndarray, carrier: Carrier, sequence: Order, size: int,
                     code: int) -> bytes:
    """:func:`_read_hamming` for a message in the first columns of the first band: the low
    bits of the blocks in those columns, in sweep order, give the groups' syndromes."""
    count = _slots(size, code)
    blocks, columns, offsets = sequence.first_columns(count)  # in carrier order
    image = blocks if carrier.contiguous else carrier.blocks[blocks]
    values = carrier.value_flat((image * BLOCK)[:, None] + np.arange(BLOCK))
    low = pixels.reshape(-1)[values] & np.uint8(1)
    words = np.packbits(low, axis=1, bitorder="little").view("<u8").reshape(-1)
    _swap_sweep_order(words, _swap_masks(offsets))
    symbols = np.empty(count, dtype=np.uint8)
    symbols[columns] = _band_syndromes(words, 1, code)
    return _bytes(symbols, code, size)


def _sweep_words(pixels: np.ndarray, carrier: Carrier, sequence: Order
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The image's :func:`_low_bit_words`, and the carrier's blocks' in sweep order."""
    low_bits = _low_bit_words(pixels, carrier.raw_blocks)
    words = np.empty(carrier.size, dtype="<u8")
    for part, _, _, chunk in _sweep_chunks(low_bits, carrier, sequence):
        words[part] = chunk
    return low_bits, words


def _write_adaptive(out: np.ndarray, carrier: Carrier, sequence: Order, body: bytes,
                    rng: np.random.Generator) -> int:
    """The adaptive layout (:mod:`.adaptive`) after the header: ±1 changes where the trellis
    puts them."""
    values = adaptive.changes(out, carrier, sequence, body)
    where = carrier.value_flat(values)
    flat = out.reshape(-1)
    data_shape = (*out.shape[:2], carrier.data_channels)
    steps = adaptive.clustered_steps(data_shape, values, flat[where], rng)
    flat[where] += steps.view(np.uint8)  # -1 is 255: modulo 256, and no value is 0 or 255
    return len(values)


def layout_param(bits: int, code: int = 0) -> int:
    """The LSB codec's header parameter: bits per value, and the Hamming code (0: none)."""
    return bits | code << 4


def _hamming_code_of(header: Header) -> int:
    return header.param >> 4 if header.codec == container.CODEC_LSB else 0


def capacity(pixels: np.ndarray, bits: int, *, encrypted: bool, name: str = "") -> int:
    """The exact number of payload bytes that fit (see :meth:`Carrier.capacity`)."""
    return Carrier(pixels, bits, encrypted).capacity(name)


def _largest_code(blocks: int, container_size: int, encrypted: bool) -> int:
    rest = container_size - HEADER_SIZE - (crypto.KEY_BLOCK_SIZE if encrypted else 0)
    best = 0
    for code in range(2, MAX_CODE + 1):
        if _slots(rest, code) <= _hamming_capacity(blocks, code):
            best = code
    return best


def embed(pixels: np.ndarray, data: bytes, *, bits: int = 1, code: int = 0,
          keys: crypto.Keys | None = None, rng: np.random.Generator | int | None = None,
          carrier: Carrier | None = None,
          progress: Progress | None = None) -> tuple[np.ndarray, int]:
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
        Matrix embedding with this Hamming code (see :func:`matrix_code`), or
        ``adaptive.CODE`` for the adaptive layout (:meth:`Carrier.adaptive_fits`); ``bits``
        must be 1 and the container's header parameter ``layout_param(1, code)``.
    keys : Keys, optional
        The container's keys; their ``order`` key scatters the data.
    rng : Generator or seed, optional
        Chooses the +1/-1 steps of LSB matching.
    carrier : Carrier, optional
        ``Carrier(pixels, bits, keys is not None)`` if already built (saves a scan).
    progress : callable, optional
        Hears of the scan and the embedding (:mod:`stegokit.progress`).

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
    if carrier is None:
        carrier = Carrier(pixels, bits, encrypted, progress)
    elif (carrier.bits, carrier.encrypted, carrier.shape) != (bits, encrypted, pixels.shape):
        raise ValueError("the carrier was built for another layout or image")
    body = memoryview(data)[crypto.KEY_BLOCK_SIZE if encrypted else 0 :]  # (no copies)
    if code == adaptive.CODE:
        too_big = bits != 1 or not carrier.adaptive_fits(len(data))
    else:
        too_big = len(body) > carrier.room or code > carrier.matrix_code(len(data))
    if too_big:
        raise CapacityError(
            f"the container needs {len(body)} bytes; the cover holds {carrier.room}")
    out = pixels.copy()
    flat = out.reshape(-1)
    changed = 0
    if encrypted:
        block = _symbols(data[: crypto.KEY_BLOCK_SIZE], 1)
        changed += write_symbols(flat, carrier.key_block_flat(), block, 1, rng)
    sequence = order(carrier.size, keys.order if encrypted else FIXED_KEY)
    if code == adaptive.CODE:
        changed += _write_ordered(flat, carrier, sequence, body[:HEADER_SIZE], 1, rng)
        stage(progress, HIDING)  # (the trellis of codecs.adaptive reports nothing)
        changed += _write_adaptive(out, carrier, sequence, bytes(body[HEADER_SIZE:]), rng)
    elif code:
        changed += _write_ordered(flat, carrier, sequence, body[:HEADER_SIZE], 1, rng)
        changed += _write_hamming(out, carrier, sequence, body[HEADER_SIZE:], code, rng,
                                  progress)
    else:
        changed += _write_ordered(flat, carrier, sequence, body, bits, rng, progress)
    return out, changed


def _find(pixels: np.ndarray, key: bytes, encrypted: bool) -> tuple[Header, bytes, int] | None:
    """Try each bit depth for a header along the order of ``key``: the header, the rest of
    the container and the carrier's room in bytes."""
    flat = pixels.reshape(-1)
    for bits in BITS:
        carrier = Carrier(pixels, bits, encrypted)
        if carrier.size * BLOCK < _slots(HEADER_SIZE, bits):
            continue
        sequence = order(carrier.size, key)
        raw = _read_ordered(flat, carrier, sequence, bits, HEADER_SIZE)
        room_after = carrier.room - HEADER_SIZE
        try:
            header = container.parse_header(raw, room=room_after)
        except NoPayloadError:
            continue
        rest = header.length + header.trailer_size()
        code = _hamming_code_of(header)
        if not code:
            data = _read_ordered(flat, carrier, sequence, bits, HEADER_SIZE + rest)
            return header, data[HEADER_SIZE:], carrier.room
        if code == adaptive.CODE and bits == 1:
            data = adaptive.read(_sweep_words(pixels, carrier, sequence)[1], sequence.column,
                                 rest)
            if data is None:
                raise AuthenticationError("integrity check failed: the header is damaged")
            return header, data, carrier.room
        if bits != 1 or code > MAX_CODE or \
                _slots(rest, code) > _hamming_capacity(carrier.size, code):
            raise AuthenticationError("integrity check failed: the header is damaged")
        return header, _read_hamming(pixels, carrier, sequence, rest, code), carrier.room
    return None


def extract(pixels: np.ndarray, *, unlock: Callable[[bytes], crypto.Keys] | None = None,
            max_record: int | None = None) -> Extracted:
    """Read the container an image carries.

    Parameters
    ----------
    pixels : ndarray, shape (H, W, C), uint8
    unlock : callable, optional
        Turns a key block (32 bytes, or 36 for version 1) into keys, from a passphrase or a
        private key. With it, only an encrypted container is returned: a plain one is
        refused, since anyone can write it. Without it only plain containers are found.
    max_record : int, optional
        The most bytes a compressed payload may inflate to (default
        :func:`stegokit.container.record_limit` of the carrier).

    Raises
    ------
    NoPayloadError
        Nothing found.
    AuthenticationError
        Wrong key, no encrypted message, or the data was damaged or tampered with.
    """
    _check(pixels)
    if unlock is not None:
        return _extract_sealed(pixels, unlock, max_record)
    found = _find(pixels, FIXED_KEY, encrypted=False)
    if not found:
        raise NoPayloadError(
            "no hidden message found (if it was encrypted, give the passphrase or --user)")
    header, rest, room = found
    payload = container.open_plain(header, rest,
                                   limit=container.record_limit(room, max_record))
    return Extracted(payload, header.codec, header.param, False)


def _extract_sealed(pixels: np.ndarray, unlock: Callable[[bytes], crypto.Keys],
                    max_record: int | None) -> Extracted:
    """The encrypted container, trying a version 2 key block, then a version 1 one."""
    carrier = Carrier(pixels, 4, encrypted=True)
    if carrier.size == 0:
        raise NoPayloadError("no hidden message found (the image is too small to hold one)")
    flat = pixels.reshape(-1)
    for size in (crypto.KEY_BLOCK_SIZE, crypto.V1_KEY_BLOCK_SIZE):
        block = _bytes(flat[carrier.key_block_flat(size)] & np.uint8(1), 1, size)
        try:
            keys = unlock(block)
        except NoPayloadError:  # not a version 1 key block
            continue
        found = _find(pixels, keys.order, encrypted=True)
        if found and found[0].encrypted:
            header, rest, room = found
            payload = container.open_sealed(block, header, rest, keys,
                                            limit=container.record_limit(room, max_record))
            return Extracted(payload, header.codec, header.param, True)
    if _find(pixels, FIXED_KEY, encrypted=False):
        raise AuthenticationError(
            "refused: this image carries a plain message, which anyone could have written, "
            "not one sealed with this passphrase or key (leave out the secret to read it)")
    raise AuthenticationError("authentication failed: wrong passphrase or key, or no message")
