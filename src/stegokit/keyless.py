"""What stegokit data anyone can find in an image without a key, as extract-text and
reveal-image would.

Three kinds of stegokit output announce themselves to a reader who has no secret:

- a plain container of the LSB codec, at any bit depth and layout (±1 matching, Hamming
  matrix embedding, the adaptive layout): its header, with the magic ``STGK`` and a check,
  sits in the public spread order;
- the same header for hide-image's ``lossless``, ``nibble`` and ``planes`` modes;
- the neural codec's message, read by its decoder (an error-corrected frame with a check).

An encrypted container (format v2) shows none of this: its 32-byte key block is uniformly
random (Elligator 2) and its header lies in an order keyed by the secret, so without the key
it cannot be told from a clean image by this check (docs/security.md). The statistical tests
of :mod:`stegokit.analysis` still judge how its bits were written.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .errors import AuthenticationError, FormatError, InputError, NoPayloadError

__all__ = ["UNSEEN", "Found", "find"]

#: What a clean result of :func:`find` cannot rule out.
UNSEEN = ("no stegokit message is readable without a key; an encrypted one cannot be told "
          "apart from a clean image by this check (stegokit's format is designed so)")


@dataclass(frozen=True)
class Found:
    """A stegokit payload that anyone can read (or whose header anyone can see).

    Attributes
    ----------
    codec : str
        "lsb" (embed-text), "image" (hide-image) or "neural".
    reader : str
        The command that reads it: "extract-text" or "reveal-image".
    kind : str or None
        "text", "file" or "image"; None when the data is damaged.
    size : int or None
        Bytes of the payload: the text or file, the hidden image file (lossless, packed
        planes) or the hidden image's pixels (nibble, planes); None when damaged.
    bits : int or None
        Low bits per value that carry it (None for the neural codec).
    mode : str or None
        hide-image's mode (lossless, nibble, planes); None for other codecs.
    damaged : bool
        A stegokit header is there, but the data after it does not check out.
    """

    codec: str
    reader: str
    kind: str | None = None
    size: int | None = None
    bits: int | None = None
    mode: str | None = None
    damaged: bool = False

    def sentence(self) -> str:
        """One line saying what was found, for people."""
        if self.damaged:
            return ("a plain stegokit header is readable by anyone, but the data after it is "
                    "damaged or of a newer format")
        what = {"lsb": "message", "image": "hidden image", "neural": "neural-codec message"}
        how = f"{self.bits} bit(s) per value" if self.bits else "survives JPEG"
        if self.mode:
            how = f"{self.mode} mode, {how}"
        return (f"a plain (unencrypted) stegokit {what[self.codec]} is readable by anyone "
                f"with {self.reader}: {self.size:,} bytes of {self.kind} ({how})")

    def to_dict(self) -> dict:
        """Plain JSON-ready dict of the attributes."""
        return asdict(self)


def find(pixels: np.ndarray, *, neural: bool = True) -> Found | None:
    """The stegokit payload readable without a key in ``pixels``, if any.

    Parameters
    ----------
    pixels : ndarray, shape (H, W, C), dtype uint8
        Not modified.
    neural : bool
        Also run the neural codec's decoder (onnxruntime) when no container is found and the
        image is large enough for it, as extract-text does.

    Returns
    -------
    Found or None
        None when nothing is readable without a key (see :data:`UNSEEN`).
    """
    from . import container
    from .codecs import lsb

    try:
        found = lsb.extract(pixels)
    except NoPayloadError:
        return _neural(pixels) if neural else None
    except (AuthenticationError, FormatError):
        return Found(codec="lsb", reader="extract-text", damaged=True)
    if found.codec == container.CODEC_IMAGE:
        return _hidden_image(pixels)
    return Found(codec=container.CODEC_NAMES[found.codec], reader="extract-text",
                 kind=found.payload.kind, size=len(found.payload.data),
                 bits=found.param & 0x0F)


def _hidden_image(pixels: np.ndarray) -> Found:
    """hide-image's container: its mode and depth, the image read (and checked) in full."""
    from .codecs import imagehide

    try:
        found = imagehide.extract(pixels)
    except (AuthenticationError, FormatError, InputError):
        return Found(codec="image", reader="reveal-image", damaged=True)
    size = found.pixels.nbytes if found.pixels is not None else len(found.data)
    return Found(codec="image", reader="reveal-image", kind="image", size=size,
                 bits=found.depth, mode=found.mode)


def _neural(pixels: np.ndarray) -> Found | None:
    from . import api
    from .codecs.neural import MIN_SIDE

    if min(pixels.shape[:2]) < MIN_SIDE:
        return None
    try:
        found = api.extract_text(pixels, method="neural")
    except NoPayloadError:
        return None
    return Found(codec="neural", reader="extract-text", kind=found.payload.kind,
                 size=len(found.payload.data))
