"""The library API behind every command: hide and recover text and files.

Each function takes a cover as a path, a ``PIL.Image.Image`` or a uint8 array, and secrets as
arguments (a passphrase, or a recipient's public key / the reader's private key).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import container, crypto, images
from .codecs import lsb
from .codecs.adaptive import CODE as ADAPTIVE
from .container import Payload
from .errors import CapacityError, InputError, NoPayloadError
from .images import Picture
from .metrics import psnr, psnr_of_error
from .progress import Progress, stage


@dataclass(frozen=True)
class EmbedResult:
    """A stego image and how it was made."""

    picture: Picture
    method: str
    bits: int
    encrypted: bool
    stored_bytes: int
    capacity: int
    changed: int
    psnr: float
    rate: float = 0.0
    notices: tuple[str, ...] = ()

    @property
    def pixels(self) -> np.ndarray:
        return self.picture.pixels

    def save(self, path: str | os.PathLike, *, force: bool = False, quality: int = 95,
             keep_metadata: bool = False, progress: Progress | None = None) -> tuple[str, ...]:
        """Write the stego image, format from the extension. Lossy formats are refused for the
        LSB codec; the neural codec may be saved as JPEG at ``quality``.

        The cover's GPS position, serial numbers and the like are left out unless
        ``keep_metadata`` (:func:`images.strip_private_metadata`); returns what was left out.
        ``progress`` hears of the encoding (:mod:`stegokit.progress`).
        """
        return images.save(self.picture, path, force=force, lossless=self.method != "neural",
                           quality=quality, keep_metadata=keep_metadata, progress=progress)


@dataclass(frozen=True)
class Extraction:
    """A recovered payload and how it was stored."""

    payload: Payload
    method: str
    bits: int
    encrypted: bool
    notices: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return self.payload.text


def as_payload(message: str | bytes | Payload, filename: str | None = None) -> Payload:
    """Text for ``str``; a file (named ``filename``) for ``bytes``."""
    if isinstance(message, Payload):
        return message
    if isinstance(message, str):
        return Payload.from_text(message)
    return Payload(bytes(message), "file", filename or "")


def file_payload(path: str | os.PathLike) -> Payload:
    """A file's bytes and base name as a payload."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{os.fspath(path)}: cannot read ({exc.strerror})") from None
    return Payload(data, "file", Path(path).name)


def make_lock(passphrase: str | bytes | None = None, recipient: bytes | None = None,
              kdf: crypto.KdfParams | None = None) -> tuple[bytes, crypto.Keys] | None:
    """The key block and keys that seal a payload, or None for a plain one."""
    if passphrase is not None and recipient is not None:
        raise InputError("give a passphrase or a recipient, not both")
    if recipient is not None:
        return crypto.recipient_key_block(recipient)
    if passphrase is not None:
        if not passphrase:
            raise InputError("the passphrase is empty")
        return crypto.passphrase_key_block(passphrase, params=kdf)
    return None


def make_unlock(passphrase: str | bytes | None = None, private_key: bytes | None = None,
                kdf: crypto.KdfParams | None = None) -> Callable[[bytes], crypto.Keys] | None:
    """The function that turns a key block into keys, or None without a secret."""
    if passphrase is None and private_key is None:
        return None
    if passphrase is not None and private_key is not None:
        raise InputError("give a passphrase or a private key, not both")
    return lambda block: crypto.open_key_block(block, passphrase=passphrase,
                                               private_key=private_key, params=kdf)


def _capacity_error(payload: Payload, picture: Picture, bits: int,
                    encrypted: bool) -> CapacityError:
    def limit(depth: int) -> int:
        return lsb.capacity(picture.pixels, depth, encrypted=encrypted, name=payload.name)

    size = len(payload.data)
    enough = next((b for b in lsb.BITS if b > bits and limit(b) >= size), None)
    if enough is not None:
        more = f" (try --bits {enough})"
        if bits == 1:
            more = (" (1 bit per value skips blocks with pure black or white values, for "
                    f"stealth; try --bits {enough})")
    else:
        more = " (no bit depth holds it here: use a larger cover or a smaller message)"
    unit = "byte" if limit(bits) == 1 else "bytes"
    return CapacityError(
        f"the message is {size} byte{'' if size == 1 else 's'}; this cover holds at most "
        f"{limit(bits)} {unit} at {bits} bit{'' if bits == 1 else 's'} per value"
        f"{' encrypted' if encrypted else ''}{more}"
    )


