"""16-bit covers and secrets through the CLI: converted to 8 bits with a notice, never silently."""

from __future__ import annotations

import json
import struct
import zlib

import numpy as np
import pytest
from conftest import photo
from PIL import Image
from typer.testing import CliRunner

from stegokit import images
from stegokit.cli import app

runner = CliRunner()
DROPPED = "dropped the low 8"


def sixteen_bit_png(pixels: np.ndarray) -> bytes:
    """A PNG with 16 bits per value (Pillow writes none for RGB), from (H, W, C) uint16."""
    h, w, c = pixels.shape
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    rows = b"".join(b"\0" + row.astype(">u2").tobytes() for row in pixels)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def deep_photo(channels: int) -> np.ndarray:
    """A real photo widened to 16 bits, with low bytes that are not a copy of the high ones."""
    base = photo("astronaut")[:256, :256].astype(np.uint16)
    if channels == 1:
        base = base[..., :1]
    elif channels == 2:
        base = np.concatenate([base[..., :1], np.full_like(base[..., :1], 200)], axis=2)
    low = np.random.default_rng(7).integers(0, 256, base.shape, dtype=np.uint16)
    return base * 256 + low


@pytest.mark.parametrize("channels, mode", [(1, "L"), (2, "LA"), (3, "RGB"), (4, "RGBA")])
def test_sixteen_bit_cover_is_converted_with_a_notice(tmp_path, channels, mode):
    wide = deep_photo(channels) if channels != 4 else np.concatenate(
        [deep_photo(3), np.full((256, 256, 1), 65535, np.uint16)], axis=2)
    cover = tmp_path / "deep.png"
    cover.write_bytes(sixteen_bit_png(wide))
    out = tmp_path / "out.png"
    result = runner.invoke(app, ["embed-text", str(cover), "-o", str(out), "-m", "deep",
                                 "--bits", "2", "--json"])
    assert result.exit_code == 0, result.output
    assert DROPPED in result.stderr and "16 bits per value" in result.stderr
    report = json.loads(result.stdout)
    assert any(DROPPED in note for note in report["notices"])
    with Image.open(out) as written:
        assert written.mode == mode
        stego = np.asarray(written).reshape(256, 256, channels)
    # the high byte of each value is what was kept: the stego image differs from it only
    # in the low bits the message went into
    high = (wide >> 8).astype(np.uint8)
    assert np.abs(stego.astype(int) - high).max() <= 3
    found = runner.invoke(app, ["extract-text", str(out)])
    assert found.exit_code == 0 and found.stdout == "deep\n"


def test_sixteen_bit_grey_written_by_pillow_is_no_longer_refused(tmp_path):
    cover = tmp_path / "grey16.png"
    Image.fromarray(deep_photo(1)[..., 0]).save(cover)
    with Image.open(cover) as check:
        assert check.mode.startswith("I;16")
    result = runner.invoke(app, ["embed-text", str(cover), "-o", str(tmp_path / "o.png"),
                                 "-m", "grey"])
    assert result.exit_code == 0, result.output
    assert DROPPED in result.stderr and "I;16" not in result.output


def test_sixteen_bit_secret_image_says_so(tmp_path):
    cover = tmp_path / "cover.png"
    Image.fromarray(photo("astronaut")).save(cover)
    secret = tmp_path / "secret.png"
    secret.write_bytes(sixteen_bit_png(deep_photo(3)[:64, :64]))
    result = runner.invoke(app, ["hide-image", str(cover), str(secret), "-o",
                                 str(tmp_path / "o.png"), "--json"])
    assert result.exit_code == 0, result.output
    notes = json.loads(result.stdout)["notices"]
    assert any("secret.png" in note and DROPPED in note for note in notes)


def test_eight_bit_images_have_no_notice(tmp_path, cover_png):
    assert images.load(cover_png).dropped_bits == 0
    result = runner.invoke(app, ["embed-text", cover_png, "-o", str(tmp_path / "o.png"),
                                 "-m", "x", "--json"])
    assert json.loads(result.stdout)["notices"] == []
    assert "note:" not in result.stderr
