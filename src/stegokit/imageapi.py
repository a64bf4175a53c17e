"""The library API for whole images: :func:`hide_image` and :func:`reveal_image`.

Covers and secrets are paths, ``PIL.Image.Image`` objects or uint8 arrays (H, W[, C]).
The layout on the pixels is :mod:`stegokit.codecs.imagehide`'s (``docs/hide-image.md``).
"""

from __future__ import annotations

import math
import os
import struct
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from . import container, crypto, images
from .api import make_lock, make_unlock
from .codecs import imagehide, lsb
from .codecs.imagehide import LOSSLESS, NIBBLE, PLANES
from .container import Payload
from .errors import AuthenticationError, CapacityError, InputError
from .images import Picture
from .metrics import psnr
from .progress import Progress, stage

AUTO = "auto"
MODES = (AUTO, LOSSLESS, NIBBLE, PLANES)
DEFAULT_PLANES = 4
#: The stage of encoding the secret as image files (:mod:`stegokit.progress`).
PACKING = "Packing the secret"
_WEBP_MAX_SIDE = 16383


@dataclass(frozen=True)
class HideResult:
    """A stego image carrying a secret image, and how it was made.

    ``bits`` is the number of low bits written per cover value; ``k`` the secret's bit
    planes kept by ``planes`` (None otherwise); ``packed`` whether the secret travels as an
    image file (``lossless``, and ``planes`` when its symbols compress) rather than a
    fixed-rate stream; ``secret_psnr`` the PSNR the revealed secret will have (``inf``: exact).
    """

    picture: Picture
    mode: str
    bits: int
    encrypted: bool
    cover_psnr: float
    secret_psnr: float
    secret_size: tuple[int, int]
    secret_mode: str
    secret_format: str | None
    stored_bytes: int
    changed: int
    packed: bool = True
    k: int | None = None
    resized_from: tuple[int, int] | None = None
    secret_metadata_removed: tuple[str, ...] = ()

    @property
    def pixels(self) -> np.ndarray:
        return self.picture.pixels

    @property
    def exact(self) -> bool:
        return not math.isfinite(self.secret_psnr)

    @property
    def notices(self) -> tuple[str, ...]:
        """What loading the cover and the secret changed (conversions, dropped bits), and
        the secret's private metadata left out."""
        left_out = ()
        if self.secret_metadata_removed:
            left_out = ("left out of the hidden image's metadata: "
                        f"{', '.join(self.secret_metadata_removed)}",)
        return self.picture.notices + left_out

    def save(self, path: str | os.PathLike, *, force: bool = False,
             keep_metadata: bool = False, progress: Progress | None = None) -> tuple[str, ...]:
        """Write the stego image (lossless formats only).

        The cover's GPS position, serial numbers and the like are left out unless
        ``keep_metadata`` (:func:`images.strip_private_metadata`); returns what was left out.
        """
        return images.save(self.picture, path, force=force, keep_metadata=keep_metadata,
                           progress=progress)


@dataclass(frozen=True)
class RevealResult:
    """A revealed secret image.

    ``bits`` is the number of low bits per cover value that carried it, ``k`` the bit planes
    kept by ``planes``; ``data`` is the hidden image file itself (``lossless`` mode, format
    ``data_format``); ``exact`` tells whether every pixel is the original's.
    """

    picture: Picture
    mode: str
    bits: int
    encrypted: bool
    data: bytes = b""
    data_format: str | None = None
    name: str = ""
    k: int | None = None

    @property
    def pixels(self) -> np.ndarray:
        return self.picture.pixels

    @property
    def exact(self) -> bool:
        return self.mode != PLANES

    def save(self, path: str | os.PathLike, *, force: bool = False,
             progress: Progress | None = None) -> None:
        """Write the secret: PNG when the path has no extension; lossy formats only for
        ``planes``. A hidden file of the same format is written byte for byte."""
        fmt = output_format(path, exact=self.exact)
        stage(progress, f"Writing {fmt}")
        data = self.data if self.data and fmt == self.data_format else images.encode(
            self.picture, fmt)
        images.write_atomic(path, data, force=force)


