"""Whole images inside images: pure NumPy, on top of the container and the LSB codec.

Three modes (the layout is specified in ``docs/hide-image.md``):

``lossless``
    The secret's image file (PNG or lossless WebP) is an ordinary container payload, written
    by the LSB codec (:mod:`.lsb`) at the fewest bits per value that hold it.
``nibble``
    The classic scheme: each secret byte split into two 4-bit symbols, one per cover value.
``planes``
    The top ``k`` bit planes of each secret value as a ``k``-bit symbol; reveal puts each
    value back at the mean of the secret's values that had its symbol, per channel (the
    "levels", which default to the middle of the symbol's range). The API stores the symbols
    packed as an image file (:func:`pack_planes`) when that takes fewer than ``k`` bits per
    value, else as a fixed-rate stream, one symbol per cover value.

The fixed-rate streams (``nibble`` and ``planes``) write a small container first, with
the LSB codec at :func:`header_depth` bits per value: its record
holds the secret's size, channel count, ``k``, the levels and a 32-byte tag of the symbol
stream. The symbols follow in the same spread order, from a position fixed by the largest
size that container can have. When there are more symbols than positions left (a secret with as many
values as the cover), the bits of the last symbols go one by one into bit ``depth`` of the
first stream values, which then carry ``depth + 1`` bits: a few hundred values out of
millions. Every value written is moved the least that gives it its new low bits (optimal
pixel adjustment, Wang, Lin and Lin, "Image hiding by optimal LSB substitution and genetic
algorithm", Pattern Recognition 34(3), 2001; Chan and Cheng, "Hiding data in images by
simple LSB substitution", Pattern Recognition 37(3), 2004).

Without a passphrase the tag is SHA-256 of the symbols. With one, the symbols are XORed with
an AES-CTR key stream and the tag is an HMAC-SHA256 of the masked symbols, both under keys
derived from the container's keys; the container itself is sealed as usual, so the record
and its tag are authenticated too, and the spread order is keyed.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import container, crypto
from ..container import CODEC_IMAGE, Payload
from ..errors import AuthenticationError, CapacityError, InputError
from ..progress import Progress, steps
from . import lsb
from .order import BLOCK, FIXED_KEY, order

LOSSLESS, NIBBLE, PLANES = "lossless", "nibble", "planes"
#: Layouts, the high nibble of the container's param byte: (mode, packed).
_LAYOUTS = {1: (LOSSLESS, True), 2: (NIBBLE, False), 3: (PLANES, False), 4: (PLANES, True)}
_LAYOUT_IDS = {v: k for k, v in _LAYOUTS.items()}
PLANE_BITS = (1, 2, 3, 4)
NIBBLE_DEPTH = 4

_RECORD_VERSION = 1
#: Levels travel as a (4, 16) uint8 table: up to 4 channels, up to 2**4 symbols.
_LEVELS_SHAPE = (4, 16)
_LEVELS_SIZE = 64
#: version | width | height | channels | k | tag | levels
_RECORD = struct.Struct(f">BIIBB32s{_LEVELS_SIZE}s")
_RECORD_SIZE = container.RECORD_OVERHEAD + _RECORD.size
_STREAM_KEY_LABEL = b"stegokit image stream key v1"
_STREAM_MAC_LABEL = b"stegokit image stream mac v1"
_DAMAGED = "integrity check failed: the hidden image is damaged"
#: Stage names (:mod:`stegokit.progress`).
HIDING, REVEALING = "Hiding the image", "Reading the hidden image"


def param(mode: str, depth: int, *, packed: bool) -> int:
    """The container's codec parameter byte: layout in the high nibble, depth in the low one.

    ``packed``: the payload is an image file carried by the LSB codec (``lossless``, and
    ``planes`` when its symbols compress); otherwise a fixed-rate stream follows.
    """
    return _LAYOUT_IDS[mode, packed] << 4 | depth


def split_param(value: int) -> tuple[str, bool, int]:
    """Inverse of :func:`param`: ``(mode, packed, depth)``; unknown is a damaged container."""
    layout, depth = _LAYOUTS.get(value >> 4), value & 0x0F
    if layout is None or depth not in PLANE_BITS:
        raise AuthenticationError("integrity check failed: the image header is damaged")
    return layout[0], layout[1], depth


def _levels_bytes(levels: np.ndarray | None) -> bytes:
    table = np.zeros(_LEVELS_SHAPE, dtype=np.uint8)
    if levels is not None:
        table[: levels.shape[0], : levels.shape[1]] = levels
    return table.tobytes()


def _levels_table(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype=np.uint8).reshape(_LEVELS_SHAPE)


def pack_planes(file: bytes, k: int, levels: np.ndarray) -> bytes:
    """The payload of packed ``planes``: ``k``, the levels table, then an image file of the
    symbols (from :func:`planes_symbols`, shaped like the secret)."""
    return bytes([k]) + _levels_bytes(levels) + file


def unpack_planes(data: bytes) -> tuple[int, np.ndarray, bytes]:
    """Inverse of :func:`pack_planes`: ``(k, levels (4, 16) uint8, file)``."""
    if len(data) <= 1 + _LEVELS_SIZE or data[0] not in PLANE_BITS:
        raise AuthenticationError(_DAMAGED)
    return data[0], _levels_table(data[1 : 1 + _LEVELS_SIZE]), data[1 + _LEVELS_SIZE :]


# --- the secret's side -----------------------------------------------------------------------

def planes_symbols(pixels: np.ndarray, k: int) -> np.ndarray:
    """The top ``k`` bit planes of each value of a secret image, as ``k``-bit symbols.

    Parameters
    ----------
    pixels : ndarray, shape (H, W, C), uint8
        C in 1..4 (L, LA, RGB, RGBA). Not modified.
    k : int
        Bit planes kept, 1 to 4.

    Returns
    -------
    ndarray, shape (H * W * C,), uint8, values in ``[0, 2**k)``
    """
    return pixels.reshape(-1) >> np.uint8(8 - k)


def planes_levels(pixels: np.ndarray, k: int) -> np.ndarray:
    """The value each ``k``-bit symbol stands for, per channel: the mean of the secret's values
    that have that symbol (the least squared error for these bins), rounded; the mid value of
    the bin when no value has it.

    Parameters
    ----------
    pixels : ndarray, shape (H, W, C), uint8
    k : int

    Returns
    -------
    ndarray, shape (C, 2**k), uint8
    """
    channels = pixels.shape[2]
    flat = pixels.reshape(-1, channels)
    hist = np.stack([np.bincount(flat[:, ch], minlength=256) for ch in range(channels)])
    bins = np.arange(256) >> (8 - k)
    counts = np.stack([np.bincount(bins, weights=row, minlength=1 << k) for row in hist])
    sums = np.stack([np.bincount(bins, weights=row * np.arange(256), minlength=1 << k)
                     for row in hist])
    mid = (np.arange(1 << k) << (8 - k)) + (1 << (7 - k))
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    return np.where(counts > 0, np.rint(means), mid).astype(np.uint8)


def planes_pixels(symbols: np.ndarray, shape: tuple[int, int, int],
                  levels: np.ndarray) -> np.ndarray:
    """The image ``k``-bit symbols stand for, through each channel's levels.

    Parameters
    ----------
    symbols : ndarray, shape (H * W * C,), uint8, values in ``[0, 2**k)``
    shape : (H, W, C)
    levels : ndarray, shape (C, 2**k), uint8
        From :func:`planes_levels`.

    Returns
    -------
    ndarray, shape (H, W, C), uint8
    """
    return np.take_along_axis(levels.T, symbols.reshape(-1, shape[2]), axis=0).reshape(shape)


def nibble_symbols(pixels: np.ndarray) -> np.ndarray:
    """Each value's high then low 4 bits: shape (2 * H * W * C,), uint8 in ``[0, 16)``."""
    values = pixels.reshape(-1)
    return np.stack([values >> np.uint8(4), values & np.uint8(15)], axis=1).reshape(-1)


