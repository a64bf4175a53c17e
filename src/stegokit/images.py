"""Images in and out: Pillow <-> ``(H, W, C)`` uint8 arrays; the only module importing Pillow.

Loading accepts a path, a ``PIL.Image.Image`` or an array. Only the formats of
:data:`READ_FORMATS` are decoded, recognised by their content whatever the file's name, so a
PostScript, PSD or other file named ``.png`` never reaches the Pillow plugin for its format.
Modes L, LA, RGB and RGBA are kept as they are (C = 1, 2, 3, 4); palette, bilevel, CMYK and
other 8-bit modes are converted with a notice; 16-bit images keep the high 8 bits of each
value, with a notice saying that the low 8 are dropped (:attr:`Picture.dropped_bits`);
32-bit integer and floating-point images are refused.
Saving picks the format from the file's extension, refuses lossy formats where the data must
survive bit for bit, keeps the metadata that matters (ICC profile, PNG text, EXIF,
resolution) less what says where and with which camera a photo was taken
(:func:`strip_private_metadata`), and writes atomically.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, PngImagePlugin, UnidentifiedImageError

from .errors import InputError, OutputError, OutputExistsError
from .progress import Progress, stage

#: Refuse images above this many pixels (Pillow's decompression-bomb guard); override with
#: the environment variable STEGOKIT_MAX_PIXELS.
DEFAULT_MAX_PIXELS = 200_000_000
#: The Pillow formats decoded (Pillow's JPEG reader also opens cameras' MPO files).
READ_FORMATS = ("PNG", "JPEG", "BMP", "TIFF", "WEBP", "GIF")
_READ_NAMES = "PNG, JPEG, BMP, TIFF, WebP or GIF"

LOSSLESS_FORMATS = {".png": "PNG", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF",
                    ".webp": "WEBP"}
LOSSY_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".jpe": "JPEG", ".jfif": "JPEG"}
#: The modes each output format stores exactly (others would come back changed).
_FORMAT_MODES = {"PNG": {"L", "LA", "RGB", "RGBA"}, "TIFF": {"L", "LA", "RGB", "RGBA"},
                 "BMP": {"L", "RGB"}, "WEBP": {"RGB", "RGBA"}, "JPEG": {"L", "RGB"}}
_KEPT_MODES = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}
_MODE_OF_DEPTH = {depth: mode for mode, depth in _KEPT_MODES.items()}
_CONVERSIONS = {"1": "L", "P": "RGB", "PA": "RGBA", "CMYK": "RGB", "YCbCr": "RGB",
                "LAB": "RGB", "HSV": "RGB", "La": "LA", "RGBa": "RGBA", "RGBX": "RGB"}
#: PNG output: zlib level 1 with the run-length strategy. On a 12-megapixel photo it is about
#: 4x faster than Pillow's default (level 6) and within 1% of its size (docs/benchmarks.md).
PNG_OPTIONS = {"compress_level": 1, "compress_type": zlib.Z_RLE}


@dataclass(frozen=True)
class Picture:
    """Pixels plus what a saved copy should keep of the original file."""

    pixels: np.ndarray
    info: dict = field(default_factory=dict)
    notices: tuple[str, ...] = ()
    source_format: str | None = None
    #: Low bits of each value that loading dropped: 8 for a 16-bit file, else 0.
    dropped_bits: int = 0

    @property
    def mode(self) -> str:
        return _MODE_OF_DEPTH[self.pixels.shape[2]]

    @property
    def megapixels(self) -> float:
        return self.pixels.shape[0] * self.pixels.shape[1] / 1e6

    def with_pixels(self, pixels: np.ndarray) -> Picture:
        """The same picture (metadata, notices) with other pixels."""
        return Picture(pixels, self.info, self.notices, self.source_format, self.dropped_bits)


def max_pixels() -> int:
    raw = os.environ.get("STEGOKIT_MAX_PIXELS")
    try:
        return int(raw) if raw else DEFAULT_MAX_PIXELS
    except ValueError:
        raise InputError("STEGOKIT_MAX_PIXELS must be a whole number") from None


def _check_mode(mode: str) -> None:
    """Refuse the modes stegokit cannot read as 8-bit channels (16-bit ones it converts)."""
    if mode in _KEPT_MODES or mode == "P" or mode in _CONVERSIONS or mode.startswith("I;16"):
        return
    if mode in ("I", "F") or mode.startswith(("I;", "F;")):
        raise InputError(
            f"images of {'32-bit integer' if mode.startswith('I') else 'floating-point'} "
            "values are not supported: save the image with 8 or 16 bits per channel"
        )
    raise InputError(f"images of mode {mode} are not supported")


def _raw_mode(image: Image.Image) -> str:
    """The decoder's raw mode of the file's pixels (read before ``load()``), or ""."""
    for tile in getattr(image, "tile", None) or ():
        raw = tile.args if isinstance(tile.args, str) else (tile.args or ("",))[0]
        if isinstance(raw, str):
            return raw
    return ""


def _sixteen_bit(image: Image.Image) -> bool:
    """Whether the file stores 16 bits per value (Pillow hands 16-bit RGB, RGBA and LA PNGs
    over as 8-bit images, so the decoder's raw mode tells)."""
    return image.mode.startswith("I;16") or ";16" in _raw_mode(image)


def _dropped_notice(name: str, mode: str) -> str:
    return (f"{name} has 16 bits per value; stegokit works with 8: kept the high 8 bits of "
            f"each value and dropped the low 8 (the {mode} output has 8 bits per value)")


def _normalize(image: Image.Image) -> tuple[Image.Image | np.ndarray, list[str]]:
    """The image in one of the kept modes (or, for 16-bit grey, its 8-bit pixels), and the
    notices of what was converted."""
    notices = []
    if image.mode in _KEPT_MODES:
        return image, notices
    if image.mode.startswith("I;16"):
        wide = np.asarray(image).astype(np.uint16)  # native byte order, whatever the file's
        return (wide >> np.uint16(8)).astype(np.uint8), notices
    _check_mode(image.mode)
    target = _CONVERSIONS.get(image.mode)
    if image.mode == "P" and (image.info.get("transparency") is not None):
        target = "RGBA"
    notices.append(f"converted the {image.mode} image to {target}")
    return image.convert(target), notices


def _kept_info(image: Image.Image) -> dict:
    kept = {}
    for key in ("icc_profile", "exif", "dpi"):
        if image.info.get(key):
            kept[key] = image.info[key]
    text = getattr(image, "text", None)
    if text:
        kept["text"] = dict(text)
    return kept


@contextmanager
def _reading(name: str, limit: int | None = None) -> Iterator[None]:
    previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, limit or max_pixels()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        if limit:
            raise InputError(f"{name}: more than {limit:,} pixels, more than its stored size "
                             "can honestly hold: refused") from None
        raise InputError(
            f"{name}: more than {max_pixels():,} pixels; raise STEGOKIT_MAX_PIXELS if you "
            "trust this file"
        ) from None
    except UnidentifiedImageError:
        raise InputError(
            f"{name}: not an image stegokit reads ({_READ_NAMES}, recognised by content; "
            "other formats are refused whatever the file's name)") from None
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory, not an image") from None
    except PermissionError:
        raise InputError(f"{name}: permission denied") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InputError(f"{name}: the image is damaged or truncated ({exc})") from None
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def load(source: str | os.PathLike | Image.Image | np.ndarray) -> Picture:
    """Load an image as a :class:`Picture` with pixels of shape (H, W, C), uint8.

    Arrays may be (H, W) or (H, W, C) with C in 1..4, dtype uint8; they are not copied.
    """
    if isinstance(source, np.ndarray):
        return Picture(_check_array(source))
    if isinstance(source, Image.Image):
        return _from_pillow(source, "image")
    name = os.fspath(source)
    with _reading(name), Image.open(name, formats=READ_FORMATS) as image:
        return _from_pillow(image, name)


def load_bytes(data: bytes, name: str = "image", *, max_pixels: int | None = None) -> Picture:
    """Load an image from the bytes of an image file (:data:`READ_FORMATS` only);
    ``max_pixels`` lowers the decompression-bomb limit (for an image found inside another)."""
    with _reading(name, max_pixels), Image.open(io.BytesIO(data), formats=READ_FORMATS) as image:
        return _from_pillow(image, name, max_pixels)


def dimensions(path: str | os.PathLike) -> tuple[int, int, int]:
    """``(height, width, channels)`` of an image file, from its header (no pixels decoded)."""
    name = os.fspath(path)
    with _reading(name), Image.open(name) as image:
        return image.height, image.width, len(image.getbands())


@dataclass(frozen=True)
class FileHeader:
    """What :func:`inspect` tells of an image file without decoding its pixels."""

    format: str
    width: int
    height: int
    mode: str


#: How far :func:`inspect` reads at a time when it looks for a JPEG's end marker.
_SCAN_BLOCK = 1 << 20


def inspect(path: str | os.PathLike, name: str | None = None) -> FileHeader:
    """Check that a file is an image stegokit reads, without decoding a single pixel.

    The rules of :func:`load` that a header can answer: one of :data:`READ_FORMATS`,
    recognised by content; at least one pixel and at most :func:`max_pixels`; 8 bits per
    channel (16-bit ones are read as 8). Beyond the header, a truncated file is refused where
    that needs no decoding: a PNG's chunks are read to IEND with their CRCs checked, and a
    JPEG must hold an end marker after its scan data. Any failure is an :class:`InputError`
    in :func:`load`'s words, naming the file ``name`` (default: its path).
    """
    file = os.fspath(path)
    name = name or file
    with _reading(name), Image.open(file, formats=READ_FORMATS) as image:
        header = FileHeader(image.format, image.width, image.height, image.mode)
        if header.width < 1 or header.height < 1:
            raise InputError(f"{name}: the image is empty")
        try:
            _check_mode(header.mode)
        except InputError as exc:
            raise InputError(f"{name}: {exc}") from None
        if header.format == "PNG":
            image.verify()  # chunk structure and CRCs only; the pixel data stays compressed
        scan_start = image.tile[0][2] if header.format == "JPEG" and image.tile else None
    if scan_start is not None and not _has_marker_after(file, b"\xff\xd9", scan_start):
        raise InputError(f"{name}: the image is damaged or truncated (no JPEG end marker)")
    return header


def _has_marker_after(name: str, marker: bytes, start: int) -> bool:
    """Whether ``marker`` occurs in the file at or after byte ``start``."""
    with open(name, "rb") as handle:
        handle.seek(start)
        tail = b""
        while block := handle.read(_SCAN_BLOCK):
            if marker in tail + block:
                return True
            tail = block[-(len(marker) - 1):]
    return False


def _from_pillow(image: Image.Image, name: str, limit: int | None = None) -> Picture:
    with _reading(name, limit):
        notices = []
        if getattr(image, "n_frames", 1) > 1:
            notices.append(f"{name} is animated: only its first frame is used")
            image.seek(0)
        deep = _sixteen_bit(image)
        # Pillow reads a 16-bit LA PNG as RGBA with R = G = B: back to LA
        grey_alpha = deep and image.mode == "RGBA" and _raw_mode(image).startswith("LA;")
        image.load()
        info = _kept_info(image)
        source_format = image.format
        if grey_alpha:
            image = image.convert("LA")
        image, converted = _normalize(image)
        pixels = image if isinstance(image, np.ndarray) else _pixels_of(image)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    if pixels.shape[0] < 1 or pixels.shape[1] < 1:
        raise InputError(f"{name}: the image is empty")
    if deep:
        converted.append(_dropped_notice(name, _MODE_OF_DEPTH[pixels.shape[2]]))
    return Picture(pixels, info, tuple(notices + converted), source_format, 8 if deep else 0)


#: Bytes of pixels Pillow's raw encoder hands over at a time (Pillow's own ``tobytes`` size).
_CHUNK = 1 << 16


def _pixels_of(image: Image.Image) -> np.ndarray:
    """A new uint8 array of the pixels of an image in one of the kept modes, (H, W, C).

    The values of ``np.asarray(image)``, which calls ``image.tobytes()``: Pillow's raw
    encoder fills a list of chunks that are then joined, two fresh image-sized buffers.
    Here the encoder's chunks go straight into the array: a 12-megapixel photo's copy takes
    ~28 ms instead of ~48 and needs no second buffer (docs/benchmarks.md). The array lives
    in a ``bytearray``: ``np.empty`` would ask the kernel for huge pages, which took 10 ms
    or, when memory had to be compacted first, 60-85 ms. Pillow's encoder interface is not
    public: where it is missing, ``np.asarray`` does the work.
    """
    width, height = image.size
    shape = (height, width, len(image.getbands()))
    try:
        encoder = Image._getencoder(image.mode, "raw", image.mode)
        encoder.setimage(image.im, (0, 0, width, height))
    except (AttributeError, TypeError):
        return np.asarray(image, dtype=np.uint8).reshape(shape)
    flat = np.frombuffer(bytearray(height * width * shape[2]), dtype=np.uint8)
    filled, status = 0, 0
    while not status:
        _, status, chunk = encoder.encode(max(_CHUNK, width * 4))
        flat[filled : filled + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
        filled += len(chunk)
    if status < 0 or filled != flat.size:
        raise InputError(f"Pillow could not hand over the pixels (status {status})")
    return flat.reshape(shape)


def _check_array(pixels: np.ndarray) -> np.ndarray:
    if pixels.dtype != np.uint8:
        raise InputError(f"pixel arrays must be uint8, not {pixels.dtype}")
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    if pixels.ndim != 3 or pixels.shape[2] not in _MODE_OF_DEPTH or 0 in pixels.shape:
        raise InputError("pixel arrays must have shape (H, W) or (H, W, C) with C in 1..4")
    return pixels


def to_pillow(picture: Picture) -> Image.Image:
    """A Pillow image of a picture's pixels."""
    pixels = picture.pixels
    return Image.fromarray(pixels[:, :, 0] if pixels.shape[2] == 1 else pixels,
                           mode=picture.mode)


def resized(picture: Picture, width: int, height: int) -> Picture:
    """The picture scaled to ``width`` x ``height`` with a Lanczos filter (metadata kept)."""
    image = to_pillow(picture).resize((width, height), Image.Resampling.LANCZOS)
    pixels = np.asarray(image, dtype=np.uint8)
    return picture.with_pixels(pixels.reshape(height, width, picture.pixels.shape[2]))


def resample(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bilinear resize of a uint8 ``(H, W, 3)`` image.

    Downscaling uses Pillow's reducing gap of 2 (a box pre-filter), so it is fast and
    alias-free.
    """
    image = Image.fromarray(pixels)
    return np.asarray(image.resize((width, height), Image.Resampling.BILINEAR, reducing_gap=2.0))


def output_format(path: str | os.PathLike, *, lossless: bool = True) -> str:
    """The Pillow format for an output path; refuses lossy formats when ``lossless``."""
    suffix = Path(path).suffix.lower()
    if suffix in LOSSLESS_FORMATS:
        return LOSSLESS_FORMATS[suffix]
    if suffix in LOSSY_FORMATS:
        if lossless:
            raise OutputError(
                f"{os.fspath(path)}: JPEG would destroy the hidden data; save as .png "
                "(or .bmp, .tiff, .webp), or use --method neural, which survives JPEG"
            )
        return LOSSY_FORMATS[suffix]
    known = ", ".join(sorted(LOSSLESS_FORMATS))
    raise OutputError(f"{os.fspath(path)}: unknown output format; use one of {known}")


def _refuse_mode(picture: Picture, fmt: str) -> None:
    raise OutputError(
        f"{fmt} cannot store {picture.mode} images exactly (it would change the channels "
        "that carry the data or drop alpha); save as .png"
    )


def write_image(handle: BinaryIO, picture: Picture, fmt: str, *, quality: int = 95,
                compact: bool = False) -> None:
    """Encode the picture in format ``fmt`` into an open binary file.

    ``compact`` trades time for size where the file is itself a payload: PNG at zlib level 6,
    lossless WebP at effort 50 (method 2).
    """
    if picture.mode not in _FORMAT_MODES[fmt]:
        _refuse_mode(picture, fmt)
    image = to_pillow(picture)
    info = picture.info
    options: dict = {}
    if info.get("icc_profile") and fmt in ("PNG", "TIFF", "WEBP", "JPEG"):
        options["icc_profile"] = info["icc_profile"]
    if info.get("exif") and fmt in ("PNG", "TIFF", "WEBP", "JPEG"):
        options["exif"] = info["exif"]
    if info.get("dpi") and fmt in ("PNG", "TIFF", "JPEG", "BMP"):
        options["dpi"] = info["dpi"]
    if fmt == "PNG":
        options.update({"compress_level": 6} if compact else PNG_OPTIONS)
        if info.get("text"):
            chunks = PngImagePlugin.PngInfo()
            for key, value in info["text"].items():
                chunks.add_itxt(key, value) if not value.isascii() else chunks.add_text(key, value)
            options["pnginfo"] = chunks
    elif fmt == "WEBP":
        options.update(lossless=True, exact=True, quality=50 if compact else 100,
                       method=2 if compact else 4)
    elif fmt == "TIFF":
        options["compression"] = "tiff_adobe_deflate"
    elif fmt == "JPEG":
        options["quality"] = quality
    start = handle.tell()
    image.save(handle, format=fmt, **options)
    if fmt == "PNG":
        _mark_default_level(handle, start)


def _mark_default_level(handle: BinaryIO, start: int) -> None:
    """Set the first IDAT's zlib header to say "default compression" (FLEVEL 2).

    FLEVEL is informational only (RFC 1950): decompression ignores it. Pillow writes "fastest"
    for level 1, which would single our files out from ordinary exports (level 6).
    """
    end = handle.tell()
    handle.seek(start + 8)
    while handle.tell() < end:
        length, kind = struct.unpack(">I4s", handle.read(8))
        if kind == b"IDAT":
            data = bytearray(handle.read(length))
            data[:2] = b"\x78\x9c"
            handle.seek(-length, os.SEEK_CUR)
            handle.write(bytes(data) + struct.pack(">I", zlib.crc32(kind + bytes(data))))
            break
        handle.seek(length + 4, os.SEEK_CUR)
    handle.seek(end)


def encode(picture: Picture, fmt: str, *, quality: int = 95, compact: bool = False) -> bytes:
    """The bytes of an image file of the picture in format ``fmt`` (see :func:`write_image`)."""
    buffer = io.BytesIO()
    write_image(buffer, picture, fmt, quality=quality, compact=compact)
    return buffer.getvalue()


def write_atomic(path: str | os.PathLike, data: bytes | Callable[[BinaryIO], None], *,
                 force: bool = False) -> None:
    """Write a file whole or not at all: a temporary file in the same folder, then a rename.

    ``data`` is the bytes, or a function that writes them to an open file. An existing file
    is kept unless ``force``. The file gets the permissions the umask gives a new file
    (0644 under the usual 022), like any program's output.
    """
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(f"{os.fspath(path)}: the folder {os.fspath(folder)} does not exist")
    if target.is_dir():
        raise OutputError(f"{os.fspath(path)}: is a directory")
    if target.exists() and not force:
        raise OutputExistsError(os.fspath(path))
    import tempfile  # (only writers need it: reading an image stays lighter)

    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"{os.fspath(path)}: cannot write ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w+b") as handle:
            if os.name == "posix":  # mkstemp makes 0600; an output gets what open() would
                os.fchmod(handle.fileno(), 0o666 & ~_umask())
            if callable(data):
                data(handle)
            else:
                handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if force:
            os.replace(temp, target)
        else:
            _link_no_clobber(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _link_no_clobber(temp: str, target: Path) -> None:
    """Rename ``temp`` to ``target`` unless ``target`` appeared meanwhile."""
    try:
        os.link(temp, target)
    except FileExistsError:
        raise OutputExistsError(os.fspath(target)) from None
    except OSError:
        if target.exists():
            raise OutputExistsError(os.fspath(target)) from None
        os.replace(temp, target)
        return
    os.unlink(temp)


#: EXIF pointer to the GPS IFD, in IFD0.
_GPS_IFD = 0x8825
#: EXIF pointer to the Exif IFD, in IFD0.
_EXIF_IFD = 0x8769
#: Tags removed by default, in IFD0 and in the Exif IFD: who owns the camera, which one.
_PRIVATE_IFD0 = {0xC62F: "camera serial number"}
_PRIVATE_EXIF = {0xA431: "camera serial number", 0xA435: "lens serial number",
                 0xA430: "camera owner name", 0x927C: "maker notes",
                 0xA420: "image unique ID"}
#: PNG text chunks that hold whole metadata packets (XMP, or EXIF copied as text by
#: ImageMagick), which can carry all of the above: removed by default.
_PRIVATE_TEXT = {"xml:com.adobe.xmp": "XMP packet", "raw profile type exif": "raw EXIF text",
                 "raw profile type app1": "raw EXIF text", "raw profile type xmp": "XMP packet",
                 "raw profile type iptc": "raw IPTC text"}


def _strip_exif(raw: bytes) -> tuple[bytes | None, list[str]]:
    """EXIF without GPS, serial numbers, owner, maker notes and unique ID; what was removed.

    Untouched (the same bytes) when none is present; None when it cannot be parsed.
    """
    exif = Image.Exif()
    try:
        exif.load(raw)
        removed = []
        if _GPS_IFD in exif:
            removed.append("GPS position")
            del exif[_GPS_IFD]  # the pointer, and with it the GPS IFD
        for tag, what in _PRIVATE_IFD0.items():
            if exif.pop(tag, None) is not None:
                removed.append(what)
        if _EXIF_IFD in exif:
            sub = exif.get_ifd(_EXIF_IFD)
            removed += [what for tag, what in _PRIVATE_EXIF.items()
                        if sub.pop(tag, None) is not None]
        return (exif.tobytes() if removed else raw), removed
    except Exception:  # Pillow raises many kinds of error on malformed EXIF
        return None, ["unreadable EXIF block"]


def strip_private_metadata(picture: Picture) -> tuple[Picture, tuple[str, ...]]:
    """The picture without the metadata that locates or identifies, and what was removed.

    Removed: the EXIF GPS position, camera and lens serial numbers, camera owner name,
    maker notes (they hold serial numbers), image unique ID, and PNG text chunks holding
    XMP or raw EXIF/IPTC packets; an EXIF block that cannot be parsed is dropped whole.
    Kept: ICC profile, resolution, other EXIF (camera model, dates, orientation), other text.
    """
    info = dict(picture.info)
    removed: list[str] = []
    if info.get("exif"):
        exif, dropped = _strip_exif(info["exif"])
        removed += dropped
        if exif is None:
            del info["exif"]
        else:
            info["exif"] = exif
    if info.get("text"):
        text = {}
        for key, value in info["text"].items():
            what = _PRIVATE_TEXT.get(key.lower())
            if what:
                removed.append(what)
            else:
                text[key] = value
        info["text"] = text
    if not removed:
        return picture, ()
    unique = tuple(dict.fromkeys(removed))
    return Picture(picture.pixels, info, picture.notices, picture.source_format), unique


def save(picture: Picture, path: str | os.PathLike, *, force: bool = False,
         lossless: bool = True, quality: int = 95,
         keep_metadata: bool = False, progress: Progress | None = None) -> tuple[str, ...]:
    """Encode a picture by the path's extension and write it atomically.

    Unless ``keep_metadata``, GPS position, serial numbers and the like are left out
    (:func:`strip_private_metadata`). Returns the names of what was left out. ``progress``
    hears of the encoding (one stage, not measured: Pillow encodes in one call).
    """
    fmt = output_format(path, lossless=lossless)
    removed: tuple[str, ...] = ()
    if not keep_metadata:
        picture, removed = strip_private_metadata(picture)
    stage(progress, f"Writing {fmt}")
    write_atomic(path, lambda handle: write_image(handle, picture, fmt, quality=quality),
                 force=force)
    return removed