def output_format(path: str | os.PathLike, *, exact: bool) -> str:
    """The format a revealed secret is written in: by extension, PNG without one."""
    if not Path(path).suffix:
        return "PNG"
    return images.output_format(path, lossless=exact)


# --- the secret's image file (lossless mode) ------------------------------------------------

def _webp_is_lossless(data: bytes) -> bool:
    """Whether a WebP file is a single lossless (VP8L) image, by walking its RIFF chunks."""
    chunks, offset = set(), 12
    while offset + 8 <= len(data):
        fourcc, size = struct.unpack_from("<4sI", data, offset)
        chunks.add(fourcc)
        offset += 8 + size + (size & 1)
    return b"VP8L" in chunks and not chunks & {b"VP8 ", b"ANIM"}


def _original_file(data: bytes, picture: Picture) -> bytes | None:
    """The secret's own file bytes when they are already a lossless PNG or WebP of exactly
    the pixels that were loaded (no conversion, no other frames)."""
    if picture.notices:
        return None
    if picture.source_format == "PNG" or (
            picture.source_format == "WEBP" and _webp_is_lossless(data)):
        return data
    return None


@dataclass(frozen=True)
class _Secret:
    picture: Picture
    name: str
    original: bytes | None
    #: What :func:`images.strip_private_metadata` took out (GPS position...): the secret's
    #: own file is stored only when there was nothing to take out.
    metadata_removed: tuple[str, ...] = ()

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.picture.pixels.shape

    def files(self):
        """Candidate image files, cheapest first: the original, then :func:`_smallest_file`."""
        if self.original is not None:
            yield self.original, self.picture.source_format, self.name
        data, fmt = _smallest_file(self.picture)
        yield data, fmt, f"{Path(self.name).stem or 'secret'}.{fmt.lower()}"


def _smallest_file(picture: Picture) -> tuple[bytes, str]:
    """The smaller of a PNG and (RGB/RGBA only) a lossless WebP of a picture."""
    h, w, c = picture.pixels.shape
    files = [(images.encode(picture, "PNG", compact=True), "PNG")]
    if c in (3, 4) and max(h, w) <= _WEBP_MAX_SIDE:
        files.append((images.encode(picture, "WEBP", compact=True), "WEBP"))
    return min(files, key=lambda item: len(item[0]))


def _load_secret(secret) -> _Secret:
    if isinstance(secret, (str, os.PathLike)):
        name = os.fspath(secret)
        try:
            data = Path(secret).read_bytes()
        except FileNotFoundError:
            raise InputError(f"{name}: no such file") from None
        except OSError as exc:
            raise InputError(f"{name}: cannot read ({exc.strerror})") from None
        picture, removed = images.strip_private_metadata(images.load_bytes(data, name))
        original = None if removed else _original_file(data, picture)
        return _Secret(picture, Path(name).name, original, removed)
    picture, removed = images.strip_private_metadata(images.load(secret))
    return _Secret(picture, "", None, removed)


# --- hiding ----------------------------------------------------------------------------------

def _too_large(cover: np.ndarray, secret: _Secret, encrypted: bool, k: int,
               smallest: int | None) -> CapacityError:
    shape = cover.shape
    h, w, c = secret.shape
    lossless = lsb.capacity(cover, 4, encrypted=encrypted, name=secret.name)
    nibble = imagehide.max_symbols(shape, imagehide.NIBBLE_DEPTH, encrypted=encrypted) // 2
    planes = imagehide.max_symbols(shape, k, encrypted=encrypted)
    about = ""
    if smallest:
        about = (f" (about {int(lossless / smallest * h * w):,} pixels of this image, whose "
                 f"smallest file is {smallest:,} bytes)")
    return CapacityError(
        f"the secret image ({w}×{h} {secret.picture.mode}, {h * w * c:,} bytes of pixels) does not "
        f"fit in this {shape[1]}×{shape[0]} cover{' encrypted' if encrypted else ''}. "
        f"Largest secret: lossless {lossless:,} bytes of PNG/WebP file{about}; "
        f"nibble {nibble // c:,} pixels ({nibble:,} bytes); planes with --bits {k} "
        f"{planes // c:,} pixels ({planes:,} bytes), or add --resize to shrink it to fit"
    )


