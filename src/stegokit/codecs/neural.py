"""Robust neural codec: a short message that survives JPEG, resizing, turns and mirroring.

An ONNX encoder sees a ``SIZE`` x ``SIZE`` copy of the cover and returns a residual,
which a small ONNX graph (``compose``) upsamples bilinearly to the full image and adds
there; above ``BAND_PIXELS`` it does so a band of rows at a time (the rows interpolated
here), so that the float working memory stays bounded; the ONNX decoder reads a
``SIZE`` x ``SIZE`` copy of the stego image. The raw bits carry a framed, CRC-checked,
Reed-Solomon protected and whitened message (see ``neural_ecc``), so :func:`extract`
returns the exact message or raises :class:`~stegokit.errors.NoPayloadError`; it also
tries the image turned back by a quarter, half and three-quarter turn and mirrored
(``VIEWS``, one batched decoder call), which undoes a viewer's EXIF rotation or a flip.
:func:`embed` reads its own result back and re-embeds more strongly when too many raw
bits come out wrong (textured photos).
Runtime needs numpy, Pillow and onnxruntime only; onnxruntime is imported lazily.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stegokit import images
from stegokit.codecs.neural_ecc import CAPACITY, RAW_BITS, decode, encode
from stegokit.codecs.neural_model import session
from stegokit.errors import InputError, NoPayloadError

__all__ = ["CAPACITY", "MIN_SIDE", "VIEWS", "Reading", "embed", "extract", "read"]

SIZE = 128
MIN_SIDE = 128
# embed reads its result back; above this many wrong raw bits (of 512) it re-embeds at
# the next strength. Chosen on validation photos (training/README.md): most photos stop
# at 0.9x, textured ones need 1.1-2x.
MAX_OWN_ERRORS = 16
BOOSTS = (0.9, 1.1, 1.25, 1.5, 2.0)
#: Pixels per ``compose`` call: a larger image is composed in bands of about this many
#: pixels, which keeps the float32 planes of a call near 25 MB each at any image size
#: (12 MP: 0.4 GB peak instead of 0.9 GB, and faster). 1920 x 1080 is still one call.
BAND_PIXELS = 1 << 21
#: What extract applies to the image before decoding, in order: nothing, a quarter, half
#: and three-quarter turn counter-clockwise, and a left-right mirror.
VIEWS = ("none", "rotate90", "rotate180", "rotate270", "mirror")


@dataclass(frozen=True)
class Reading:
    """A recovered message and the view of ``VIEWS`` it was read in."""

    message: bytes
    view: str


def _check_pixels(pixels: np.ndarray) -> None:
    if not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8:
        raise InputError("the neural codec needs a uint8 RGB pixel array")
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise InputError(f"the neural codec needs an (H, W, 3) RGB array, got {pixels.shape}")
    if min(pixels.shape[:2]) < MIN_SIDE:
        h, w = pixels.shape[:2]
        raise InputError(
            f"image is {w}x{h} px; the neural codec needs a short side of at least {MIN_SIDE} px"
        )


def _small(pixels: np.ndarray) -> np.ndarray:
    """``(1, 3, SIZE, SIZE)`` float32 in [0, 1]: the model's view of ``pixels``."""
    img = images.resample(pixels, SIZE, SIZE)
    return (np.asarray(img, dtype=np.float32) / 255).transpose(2, 0, 1)[None]


def embed(pixels: np.ndarray, message: bytes, *, strength: float = 1.0) -> np.ndarray:
    """Hide ``message`` in an image.

    Parameters
    ----------
    pixels : numpy.ndarray
        ``(H, W, 3)`` uint8 RGB in [0, 255], short side >= ``MIN_SIDE``; not modified.
    message : bytes
        At most ``CAPACITY`` bytes.
    strength : float
        Scale of the hidden residual; 1.0 is what the model was trained for. Larger is
        more robust and more visible. The first attempt is at ``BOOSTS[0]`` times this;
        while the decoder, reading the result back, gets more than ``MAX_OWN_ERRORS`` raw
        bits wrong (textured photos), the image is re-embedded at the next factor of
        ``BOOSTS``, and the best attempt is returned.

    Returns
    -------
    numpy.ndarray
        New ``(H, W, 3)`` uint8 RGB array, the stego image.

    Raises
    ------
    InputError
        Not an RGB uint8 array, or the short side is below ``MIN_SIDE``.
    CapacityError
        ``message`` is longer than ``CAPACITY`` bytes.
    """
    _check_pixels(pixels)
    bits = encode(bytes(message))
    residual = _residual(pixels, bits)
    best, best_errors = pixels, RAW_BITS + 1
    for boost in BOOSTS:
        stego = _compose(pixels, residual, strength * boost)
        errors = int(((_logits(stego) > 0) != (bits > 0.5)).sum())
        if errors < best_errors:
            best, best_errors = stego, errors
        if errors <= MAX_OWN_ERRORS:
            break
    return best


