"""File-level traits read from raw PNG and JPEG bytes."""

from __future__ import annotations

import io
import json
import struct
import zlib

import pytest
from conftest import require
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin
from skimage import data

from stegokit.filetraits import inspect_file


def png_bytes(pixels=None, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(data.astronaut() if pixels is None else pixels).save(buffer, "PNG", **options)
    return buffer.getvalue()


def chunk(kind: bytes, body: bytes, crc: int | None = None) -> bytes:
    crc = zlib.crc32(kind + body) if crc is None else crc
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def insert_before_iend(png: bytes, extra: bytes) -> bytes:
    iend = png.rindex(b"IEND") - 4
    return png[:iend] + extra + png[iend:]


def test_plain_pillow_png():
    traits = inspect_file(png_bytes())
    assert traits.format == "png"
    assert traits.chunks[0] == "IHDR" and traits.chunks[-1] == "IEND"
    assert traits.chunks[1].startswith("IDAT x ")
    assert traits.zlib_level == "default (level 6)"
    assert traits.idat_size == 65536
    assert traits.trailing_bytes == 0
    assert traits.findings == (
        "IDAT split into 65536-byte chunks: written by Pillow (Python), "
        "as most Python stego tools are",
    )


@pytest.mark.parametrize(
    ("level", "expected"),
    [(1, "fastest (level 0-1)"), (3, "fast (level 2-5)"), (9, "maximum (7-9)")],
)
def test_zlib_level_from_idat_header(level, expected):
    traits = inspect_file(png_bytes(compress_level=level))
    assert traits.zlib_level == expected
    assert any("fastest zlib level" in f for f in traits.findings) == (level == 1)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_stego_lsb_command_line_output(tmp_path):
    steg = require("stego_lsb.LSBSteg")
    cover, secret, out = tmp_path / "cover.png", tmp_path / "secret.bin", tmp_path / "out.png"
    cover.write_bytes(png_bytes())
    secret.write_bytes(b"x" * 1000)
    steg.hide_data(str(cover), str(secret), str(out), 1, 1)  # the CLI's default level 1
    traits = inspect_file(out.read_bytes())
    assert traits.zlib_level == "fastest (level 0-1)"
    assert any("stego-lsb" in finding for finding in traits.findings)


def test_text_chunks_are_read_and_tools_named():
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "OpenStego 0.8.6")
    info.add_text("Author", "me")
    info.add_itxt("Comment", "grüße", zip=True)
    info.add_text("Title", "x" * 300, zip=True)
    traits = inspect_file(png_bytes(pnginfo=info))
    assert traits.text == (
        ("Software", "OpenStego 0.8.6"),
        ("Author", "me"),
        ("Comment", "grüße"),
        ("Title", "x" * 300),
    )
    assert traits.chunks[1:4] == ("tEXt x 2", "iTXt", "zTXt")
    assert traits.findings[0] == "text 'Software' names a steganography tool: 'OpenStego 0.8.6'"


def test_plain_software_text_is_shown():
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "GIMP 2.10")
    assert "text 'Software': 'GIMP 2.10'" in inspect_file(png_bytes(pnginfo=info)).findings


@pytest.mark.parametrize(
    ("tail", "kind"),
    [
        (b"PK\x03\x04" + bytes(40), "ZIP archive"),
        (b"-----BEGIN PGP MESSAGE-----\n", "PGP armoured message"),
        (b"meet at noon\n", "text"),
        (bytes(16), "zero padding"),
        (bytes(range(200, 256)), "unrecognised binary data"),
    ],
)
def test_data_after_iend(tail, kind):
    traits = inspect_file(png_bytes() + tail)
    assert traits.trailing_bytes == len(tail)
    assert traits.findings[0] == (
        f"{len(tail)} bytes after the end of the image ({kind}): appended hidden data?"
    )


def test_private_chunk_and_bad_crc():
    png = insert_before_iend(png_bytes(), chunk(b"stEg", b"secret"))
    png = insert_before_iend(png, chunk(b"tEXt", b"Author\0me", crc=0))
    traits = inspect_file(png)
    assert "stEg" in traits.chunks
    assert "chunks with a wrong CRC (edited after writing?): tEXt" in traits.findings
    assert "non-standard chunk 'stEg' of 6 bytes: may carry hidden data" in traits.findings


def test_truncated_png_is_a_finding_not_an_error():
    traits = inspect_file(png_bytes()[:5000])
    assert traits.findings[0] == "the file ends before its IEND chunk (truncated or damaged)"
    assert traits.trailing_bytes == 0


def jpeg_bytes(pixels=None, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(data.astronaut() if pixels is None else pixels).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def _small_samples() -> dict[str, bytes]:
    """Small files with text chunks and comments, for damaging."""
    pixels = data.astronaut()[:24, :24]
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "x")
    info.add_itxt("Comment", "ü", zip=True)
    info.add_text("Title", "t", zip=True)
    return {
        "png": png_bytes(pixels, pnginfo=info) + b"PK\x03\x04",
        "jpeg": jpeg_bytes(pixels, comment=b"hi") + b"tail",
    }


SAMPLES = _small_samples()


def test_jpeg_comment_and_appended_zip():
    traits = inspect_file(jpeg_bytes(comment=b"made with steghide") + b"PK\x03\x04rest")
    assert traits.format == "jpeg"
    assert traits.chunks[0] == "APP0" and "COM" in traits.chunks and traits.chunks[-1] == "EOI"
    assert traits.text == (("COM", "made with steghide"),)
    assert traits.trailing_bytes == 8
    assert traits.findings == (
        "8 bytes after the end of the image (ZIP archive): appended hidden data?",
        "text 'COM' names a steganography tool: 'made with steghide'",
    )


def test_clean_and_truncated_jpeg():
    clean = jpeg_bytes()
    assert inspect_file(clean).findings == ()
    assert inspect_file(clean[:2000]).findings == (
        "the file ends before its EOI marker (truncated or damaged)",
    )


def test_unknown_format_and_json():
    traits = inspect_file(b"GIF89a....")
    assert traits.format == "unknown"
    assert traits.findings == ("not a PNG or JPEG file: no checks made",)
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "x")
    loaded = json.loads(json.dumps(inspect_file(png_bytes(pnginfo=info) + b"!").to_dict()))
    assert loaded["text"] == [{"key": "Software", "value": "x"}]
    assert loaded["trailing_bytes"] == 1
    assert set(loaded) == {
        "format", "chunks", "text", "zlib_level", "idat_size", "trailing_bytes", "findings"
    }


def test_bytes_like_input():
    png = png_bytes() + b"tail"
    assert inspect_file(memoryview(png)) == inspect_file(bytearray(png)) == inspect_file(png)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_damaged_files_never_raise(draw):
    original = SAMPLES[draw.draw(st.sampled_from(sorted(SAMPLES)))]
    damaged = bytearray(original)
    for _ in range(draw.draw(st.integers(1, 8))):
        position = draw.draw(st.integers(0, len(damaged) - 1))
        damaged[position] = draw.draw(st.integers(0, 255))
    cut = draw.draw(st.integers(0, len(damaged)))
    traits = inspect_file(bytes(damaged[:cut]))
    assert all(isinstance(finding, str) for finding in traits.findings)
