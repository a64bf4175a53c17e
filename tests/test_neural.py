"""The shipped neural codec: round trips through real files, clean photos, bad models."""

import io
import shutil

import numpy as np
import pytest
from conftest import require
from PIL import Image

from stegokit.codecs import neural, neural_model
from stegokit.errors import CapacityError, InputError, NoPayloadError

skdata = require("skimage.data")
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
MESSAGE = "stegokit ✓ neural codec 2026!!"[:32].encode()[: neural.CAPACITY]


def photo(name: str) -> np.ndarray:
    a = getattr(skdata, name)()
    return np.repeat(a[..., None], 3, axis=2) if a.ndim == 2 else a[..., :3]


def through(pixels: np.ndarray, tmp_path, fmt: str, **kw) -> np.ndarray:
    path = tmp_path / f"stego.{fmt.lower()}"
    Image.fromarray(pixels).save(path, fmt, **kw)
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


@pytest.fixture(scope="module", params=PHOTOS)
def stego(request):
    cover = photo(request.param)
    return cover, neural.embed(cover, MESSAGE)


def test_embed_keeps_shape_and_input(stego):
    cover, out = stego
    before = cover.copy()
    again = neural.embed(cover, MESSAGE)
    assert np.array_equal(cover, before)
    assert np.array_equal(again, out)
    assert out.shape == cover.shape and out.dtype == np.uint8
    mse = np.mean((out.astype(float) - cover) ** 2)
    assert mse > 0 and 10 * np.log10(255**2 / mse) > 36


@pytest.mark.parametrize(
    ("fmt", "kw"), [("PNG", {}), ("JPEG", {"quality": 90}), ("JPEG", {"quality": 75})]
)
def test_round_trip_through_files(stego, tmp_path, fmt, kw):
    assert neural.extract(through(stego[1], tmp_path, fmt, **kw)) == MESSAGE


def test_round_trip_after_half_resize(stego, tmp_path):
    img = Image.fromarray(stego[1])
    half = img.resize((img.width // 2, img.height // 2), Image.Resampling.BICUBIC)
    assert neural.extract(through(np.asarray(half), tmp_path, "PNG")) == MESSAGE


@pytest.mark.parametrize("name", [*PHOTOS, "camera", "immunohistochemistry", "hubble_deep_field"])
def test_clean_photos_have_no_payload(name):
    with pytest.raises(NoPayloadError):
        neural.extract(photo(name))


def test_capacity_and_input_errors():
    cover = photo("coffee")
    assert neural.CAPACITY >= 20
    with pytest.raises(CapacityError, match=str(neural.CAPACITY)):
        neural.embed(cover, b"x" * (neural.CAPACITY + 1))
    with pytest.raises(InputError, match="128"):
        neural.embed(cover[:100], b"hi")
    with pytest.raises(InputError):
        neural.extract(cover.astype(np.float32))
    with pytest.raises(InputError):
        neural.extract(cover[..., 0])


def test_strength_scales_the_residual():
    cover = photo("chelsea")
    weak = neural.embed(cover, MESSAGE, strength=0.5).astype(float) - cover
    strong = neural.embed(cover, MESSAGE, strength=4.0).astype(float) - cover
    assert np.abs(strong).mean() > 3 * np.abs(weak).mean()


def test_manifest_mismatch_is_a_clear_error(tmp_path, monkeypatch):
    for f in neural_model.model_dir().iterdir():
        if f.suffix == ".onnx" or f.name == neural_model.MANIFEST:
            shutil.copy(f, tmp_path / f.name)
    assert neural_model.verified_path("decoder", tmp_path)
    with open(tmp_path / "decoder.onnx", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(neural_model.ModelError, match=r"decoder\.onnx is damaged.*SHA-256"):
        neural_model.verified_path("decoder", tmp_path)
    monkeypatch.setattr(neural_model, "model_dir", lambda: tmp_path)
    neural_model.session.cache_clear()
    try:
        with pytest.raises(neural_model.ModelError, match="reinstall"):
            neural.extract(photo("coffee"))
        (tmp_path / neural_model.MANIFEST).unlink()
        with pytest.raises(neural_model.ModelError, match="missing"):
            neural_model.verified_path("encoder", tmp_path)
    finally:
        neural_model.session.cache_clear()


def test_sessions_are_cached():
    assert neural_model.session("decoder") is neural_model.session("decoder")


def test_jpeg_in_memory_round_trip_of_a_large_image():
    cover = np.asarray(Image.fromarray(photo("astronaut")).resize((2000, 1500)))
    buf = io.BytesIO()
    Image.fromarray(neural.embed(cover, MESSAGE)).save(buf, "JPEG", quality=80)
    assert neural.extract(np.asarray(Image.open(buf).convert("RGB"))) == MESSAGE


def test_large_images_are_composed_in_bands(monkeypatch, tmp_path):
    """Above BAND_PIXELS the residual is upsampled and added a band of rows at a time; the
    result is the one-call result but for float rounding (a value off by one, rarely)."""
    cover = np.ascontiguousarray(photo("coffee")[:, :397])  # odd sizes: bands of 41 rows
    bits = neural.encode(MESSAGE)
    residual = neural._residual(cover, bits)
    whole = neural._compose(cover, residual, 1.0)
    monkeypatch.setattr(neural, "BAND_PIXELS", 41 * 397)
    banded = neural._compose(cover, residual, 1.0)
    off = np.abs(banded.astype(int) - whole)
    assert off.max() <= 1 and np.count_nonzero(off) <= off.size // 10_000
    stego = neural.embed(cover, MESSAGE)
    assert neural.extract(through(stego, tmp_path, "JPEG", quality=90)) == MESSAGE


TURNS = {"rotate90": lambda a: np.rot90(a, 3), "rotate180": lambda a: np.rot90(a, 2),
         "rotate270": lambda a: np.rot90(a, 1), "mirror": lambda a: a[:, ::-1]}


@pytest.mark.parametrize("view", sorted(TURNS))
def test_turned_and_mirrored_images_read_back(stego, tmp_path, view):
    """A quarter, half or three-quarter turn (a viewer applying EXIF orientation) or a
    mirror, saved as JPEG: read in the view that undoes it."""
    turned = np.ascontiguousarray(TURNS[view](stego[1]))
    found = neural.read(through(turned, tmp_path, "JPEG", quality=90))
    assert found == neural.Reading(MESSAGE, view)
    assert neural.read(stego[1]) == neural.Reading(MESSAGE, "none")


def test_the_search_is_one_decoder_call_of_five_views(monkeypatch):
    calls = []
    real = neural._decoder
    monkeypatch.setattr(neural, "_decoder", lambda views: calls.append(len(views)) or real(views))
    with pytest.raises(NoPayloadError):
        neural.extract(photo("camera"))
    assert calls == [len(neural.VIEWS)] == [5]


def test_an_upside_down_mirror_is_not_searched():
    """A vertical flip is none of the five views: no message, and never a wrong one."""
    with pytest.raises(NoPayloadError):
        neural.extract(np.ascontiguousarray(neural.embed(photo("coffee"), MESSAGE)[::-1]))