#: Above this many message bits per value, modern steganalysis finds ±1 embedding reliably.
SAFE_RATE = 0.1
#: ``stealth=True`` refuses payloads above this rate.
STEALTH_RATE = 0.05


def _rate_checks(rate: float, container_bytes: int, stealth: bool, bits: int,
                 adaptive: bool) -> tuple[str, ...]:
    if stealth and bits != 1:
        raise InputError("--stealth embeds at 1 bit per value; leave out --bits")
    if stealth and (rate > STEALTH_RATE or not adaptive):
        most = int(container_bytes * STEALTH_RATE / rate)
        raise CapacityError(
            f"--stealth keeps the payload at or below {STEALTH_RATE} bits per value; this one "
            f"needs {rate:.3f}: hide about {most:,} bytes or fewer here, or use a larger cover"
        )
    if rate > SAFE_RATE:  # for the adaptive layout too (docs/analysis.md)
        return (f"this payload uses {rate:.2f} bits per value; above {SAFE_RATE} modern "
                "steganalysis detects embedding reliably (see --stealth)",)
    return ()


METHODS = ("lsb", "neural")


def _embed_neural(picture: Picture, payload: Payload, sealed: bool) -> EmbedResult:
    """The neural codec: short text that survives JPEG and resizing (no encryption room)."""
    from .codecs import neural

    smallest_sealed = crypto.KEY_BLOCK_SIZE + container.HEADER_SIZE + crypto.sealed_size(1)
    if sealed:
        raise CapacityError(
            f"an encrypted message needs at least {smallest_sealed} bytes; the neural codec "
            f"carries {neural.CAPACITY}: leave out the passphrase or use the LSB codec"
        )
    if payload.kind != "text":
        raise InputError(f"the neural codec carries short text only (up to {neural.CAPACITY} "
                         "bytes); hide files with the LSB codec")
    if len(payload.data) > neural.CAPACITY:
        raise CapacityError(f"the message is {len(payload.data)} bytes; the neural codec "
                            f"carries at most {neural.CAPACITY}")
    pixels = picture.pixels
    notes = picture.notices
    if pixels.shape[2] < 3:
        notes += ("the neural codec works in colour: the grey cover becomes an RGB image",)
        pixels = np.repeat(pixels[..., :1], 3, axis=2)
    stego = neural.embed(pixels[..., :3], payload.data)
    if pixels.shape[2] == 4:
        stego = np.concatenate([stego, pixels[..., 3:]], axis=2)
    return EmbedResult(
        picture=picture.with_pixels(stego),
        method="neural",
        bits=0,
        encrypted=False,
        stored_bytes=len(payload.data),
        capacity=neural.CAPACITY,
        changed=int(np.count_nonzero(stego[..., :3] != pixels[..., :3])),
        psnr=psnr(pixels[..., :3], stego[..., :3]),
        notices=notes,
    )


def _extract_neural(picture: Picture) -> Extraction:
    from .codecs import neural

    pixels = picture.pixels
    rgb = np.repeat(pixels[..., :1], 3, axis=2) if pixels.shape[2] < 3 else pixels[..., :3]
    data = neural.extract(rgb)
    try:
        data.decode("utf-8")
        payload = Payload(data, "text")
    except UnicodeDecodeError:
        payload = Payload(data, "file")
    return Extraction(payload, "neural", 0, False, picture.notices)


#: Below this many container bits per value the default skips the adaptive layout: a
#: message that small is a few dozen Hamming-coded changes among the values, while the
#: cost map of a 12 MP photo takes seconds and ~250 MB (docs/benchmarks.md).
ADAPTIVE_MIN_RATE = 0.005


def lsb_container(payload: Payload, pixels: np.ndarray, bits: int,
                  lock: tuple[bytes, crypto.Keys] | None = None, *, adaptive: bool = True,
                  min_rate: float = ADAPTIVE_MIN_RATE,
                  progress: Progress | None = None) -> tuple[bytes, int, lsb.Carrier]:
    """Pack ``payload`` for the LSB codec on ``pixels``: the container, the layout code it
    is written with (``adaptive.CODE``, a Hamming code, or 0: none) and the scanned carrier,
    all as :func:`embed_text` uses them.

    At 1 bit per value the adaptive layout is taken when the payload fits it (``adaptive``
    True) and uses at least ``min_rate`` bits per value, else matrix embedding when the
    payload leaves room. The payload is compressed once; the container is packed again only
    if the layout code is not 0. ``progress`` hears of the carrier scan.
    """
    encoded = container.encode(payload)
    data = container.pack(encoded, codec=container.CODEC_LSB, param=lsb.layout_param(bits),
                          lock=lock)
    carrier = lsb.Carrier(pixels, bits, lock is not None, progress)
    rate = len(data) * 8 / lsb.value_count(pixels.shape)
    code = ADAPTIVE if adaptive and rate >= min_rate and carrier.adaptive_fits(len(data)) \
        else carrier.matrix_code(len(data))
    if code:
        data = container.pack(encoded, codec=container.CODEC_LSB,
                              param=lsb.layout_param(1, code), lock=lock)
    return data, code, carrier