def nibble_pixels(symbols: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """Inverse of :func:`nibble_symbols`: shape ``shape``, uint8."""
    pairs = symbols.reshape(-1, 2)
    return (pairs[:, 0] * np.uint8(16) | pairs[:, 1]).reshape(shape)  # (* 16: faster than <<)


# --- the stream's layout ---------------------------------------------------------------------

def header_depth(depth: int) -> int:
    """Bits per value of a fixed-rate stream's container: at least 2, because at 1 bit the LSB
    codec only writes in blocks free of 0 and 255, a set the stream could change."""
    return max(depth, 2)


def _header_bound(encrypted: bool) -> int:
    """The most carrier bytes the small container of a fixed-rate stream can take."""
    if encrypted:
        return container.HEADER_SIZE + crypto.sealed_size(_RECORD_SIZE)
    return container.HEADER_SIZE + _RECORD_SIZE + container.CRC_SIZE


@dataclass(frozen=True)
class _Layout:
    """Where a fixed-rate stream goes: order positions ``start`` to ``start + room - 1``."""

    blocks: int
    start: int
    room: int
    depth: int
    values: int
    channels: int

    @classmethod
    def of(cls, shape: tuple[int, ...], depth: int, encrypted: bool) -> _Layout:
        count = lsb.value_count(shape)
        blocks = count // BLOCK - (lsb.KEY_BLOCKS if encrypted else 0)
        start = -(-_header_bound(encrypted) * 8 // header_depth(depth))
        return cls(blocks, start, max(blocks * BLOCK - start, 0), depth, count, shape[2])

    def flat(self, values: np.ndarray) -> np.ndarray:
        """Indices into the raveled pixel array of value indices (alpha is skipped)."""
        if self.channels in (1, 3):
            return values
        pixel, channel = np.divmod(values, self.channels - 1)
        return pixel * self.channels + channel

    @property
    def capacity(self) -> int:
        """The most symbols: one per position, plus one bit more in up to every position,
        and never more symbols than the cover has values."""
        if self.blocks < 1:
            return 0
        return min(self.values, self.room + self.room // self.depth)

    def sweeps(self, count: int, key: bytes, progress: Progress | None = None,
               stage: str = ""):
        """The stream's positions for ``count`` symbols, one sweep of the order at a time (in
        memory order): ``(stream indices, value indices)`` pairs. Overflow symbols have none.
        ``progress`` hears of each sweep as a unit of ``stage``."""
        stop = self.start + min(count, self.room)
        sweeps = steps(progress, stage, order(self.blocks, key).layout(stop),
                       -(-stop // self.blocks))
        for positions, values in sweeps:
            keep = positions >= self.start
            yield positions[keep] - self.start, values[keep]


def max_symbols(shape: tuple[int, ...], depth: int, *, encrypted: bool) -> int:
    """How many ``depth``-bit symbols a cover of this shape holds (0 if none)."""
    return _Layout.of(shape, depth, encrypted).capacity


def capacities(pixels: np.ndarray, *, encrypted: bool) -> dict:
    """The largest secret each mode takes in a cover (JSON-ready).

    ``lossless``: image-file bytes per bit depth; ``nibble``: secret bytes of pixels and the
    RGB pixels they make; ``planes``: per ``k``, the RGB pixels (and their bytes) of the
    largest secret (an L secret may have three times as many pixels).
    """
    nibble = max_symbols(pixels.shape, NIBBLE_DEPTH, encrypted=encrypted) // 2
    planes = {str(k): max_symbols(pixels.shape, k, encrypted=encrypted) // 3
              for k in PLANE_BITS}
    return {
        "lossless_file_bytes": {str(bits): lsb.capacity(pixels, bits, encrypted=encrypted)
                                for bits in lsb.BITS},
        "nibble": {"bytes": nibble, "rgb_pixels": nibble // 3},
        "planes": {k: {"rgb_pixels": n, "bytes": 3 * n} for k, n in planes.items()},
    }


def _overflow_bits(symbols: np.ndarray, depth: int) -> np.ndarray:
    bits = np.unpackbits(symbols[:, None], axis=1)[:, 8 - depth :]
    return bits.reshape(-1)


def _stream_keys(keys: crypto.Keys) -> tuple[bytes, bytes]:
    return (hashlib.sha256(_STREAM_KEY_LABEL + keys.encryption).digest(),
            hashlib.sha256(_STREAM_MAC_LABEL + keys.mac).digest())


def _mask(symbols: np.ndarray, keys: crypto.Keys | None, depth: int) -> np.ndarray:
    """XOR the symbols with the stream's AES-CTR key stream (a new array; same without keys)."""
    if keys is None:
        return symbols
    stream = np.frombuffer(crypto.keystream(_stream_keys(keys)[0], symbols.size), np.uint8)
    return symbols ^ (stream & np.uint8((1 << depth) - 1))


def _tag(masked: np.ndarray, keys: crypto.Keys | None) -> bytes:
    if keys is None:
        return hashlib.sha256(masked).digest()
    return hmac.digest(_stream_keys(keys)[1], memoryview(masked), "sha256")


def embed_stream(pixels: np.ndarray, secret: np.ndarray, *, mode: str, k: int = 4,
                 lock: tuple[bytes, crypto.Keys] | None = None,
                 rng: np.random.Generator | int | None = None,
                 progress: Progress | None = None) -> tuple[np.ndarray, int]:
    """Hide a secret image with a fixed-rate mode (``nibble`` or ``planes``).

    Parameters
    ----------
    pixels : ndarray, shape (H, W, C), uint8
        The cover, C in 1..4; its colour values (not alpha) carry the data. Not modified.
    secret : ndarray, shape (h, w, c), uint8
        The secret image, c in 1..4. Not modified.
    mode : {"nibble", "planes"}
    k : int
        Bit planes of the secret kept by ``planes``, 1 to 4 (ignored by ``nibble``).
    lock : (key block, Keys), optional
        From :func:`stegokit.api.make_lock`: encrypt and scatter in a keyed order.
    rng : Generator or seed, optional
        For the +1/-1 steps at 1 bit per value.
    progress : callable, optional
        Hears of each sweep written (:mod:`stegokit.progress`).

    Returns
    -------
    stego : ndarray, same shape and dtype as ``pixels``
    changed : int
        How many values differ from the cover.

    Raises
    ------
    CapacityError
        The secret has more symbols than :func:`max_symbols` allows.
    """
    levels = None
    if mode == PLANES:
        if k not in PLANE_BITS:
            raise InputError("planes keeps 1, 2, 3 or 4 bit planes (--bits)")
        depth, symbols, levels = k, planes_symbols(secret, k), planes_levels(secret, k)
    elif mode == NIBBLE:
        depth, symbols = NIBBLE_DEPTH, nibble_symbols(secret)
    else:
        raise ValueError(f"not a fixed-rate mode: {mode!r}")
    rng = np.random.default_rng(rng)
    keys = lock[1] if lock else None
    layout = _Layout.of(pixels.shape, depth, keys is not None)
    if symbols.size > layout.capacity:
        raise CapacityError(f"the secret needs {symbols.size} values; the cover holds "
                            f"{layout.capacity} at {depth} bits")
    masked = _mask(symbols, keys, depth)
    h, w, c = secret.shape
    record = _RECORD.pack(_RECORD_VERSION, w, h, c, k if mode == PLANES else 0,
                          _tag(masked, keys), _levels_bytes(levels))
    data = container.pack(Payload(record, "image"), codec=CODEC_IMAGE,
                          param=param(mode, depth, packed=False), lock=lock)
    stego, changed = lsb.embed(pixels, data, bits=header_depth(depth), keys=keys, rng=rng)
    flat = stego.reshape(-1)
    extra = _overflow_bits(masked[layout.room :], depth)
    for index, where in layout.sweeps(masked.size, keys.order if keys else FIXED_KEY, progress,
                                      HIDING):
        symbols = masked[index]
        head = index < extra.size
        if head.any():
            symbols[head] |= extra[index[head]] * np.uint8(1 << depth)  # (<< depth)
            changed += lsb.write_symbols(flat, layout.flat(where[head]), symbols[head],
                                         depth + 1, rng)
            where, symbols = where[~head], symbols[~head]
        changed += lsb.write_symbols(flat, layout.flat(where), symbols, depth, rng)
    return stego, changed


# --- reading ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Revealed:
    """What an image carries: the secret's pixels (fixed-rate) or an image file (packed).

    For packed ``planes`` the file holds the symbols; ``k`` and ``levels`` turn them into
    pixels with :func:`planes_pixels`.
    """

    mode: str
    depth: int
    encrypted: bool
    packed: bool
    pixels: np.ndarray | None = None
    data: bytes = b""
    name: str = ""
    k: int = 0
    levels: np.ndarray | None = None


class _KeptKeys:
    """An unlock function that remembers the keys it derived (the stream needs them too)."""

    def __init__(self, unlock: Callable[[bytes], crypto.Keys]):
        self._unlock = unlock
        self.keys: crypto.Keys | None = None

    def __call__(self, block: bytes) -> crypto.Keys:
        self.keys = self._unlock(block)
        return self.keys


def _read_stream(pixels: np.ndarray, count: int, layout: _Layout, key: bytes,
                 progress: Progress | None = None) -> np.ndarray:
    """The ``count`` stream symbols (overflow included) an image carries, uint8."""
    depth = layout.depth
    overflow = max(count - layout.room, 0)
    symbols = np.empty(count, dtype=np.uint8)
    extra = np.empty(overflow * depth, dtype=np.uint8)
    flat = pixels.reshape(-1)
    for index, where in layout.sweeps(count, key, progress, REVEALING):
        got = flat[layout.flat(where)]
        symbols[index] = got & np.uint8((1 << depth) - 1)
        head = index < extra.size
        extra[index[head]] = (got[head] >> np.uint8(depth)) & np.uint8(1)
    if overflow:
        weights = (1 << np.arange(depth - 1, -1, -1)).astype(np.uint8)
        symbols[layout.room :] = extra.reshape(overflow, depth) @ weights
    return symbols


def extract(pixels: np.ndarray, *, unlock: Callable[[bytes], crypto.Keys] | None = None,
            max_record: int | None = None, progress: Progress | None = None) -> Revealed:
    """Read the secret image a stego image carries; mode and depth come from its header.

    Parameters
    ----------
    pixels : ndarray, shape (H, W, C), uint8
    unlock : callable, optional
        Turns a key block into keys (see :func:`stegokit.api.make_unlock`); with it only an
        encrypted image is returned.
    max_record : int, optional
        The most bytes a compressed image file may inflate to (:func:`lsb.extract`).
    progress : callable, optional
        Hears of each sweep of a fixed-rate stream read (:mod:`stegokit.progress`).

    Returns
    -------
    Revealed
        ``pixels`` (h, w, c) uint8 for ``nibble`` and ``planes``; ``data`` (the image file)
        for ``lossless``.

    Raises
    ------
    NoPayloadError
        Nothing hidden (or encrypted and no secret given).
    InputError
        The image carries a text or file (from ``embed-text``), not an image.
    AuthenticationError
        Wrong passphrase or key, or the data was damaged or tampered with.
    """
    kept = _KeptKeys(unlock) if unlock is not None else None
    found = lsb.extract(pixels, unlock=kept, max_record=max_record)
    if found.codec != CODEC_IMAGE or found.payload.kind != "image":
        what = container.CODEC_NAMES[found.codec]
        raise InputError(f"this image carries a {found.payload.kind} hidden with the {what} "
                         "codec, not an image: use stegokit extract-text")
    mode, packed, depth = split_param(found.param)
    keys = kept.keys if found.encrypted and kept is not None else None
    if mode == LOSSLESS:
        return Revealed(mode, depth, found.encrypted, packed, data=found.payload.data,
                        name=found.payload.name)
    if packed:
        k, levels, file = unpack_planes(found.payload.data)
        return Revealed(mode, depth, found.encrypted, packed, data=file, k=k, levels=levels)
    if len(found.payload.data) != _RECORD.size:
        raise AuthenticationError(_DAMAGED)
    version, w, h, c, k, tag, levels = _RECORD.unpack(found.payload.data)
    per_value = 2 if mode == NIBBLE else 1
    layout = _Layout.of(pixels.shape, depth, found.encrypted)
    count = w * h * c * per_value
    if (version != _RECORD_VERSION or c not in (1, 2, 3, 4) or count > layout.capacity
            or count == 0 or (mode == PLANES and k != depth)):
        raise AuthenticationError(_DAMAGED)
    masked = _read_stream(pixels, count, layout, keys.order if keys else FIXED_KEY, progress)
    if not hmac.compare_digest(_tag(masked, keys), tag):
        raise AuthenticationError(_DAMAGED)
    symbols = _mask(masked, keys, depth)
    shape = (h, w, c)
    if mode == NIBBLE:
        secret = nibble_pixels(symbols, shape)
    else:
        table = _levels_table(levels)
        secret = planes_pixels(symbols, shape, table[:c, : 1 << k])
    return Revealed(mode, depth, found.encrypted, packed, pixels=secret, k=k)