def _fit_lossless(secret: _Secret, cover: np.ndarray, encrypted: bool,
                  max_bits: int) -> tuple[tuple[bytes, str, str, int] | None, int]:
    """The first candidate file that fits at <= ``max_bits``, its bit depth, and the
    smallest file size seen."""
    smallest = 0
    for data, fmt, name in secret.files():
        smallest = min(smallest or len(data), len(data))
        for bits in range(1, max_bits + 1):
            if len(data) <= lsb.capacity(cover, bits, encrypted=encrypted, name=name):
                return (data, fmt, name, bits), smallest
    return None, smallest


def _fit_planes(secret: _Secret, shape: tuple, encrypted: bool, k: int) -> _Secret:
    """The secret scaled down (aspect kept) to the most pixels ``planes`` holds at ``k``."""
    h, w, c = secret.shape
    room = imagehide.max_symbols(shape, k, encrypted=encrypted) // c
    scale = math.sqrt(room / (h * w))
    width, height = max(int(w * scale), 1), max(int(h * scale), 1)
    while width * height > room and width > 1 and height > 1:
        width, height = (width - 1, height) if width * h > height * w else (width, height - 1)
    if width * height > room:
        raise CapacityError("this cover is too small to hold any secret image")
    return _Secret(images.resized(secret.picture, width, height), secret.name, None,
                   secret.metadata_removed)


def hide_image(
    cover,
    secret,
    *,
    mode: str = AUTO,
    bits: int | None = None,
    resize: bool = False,
    passphrase: str | bytes | None = None,
    recipient: bytes | None = None,
    kdf: crypto.KdfParams | None = None,
    rng: np.random.Generator | int | None = None,
    progress: Progress | None = None,
) -> HideResult:
    """Hide a whole image inside a cover image.

    Parameters
    ----------
    cover, secret : path, PIL.Image.Image or ndarray (H, W[, C]) uint8
        The cover's colour values carry the data; the secret may be L, LA, RGB or RGBA.
    mode : {"auto", "lossless", "nibble", "planes"}
        ``lossless``: the secret's PNG/WebP file at the fewest bits per value that hold it
        (at most ``bits``, default 4). ``nibble``: the classic two 4-bit halves per secret
        byte, exact. ``planes``: the secret's top ``bits`` (default 4) bit planes, one
        value each, for a secret as large as the cover. ``auto``: ``lossless`` if it fits
        at 4 bits or fewer, else ``planes``.
    bits : int, optional
        1 to 4, see ``mode``. ``nibble`` always writes 4.
    resize : bool
        Let ``planes`` (or ``auto`` falling back to it) scale a too-large secret down.
    passphrase, recipient : optional
        Encrypt with a passphrase, or seal to a recipient's 32-byte X25519 public key.
    kdf : KdfParams, optional
        Argon2id cost for a passphrase (default ``crypto.DEFAULT_KDF``).
    rng : Generator or seed, optional
    progress : callable, optional
        ``progress(stage, done, total)`` as the work goes (:mod:`stegokit.progress`).

    Returns
    -------
    HideResult
        ``.save(path)`` writes it; ``.cover_psnr`` and ``.secret_psnr`` measure it.

    Raises
    ------
    CapacityError
        The secret does not fit; the message gives the largest secret per mode.
    """
    if mode not in MODES:
        raise InputError(f"--mode must be one of {', '.join(MODES)}")
    if bits is not None and bits not in lsb.BITS:
        raise InputError("--bits must be 1, 2, 3 or 4")
    if mode == NIBBLE and bits not in (None, imagehide.NIBBLE_DEPTH):
        raise InputError("nibble always writes 4 bits per value: leave out --bits")
    if resize and mode in (LOSSLESS, NIBBLE):
        raise InputError("--resize only applies to --mode planes or auto")
    rng = np.random.default_rng(rng)
    stage(progress, "Reading the cover")
    cover_picture = images.load(cover)
    stage(progress, "Reading the secret")
    source = _load_secret(secret)
    lock = make_lock(passphrase, recipient, kdf)
    encrypted = lock is not None
    shape = cover_picture.pixels.shape
    k = bits or DEFAULT_PLANES
    smallest = None
    if mode in (AUTO, LOSSLESS):
        stage(progress, PACKING)
        fitted, smallest = _fit_lossless(source, cover_picture.pixels, encrypted,
                                         bits if mode == LOSSLESS and bits else 4)
        if fitted is not None:
            return _hide_lossless(cover_picture, source, fitted, lock, rng, progress)
        if mode == LOSSLESS:
            raise _too_large(cover_picture.pixels, source, encrypted, k, smallest)
    depth = imagehide.NIBBLE_DEPTH if mode == NIBBLE else k
    per_value = 2 if mode == NIBBLE else 1
    h, w, c = source.shape
    resized_from = None
    if h * w * c * per_value > imagehide.max_symbols(shape, depth, encrypted=encrypted):
        if not resize:
            raise _too_large(cover_picture.pixels, source, encrypted, k, smallest)
        source, resized_from = _fit_planes(source, shape, encrypted, k), (w, h)
    if mode == NIBBLE:
        return _hide_stream(cover_picture, source, NIBBLE, k, lock, rng, resized_from,
                            progress=progress)
    return _hide_planes(cover_picture, source, k, lock, rng, resized_from, progress)