def embed_text(
    cover,
    message: str | bytes | Payload,
    *,
    method: str = "lsb",
    filename: str | None = None,
    bits: int = 1,
    stealth: bool = False,
    passphrase: str | bytes | None = None,
    recipient: bytes | None = None,
    kdf: crypto.KdfParams | None = None,
    rng: np.random.Generator | int | None = None,
    adaptive: bool = True,
    progress: Progress | None = None,
) -> EmbedResult:
    """Hide a text (``str``) or a file (``bytes`` with ``filename``) in a cover with the LSB codec.

    Parameters
    ----------
    cover : path, PIL.Image.Image or ndarray (H, W[, C]) uint8
    message : str, bytes or Payload
    method : {"lsb", "neural"}
        ``"lsb"``: bit-exact, high capacity, lossless outputs only. ``"neural"``: up to
        ``codecs.neural.CAPACITY`` bytes of text that survive JPEG and resizing (no encryption).
    bits : int
        Low bits per colour value, 1 (default, least visible) to 4 (LSB only).
    stealth : bool
        The adaptive layout only, and payloads up to :data:`STEALTH_RATE` bits per value
        (1 bit per value).
    passphrase, recipient : optional
        Encrypt with a passphrase, or seal to a recipient's 32-byte X25519 public key.
    kdf : KdfParams, optional
        Argon2id cost for a passphrase (default ``crypto.DEFAULT_KDF``).
    rng : Generator or seed, optional
    adaptive : bool
        At 1 bit per value, use the adaptive layout (HILL costs + syndrome-trellis codes,
        docs/format.md) when the payload fits it (up to about 0.5 bits per value) and is
        not tiny (:data:`ADAPTIVE_MIN_RATE`; ``stealth`` always uses it); False keeps to the
        earlier layouts (±1 matching, Hamming matrix embedding).
    progress : callable, optional
        ``progress(stage, done, total)`` as the work goes (:mod:`stegokit.progress`).

    Returns
    -------
    EmbedResult
        ``.save(path)`` writes it; ``.pixels`` are the stego values.
    """
    if bits not in lsb.BITS:
        raise InputError("--bits must be 1, 2, 3 or 4")
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    stage(progress, "Reading the cover")
    picture = images.load(cover)
    payload = as_payload(message, filename)
    if method == "neural":
        stage(progress, "Hiding the message (neural codec)")
        return _embed_neural(picture, payload, passphrase is not None or recipient is not None)
    lock = make_lock(passphrase, recipient, kdf)
    encrypted = lock is not None
    data, code, carrier = lsb_container(payload, picture.pixels, bits, lock,
                                        adaptive=adaptive or stealth,
                                        min_rate=0 if stealth else ADAPTIVE_MIN_RATE,
                                        progress=progress)
    stored = len(data) - (crypto.KEY_BLOCK_SIZE if encrypted else 0)
    if stored > carrier.room:
        raise _capacity_error(payload, picture, bits, encrypted)
    rate = len(data) * 8 / lsb.value_count(picture.pixels.shape)
    notes = _rate_checks(rate, len(data), stealth, bits, code == ADAPTIVE)
    pixels, changed = lsb.embed(picture.pixels, data, bits=bits, code=code,
                                keys=lock[1] if lock else None, rng=rng, carrier=carrier,
                                progress=progress)
    # at 1 bit every changed value moved by exactly 1: no need to compare the images
    quality = psnr_of_error(changed, pixels.size) if bits == 1 else psnr(picture.pixels, pixels)
    return EmbedResult(
        picture=picture.with_pixels(pixels),
        method="lsb",
        bits=bits,
        encrypted=encrypted,
        stored_bytes=len(data),
        capacity=carrier.capacity(payload.name),
        changed=changed,
        psnr=quality,
        rate=rate,
        notices=picture.notices + notes,
    )