def _residual(pixels: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """``(1, 3, SIZE, SIZE)`` float32 residual carrying raw ``bits`` (``RAW_BITS`` 0/1)."""
    return session("encoder").run(None, {"cover": _small(pixels), "bits": bits[None]})[0]


def _compose(pixels: np.ndarray, residual: np.ndarray, strength: float) -> np.ndarray:
    """``pixels`` plus ``residual`` x ``strength``, upsampled bilinearly, rounded, clipped."""
    height, width = pixels.shape[:2]
    scale = np.array(255 * strength, np.float32)
    rows = max(1, BAND_PIXELS // width)
    if rows >= height:  # one call: the graph resizes the residual both ways
        return _compose_band(pixels, residual, scale)
    lower, upper, weight = _row_weights(height)
    stego = np.empty_like(pixels)
    for top in range(0, height, rows):
        band = slice(top, top + rows)
        # the residual's rows for this band, so that the graph only resizes the columns
        part = residual[:, :, lower[band]] * (1 - weight[band, None])
        part += residual[:, :, upper[band]] * weight[band, None]
        stego[band] = _compose_band(pixels[band], part, scale)
    return stego


def _compose_band(pixels: np.ndarray, residual: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return session("compose").run(
        None, {"image": np.ascontiguousarray(pixels), "residual": residual, "scale": scale})[0]


def _row_weights(height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bilinear upsampling of ``SIZE`` rows to ``height`` with half-pixel centres (torch's
    ``align_corners=False``, ONNX ``half_pixel``): each row's two source rows and weight."""
    source = (np.arange(height, dtype=np.float32) + 0.5) * np.float32(SIZE / height) - 0.5
    source = np.maximum(source, 0)
    lower = source.astype(np.intp)
    return lower, np.minimum(lower + 1, SIZE - 1), (source - lower).astype(np.float32)


def read(pixels: np.ndarray) -> Reading:
    """Find the message hidden by :func:`embed`, and the view it was read in.

    The decoder reads the image in every view of ``VIEWS`` (one batched call); the
    first view whose frame checks wins.

    Parameters
    ----------
    pixels : numpy.ndarray
        ``(H, W, 3)`` uint8 RGB in [0, 255], short side >= ``MIN_SIDE``.

    Returns
    -------
    Reading
        The exact message and the view that gave it.

    Raises
    ------
    NoPayloadError
        No message could be recovered (never a damaged one).
    InputError
        Not an RGB uint8 array, or the short side is below ``MIN_SIDE``.
    """
    _check_pixels(pixels)
    small = _small(pixels)
    batch = np.concatenate([_view(small, name) for name in VIEWS])
    for name, logits in zip(VIEWS, _decoder(batch), strict=True):
        try:
            return Reading(decode(logits), name)
        except NoPayloadError:
            continue
    raise NoPayloadError("no neural-codec message found in this image")


def extract(pixels: np.ndarray) -> bytes:
    """The exact message hidden by :func:`embed` (see :func:`read`).

    Raises
    ------
    NoPayloadError
        No message could be recovered (never a damaged one).
    InputError
        Not an RGB uint8 array, or the short side is below ``MIN_SIDE``.
    """
    return read(pixels).message


def _view(small: np.ndarray, name: str) -> np.ndarray:
    """``small`` ``(1, 3, SIZE, SIZE)`` under one of ``VIEWS``. It is square, so turning
    it equals turning the image before the resize."""
    if name == "mirror":
        return small[..., ::-1]
    turns = {"none": 0, "rotate90": 1, "rotate180": 2, "rotate270": 3}[name]
    return np.rot90(small, turns, axes=(2, 3))


def _decoder(views: np.ndarray) -> np.ndarray:
    """``(N, RAW_BITS)`` float32 decoder logits (> 0 means bit 1) for ``(N, 3, SIZE, SIZE)``
    model views."""
    return session("decoder").run(None, {"image": np.ascontiguousarray(views)})[0]


def _logits(pixels: np.ndarray) -> np.ndarray:
    """``(RAW_BITS,)`` float32 decoder logits for an image as it is (> 0 means bit 1)."""
    return _decoder(_small(pixels)).reshape(RAW_BITS)