def _hide_planes(cover: Picture, secret: _Secret, k: int, lock, rng: np.random.Generator,
                 resized_from: tuple[int, int] | None,
                 progress: Progress | None = None) -> HideResult:
    """``planes``: the symbols as an image file at fewer than ``k`` bits per value when they
    compress that far (less distortion), else the fixed-rate stream at ``k``."""
    pixels = secret.picture.pixels
    symbols = imagehide.planes_symbols(pixels, k)
    levels = imagehide.planes_levels(pixels, k)
    secret_psnr = psnr(pixels, imagehide.planes_pixels(symbols, pixels.shape, levels))
    encrypted = lock is not None
    stage(progress, PACKING)
    file, fmt = _smallest_file(Picture(symbols.reshape(pixels.shape)))
    data = imagehide.pack_planes(file, k, levels)
    for bits in range(1, k):
        if len(data) <= lsb.capacity(cover.pixels, bits, encrypted=encrypted):
            packed = container.pack(Payload(data, "image"), codec=container.CODEC_IMAGE,
                                    param=imagehide.param(PLANES, bits, packed=True), lock=lock)
            stego, changed = lsb.embed(cover.pixels, packed, bits=bits,
                                       keys=lock[1] if lock else None, rng=rng,
                                       progress=progress)
            return _result(cover, stego, secret, PLANES, bits, encrypted, secret_psnr, fmt,
                           len(data), changed, True, resized_from, k)
    return _hide_stream(cover, secret, PLANES, k, lock, rng, resized_from, secret_psnr,
                        progress)


def _hide_stream(cover: Picture, secret: _Secret, mode: str, k: int, lock,
                 rng: np.random.Generator, resized_from: tuple[int, int] | None,
                 secret_psnr: float = math.inf,
                 progress: Progress | None = None) -> HideResult:
    pixels = secret.picture.pixels
    stego, changed = imagehide.embed_stream(cover.pixels, pixels, mode=mode, k=k, lock=lock,
                                            rng=rng, progress=progress)
    depth = imagehide.NIBBLE_DEPTH if mode == NIBBLE else k
    symbols = pixels.size * (2 if mode == NIBBLE else 1)
    return _result(cover, stego, secret, mode, depth, lock is not None, secret_psnr, None,
                   math.ceil(symbols * depth / 8), changed, False, resized_from,
                   k if mode == PLANES else None)