def extract_text(stego, *, passphrase: str | bytes | None = None,
                 private_key: bytes | None = None, method: str = "auto",
                 kdf: crypto.KdfParams | None = None,
                 max_payload: int | None = None,
                 progress: Progress | None = None) -> Extraction:
    """Recover what :func:`embed_text` hid; the codec, bit depth and encryption are detected.

    ``method="auto"`` tries the LSB codec, then the neural codec; ``"lsb"`` or ``"neural"``
    tries only that one. With a passphrase or private key, only an encrypted (authenticated)
    payload is returned: plain containers and the neural codec, which anyone can write, are
    refused. ``kdf`` is the Argon2id cost the passphrase was used with (default
    ``crypto.DEFAULT_KDF``; images store none). A compressed payload inflates to at most
    ``max_payload`` bytes (default :func:`stegokit.container.record_limit`). ``progress``
    hears of the stages (:mod:`stegokit.progress`).

    Raises NoPayloadError (nothing found), AuthenticationError (wrong secret, no
    authenticated payload, damaged data) or FormatError (a payload over the size limit).
    """
    if method not in ("auto", *METHODS):
        raise InputError(f"unknown method {method!r}: use auto, lsb or neural")
    unlock = make_unlock(passphrase, private_key, kdf)
    if unlock is not None and method == "neural":
        raise InputError("the neural codec carries no encryption or authentication: leave "
                         "out the passphrase or key to read it")
    stage(progress, "Reading the image")
    picture = images.load(stego)
    if method == "neural":
        stage(progress, NEURAL_STAGE)
        return _extract_neural(picture)
    stage(progress, "Looking for a hidden message")
    try:
        found = lsb.extract(picture.pixels, unlock=unlock, max_record=max_payload)
    except NoPayloadError:
        # (with a secret, an image the neural codec could read never gets here: lsb.extract
        # then finds the sealed payload or raises AuthenticationError)
        if method == "lsb" or not _neural_can_read(picture):
            raise
        stage(progress, NEURAL_STAGE)
        try:
            return _extract_neural(picture)
        except NoPayloadError:
            pass
        raise
    if found.codec == container.CODEC_IMAGE:
        raise InputError("this image carries a hidden image (hide-image), not a text or "
                         "file: use stegokit reveal-image")
    return Extraction(found.payload, container.CODEC_NAMES[found.codec], found.param & 0x0F,
                      found.encrypted, picture.notices)


NEURAL_STAGE = "Trying the neural decoder"


def _neural_can_read(picture: Picture) -> bool:
    from .codecs.neural import MIN_SIDE

    return min(picture.pixels.shape[:2]) >= MIN_SIDE


def _neural_capacity(picture: Picture) -> int:
    from .codecs.neural import CAPACITY

    return CAPACITY if _neural_can_read(picture) else 0


@dataclass(frozen=True)
class CapacityReport:
    """Exact payload bytes each method holds in a cover (incompressible data)."""

    width: int
    height: int
    mode: str
    lsb: dict[int, int]
    lsb_encrypted: dict[int, int]
    #: Bytes of text the neural codec carries here (0 if the image is too small for it).
    neural: int = 0
    #: The largest secret image per mode, plain and encrypted (:func:`imagehide.capacities`).
    image: dict[str, dict] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "width": self.width,
            "height": self.height,
            "mode": self.mode,
            "lsb": {str(bits): n for bits, n in self.lsb.items()},
            "lsb_encrypted": {str(bits): n for bits, n in self.lsb_encrypted.items()},
            "image": self.image,
            "neural": self.neural,
        }


def capacity(cover, *, filename: str = "") -> CapacityReport:
    """How many payload bytes fit, for each bit depth, plain and encrypted.

    A file payload also stores its name: pass ``filename`` to count it.
    """
    from .codecs import imagehide

    picture = images.load(cover)
    shape = picture.pixels.shape
    return CapacityReport(
        width=shape[1],
        height=shape[0],
        mode=picture.mode,
        lsb={b: lsb.capacity(picture.pixels, b, encrypted=False, name=filename) for b in lsb.BITS},
        lsb_encrypted={b: lsb.capacity(picture.pixels, b, encrypted=True, name=filename)
                       for b in lsb.BITS},
        image={"plain": imagehide.capacities(picture.pixels, encrypted=False),
               "encrypted": imagehide.capacities(picture.pixels, encrypted=True)},
        neural=_neural_capacity(picture),
    )
