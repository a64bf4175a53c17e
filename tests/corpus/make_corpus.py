"""Make the corpus of malformed and hostile files that every command is run over.

    python tests/corpus/make_corpus.py

Each file is made here, from nothing but Pillow, NumPy and the standard library, so the corpus
can be rebuilt and reviewed. tests/test_hostile.py runs every command on every file.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).parent


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge size but holds a few bytes of pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + \
        _chunk(b"IEND", b"")


def _save(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def files() -> dict[str, bytes]:
    rng = np.random.default_rng(8)
    photo = Image.fromarray(rng.integers(0, 256, (64, 80, 3), dtype=np.uint8))
    png = _save(photo, "PNG")
    jpeg = _save(photo, "JPEG", quality=90)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90
    frames = [Image.fromarray(np.full((32, 32, 3), v, dtype=np.uint8)) for v in (0, 128, 255)]
    return {
        "empty.png": b"",
        "text.png": b"just some text, not an image\n",
        "truncated.png": png[: len(png) // 2],
        "truncated.jpg": jpeg[: len(jpeg) // 2],
        "bad-crc.png": png[:40] + bytes([png[40] ^ 0xFF]) + png[41:],
        "huge-header.png": png_header_only(50_000, 50_000),
        "zero-size.png": png_header_only(0, 0),
        "one-pixel.png": _save(Image.new("RGB", (1, 1), (10, 20, 30)), "PNG"),
        "sixteen-bit.png": _save(Image.fromarray(
            rng.integers(0, 65535, (32, 32), dtype=np.uint16)), "PNG"),
        "float.tiff": _save(Image.fromarray(rng.random((32, 32), dtype=np.float32)), "TIFF"),
        "cmyk.jpg": _save(photo.convert("CMYK"), "JPEG"),
        "exif-rotated.jpg": _save(photo, "JPEG", exif=exif.tobytes()),
        "palette-alpha.png": _save(photo.convert("P"), "PNG", transparency=0),
        "animated.gif": _save(frames[0], "GIF", save_all=True, append_images=frames[1:]),
        "animated.png": _save(frames[0], "PNG", save_all=True, append_images=frames[1:]),
        "random-bytes.bmp": rng.bytes(4096),
        "png-trailing-garbage.png": png + rng.bytes(1000),
    }


def main() -> None:
    for name, data in files().items():
        (HERE / name).write_bytes(data)
    print(f"wrote {len(files())} files to {HERE}")


if __name__ == "__main__":
    main()