def _result(cover: Picture, stego: np.ndarray, secret: _Secret, mode: str, bits: int,
            encrypted: bool, secret_psnr: float, fmt: str | None, stored: int, changed: int,
            packed: bool, resized_from: tuple[int, int] | None = None,
            k: int | None = None) -> HideResult:
    h, w = secret.shape[:2]
    picture = replace(cover.with_pixels(stego), notices=cover.notices + secret.picture.notices)
    return HideResult(
        picture=picture, mode=mode, bits=bits, encrypted=encrypted,
        cover_psnr=psnr(cover.pixels, stego), secret_psnr=secret_psnr, secret_size=(w, h),
        secret_mode=secret.picture.mode, secret_format=fmt, stored_bytes=stored, changed=changed,
        packed=packed, k=k, resized_from=resized_from,
        secret_metadata_removed=secret.metadata_removed,
    )


def _hide_lossless(cover: Picture, secret: _Secret, fitted: tuple[bytes, str, str, int],
                   lock, rng: np.random.Generator,
                   progress: Progress | None = None) -> HideResult:
    data, fmt, name, bits = fitted
    packed = container.pack(Payload(data, "image", name), codec=container.CODEC_IMAGE,
                            param=imagehide.param(LOSSLESS, bits, packed=True), lock=lock)
    pixels, changed = lsb.embed(cover.pixels, packed, bits=bits,
                                keys=lock[1] if lock else None, rng=rng, progress=progress)
    return _result(cover, pixels, secret, LOSSLESS, bits, lock is not None, math.inf, fmt,
                   len(data), changed, True)


# --- revealing -------------------------------------------------------------------------------

#: A hidden image file may decode to at most this many pixels per stored byte (an honest
#: PNG of a flat screenshot rarely does better), and at least ``_MIN_HIDDEN_PIXELS``.
HIDDEN_PIXELS_PER_BYTE = 64
_MIN_HIDDEN_PIXELS = 1 << 20


def _hidden_pixel_limit(stored: bytes) -> int:
    return min(images.max_pixels(), max(_MIN_HIDDEN_PIXELS, HIDDEN_PIXELS_PER_BYTE * len(stored)))


def reveal_image(stego, *, passphrase: str | bytes | None = None,
                 private_key: bytes | None = None, kdf: crypto.KdfParams | None = None,
                 max_payload: int | None = None,
                 progress: Progress | None = None) -> RevealResult:
    """Recover the image :func:`hide_image` hid; mode, depth and encryption are detected.

    With a passphrase or private key only an encrypted image is returned (``kdf`` must be
    the cost it was hidden with, default ``crypto.DEFAULT_KDF``). A hidden image file may
    inflate to ``max_payload`` bytes (default: :func:`stegokit.container.record_limit`) and
    decode to at most :data:`HIDDEN_PIXELS_PER_BYTE` pixels per byte stored. ``progress``
    hears of the stages (:mod:`stegokit.progress`).

    Raises NoPayloadError (nothing found), InputError (a text or file, not an image; an
    image larger than its stored size can honestly hold) or AuthenticationError (wrong
    secret, a plain image when a secret was given, damaged data).
    """
    stage(progress, "Reading the image")
    picture = images.load(stego)
    stage(progress, "Looking for a hidden image")
    found = imagehide.extract(picture.pixels, unlock=make_unlock(passphrase, private_key, kdf),
                              max_record=max_payload, progress=progress)
    if found.mode == LOSSLESS:
        secret = images.load_bytes(found.data, found.name or "the hidden image",
                                   max_pixels=_hidden_pixel_limit(found.data))
        return RevealResult(Picture(secret.pixels, secret.info), found.mode, found.depth,
                            found.encrypted, found.data, secret.source_format, found.name)
    if found.packed:
        codes = images.load_bytes(found.data, "the hidden image",
                                  max_pixels=_hidden_pixel_limit(found.data)).pixels
        channels = codes.shape[2]
        if codes.max() >> found.k:
            raise AuthenticationError("integrity check failed: the hidden image is damaged")
        pixels = imagehide.planes_pixels(codes.reshape(-1), codes.shape,
                                         found.levels[:channels, : 1 << found.k])
        return RevealResult(Picture(pixels), found.mode, found.depth, found.encrypted,
                            k=found.k)
    return RevealResult(Picture(found.pixels), found.mode, found.depth, found.encrypted,
                        k=found.k if found.mode == PLANES else None)
