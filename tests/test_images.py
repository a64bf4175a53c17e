"""Image input and output rules, through real files written and read by Pillow."""

from __future__ import annotations

import os
import types
from pathlib import Path

import numpy as np
import pytest
from conftest import photo
from PIL import Image, ImageCms, PngImagePlugin

import stegokit
from stegokit import images
from stegokit.errors import InputError, OutputError

RGB = photo("coffee")[:120, :160]
#: Format and mode pairs that would not come back as written: refused, not saved.
UNSTORABLE = {(".bmp", "LA"), (".bmp", "RGBA"), (".webp", "L"), (".webp", "LA")}


def _pil(mode: str) -> Image.Image:
    base = Image.fromarray(RGB)
    if mode in ("RGB", "L", "P", "CMYK", "1"):
        return base.convert(mode)
    alpha = Image.fromarray(np.linspace(0, 255, 120 * 160).reshape(120, 160).astype(np.uint8))
    out = base.convert("L" if mode == "LA" else "RGB")
    out.putalpha(alpha)
    return out


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".tiff", ".webp"])
@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA"])
def test_every_lossless_format_round_trips(tmp_path, suffix, mode):
    cover = tmp_path / f"cover-{mode}.png"
    _pil(mode).save(cover)
    out = tmp_path / f"stego{suffix}"
    message = f"{mode} in {suffix} ✓"
    result = stegokit.embed_text(cover, message, bits=2)
    if (suffix, mode) in UNSTORABLE:
        with pytest.raises(OutputError, match="cannot store"):
            result.save(out)
        assert not out.exists()
        return
    result.save(out)
    assert stegokit.extract_text(out).text == message
    assert images.load(out).mode == mode


@pytest.mark.parametrize("pillow_encoder", [True, False])
@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA"])
def test_loaded_pixels_are_pillows_exactly(tmp_path, monkeypatch, mode, pillow_encoder):
    # odd sizes, and wider than one of the encoder's chunks (65,536 bytes)
    rng = np.random.default_rng(len(mode))
    shape = (37, 9001) if mode == "L" else (301, 5003)
    expected = rng.integers(0, 256, (*shape, len(mode)), dtype=np.uint8)
    path = tmp_path / f"{mode}.png"
    Image.fromarray(expected[:, :, 0] if mode == "L" else expected, mode).save(path)
    if not pillow_encoder:  # as with a Pillow without the (non-public) encoder interface
        without = types.ModuleType("PIL.Image")
        without.__dict__.update({k: v for k, v in vars(Image).items() if k != "_getencoder"})
        monkeypatch.setattr(images, "Image", without)
    np.testing.assert_array_equal(images.load(path).pixels, expected)


@pytest.mark.parametrize("suffix", [".jpg", ".jpeg", ".JPG"])
def test_lossy_output_is_refused_with_the_reason(tmp_path, cover_png, suffix):
    with pytest.raises(OutputError, match="JPEG would destroy"):
        stegokit.embed_text(cover_png, "x").save(tmp_path / f"out{suffix}")


def test_jpeg_covers_are_fine(tmp_path):
    cover = tmp_path / "photo.jpg"
    Image.fromarray(RGB).save(cover, quality=90)
    stegokit.embed_text(cover, "from a jpeg").save(tmp_path / "out.png")
    assert stegokit.extract_text(tmp_path / "out.png").text == "from a jpeg"


@pytest.mark.parametrize("mode, becomes", [("P", "RGB"), ("CMYK", "RGB"), ("1", "L")])
def test_other_modes_are_converted_with_a_notice(tmp_path, mode, becomes):
    cover = tmp_path / ("c.tiff" if mode == "CMYK" else "c.png")
    _pil(mode).save(cover)
    result = stegokit.embed_text(cover, "converted", bits=2)  # 1 bit skips pure black/white
    assert result.picture.mode == becomes
    assert any("converted" in note for note in result.notices)


def test_floating_point_images_are_refused(tmp_path):
    path = tmp_path / "float.tiff"
    Image.fromarray((np.arange(64 * 64).reshape(64, 64) / 4096).astype(np.float32)).save(path)
    with pytest.raises(InputError, match="floating-point values are not supported"):
        stegokit.embed_text(path, "x")


def test_png_metadata_is_kept(tmp_path):
    cover = tmp_path / "meta.png"
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "holiday")
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.fromarray(RGB).save(cover, pnginfo=info, icc_profile=profile, dpi=(300, 300))
    stegokit.embed_text(cover, "x").save(tmp_path / "out.png")
    with Image.open(tmp_path / "out.png") as out:
        assert out.text["Comment"] == "holiday"
        assert out.info["icc_profile"] == profile
        assert round(out.info["dpi"][0]) == 300


@pytest.mark.parametrize("content, why", [
    (b"", "not an image"), (b"hello, I am text", "not an image"),
])
def test_unreadable_inputs(tmp_path, content, why):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(InputError, match=why):
        stegokit.embed_text(path, "x")


def test_truncated_png(tmp_path, cover_png):
    data = Path(cover_png).read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="damaged or truncated"):
        stegokit.extract_text(path)


def test_outputs_are_atomic_and_never_clobber(tmp_path, cover_png):
    out = tmp_path / "out.png"
    out.write_bytes(b"precious")
    result = stegokit.embed_text(cover_png, "x")
    with pytest.raises(OutputError, match="exists"):
        result.save(out)
    assert out.read_bytes() == b"precious"
    result.save(out, force=True)
    assert stegokit.extract_text(out).text == "x"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    with pytest.raises(OutputError, match="does not exist"):
        result.save(tmp_path / "missing" / "out.png")


def test_arrays_and_pillow_images_are_accepted():
    as_array = stegokit.embed_text(RGB, "array")
    as_pil = stegokit.embed_text(Image.fromarray(RGB), "pil", rng=0)
    grey = stegokit.embed_text(RGB[:, :, 0], "2-D grey array")
    assert stegokit.extract_text(as_array.pixels).text == "array"
    assert stegokit.extract_text(images.to_pillow(as_pil.picture)).text == "pil"
    assert stegokit.extract_text(grey.pixels).text == "2-D grey array"
    with pytest.raises(InputError):
        stegokit.embed_text(RGB.astype(np.float32), "x")


def test_decompression_bomb_is_refused(tmp_path, monkeypatch, cover_png):
    monkeypatch.setenv("STEGOKIT_MAX_PIXELS", "1000")
    with pytest.raises(InputError, match="more than 1,000 pixels"):
        stegokit.capacity(cover_png)
    assert os.path.exists(cover_png)


def test_outputs_carry_no_mark_of_stegokit(tmp_path, cover_png):
    from stegokit import filetraits

    out = tmp_path / "out.png"
    stegokit.embed_text(cover_png, "x").save(out)
    data = out.read_bytes()
    traits = filetraits.inspect_file(data)
    assert traits.text == ()
    assert b"stegokit" not in data.lower()
    assert traits.zlib_level == filetraits.inspect_file(Path(cover_png).read_bytes()).zlib_level
    assert not any("fastest" in finding for finding in traits.findings)
