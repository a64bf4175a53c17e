"""hide_image / reveal_image and the imagehide codec: exactness, quality, layout, errors."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from conftest import CHEAP_KDF, photo
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from PIL import Image

import stegokit
from stegokit import api, imageapi
from stegokit.codecs import imagehide, lsb
from stegokit.codecs.order import FIXED_KEY, order
from stegokit.errors import (
    AuthenticationError,
    CapacityError,
    InputError,
    NoPayloadError,
    OutputError,
)
from stegokit.metrics import psnr


def digest(pixels: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).hexdigest()


def synthetic(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Gradients plus noise, so the image neither compresses to nothing nor is pure noise."""
    rng = np.random.default_rng(seed)
    h, w = shape[:2]
    ramp = (np.add.outer(np.arange(h), np.arange(w)) * 255 // (h + w)).astype(np.uint8)
    out = np.repeat(ramp[:, :, None], shape[2], axis=2)
    return out + rng.integers(0, 24, size=shape, dtype=np.uint8)


def rgba_secret() -> np.ndarray:
    """A real photo with a binary alpha channel (a transparent disc)."""
    rgb = photo("chelsea")[:160, :200]
    yy, xx = np.mgrid[:160, :200]
    alpha = np.where((yy - 80) ** 2 + (xx - 100) ** 2 < 60**2, 255, 0).astype(np.uint8)
    return np.dstack([rgb, alpha])


SECRETS = {
    "photo-rgb": lambda: photo("coffee")[:200, :240],
    "photo-l": lambda: photo("camera")[:220, :220],
    "photo-rgba": rgba_secret,
    "synthetic-rgb": lambda: synthetic((150, 170, 3)),
    "synthetic-l": lambda: synthetic((180, 150, 1), seed=1),
    "synthetic-la": lambda: synthetic((90, 120, 2), seed=2),
}


# --- exact modes --------------------------------------------------------------------------

@pytest.mark.parametrize("passphrase", [None, "correct horse"])
@pytest.mark.parametrize("secret_name", sorted(SECRETS))
@pytest.mark.parametrize("mode", ["lossless", "nibble"])
def test_exact_modes_reveal_every_pixel(mode, secret_name, passphrase):
    cover = photo("astronaut")
    secret = SECRETS[secret_name]()
    before = (digest(cover), digest(secret))
    hidden = imageapi.hide_image(cover, secret, mode=mode, passphrase=passphrase,
                                 kdf=CHEAP_KDF, rng=1)
    assert (digest(cover), digest(secret)) == before  # inputs untouched
    assert hidden.mode == mode and hidden.exact and hidden.encrypted == bool(passphrase)
    found = imageapi.reveal_image(hidden.pixels, passphrase=passphrase)
    assert found.mode == mode and found.exact
    assert found.pixels.shape == secret.shape
    assert digest(found.pixels) == digest(secret)
    assert found.picture.mode == {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[secret.shape[2]]


@settings(max_examples=100, deadline=None)
@given(h=st.integers(1, 24), w=st.integers(1, 24), c=st.sampled_from([1, 2, 3, 4]),
       seed=st.integers(0, 2**32 - 1), mode=st.sampled_from(["lossless", "nibble"]))
def test_exact_modes_any_small_secret(h, w, c, seed, mode):
    secret = np.random.default_rng(seed).integers(0, 256, size=(h, w, c), dtype=np.uint8)
    cover = synthetic((64, 64, 3))
    found = imageapi.reveal_image(imageapi.hide_image(cover, secret, mode=mode, rng=seed).pixels)
    assert np.array_equal(found.pixels, secret)


def test_nibble_is_the_classic_layout_with_pixel_adjustment():
    """Two 4-bit symbols per secret byte; a value away from 0 and 255 moves by at most 8."""
    cover = photo("rocket")
    secret = photo("chelsea")[:100, :100]
    hidden = imageapi.hide_image(cover, secret, mode="nibble", rng=0)
    diff = np.abs(hidden.pixels.astype(int) - cover)
    inside = (cover >= 8) & (cover <= 247)
    assert hidden.bits == 4 and diff[inside].max() <= 8 and diff.max() <= 15
    assert hidden.stored_bytes == secret.size  # two half-bytes per byte, 4 bits each
    assert hidden.cover_psnr > 34  # OPA: about 34.8 dB where the values are changed


def test_lossless_uses_the_fewest_bits_that_fit():
    cover = photo("astronaut")
    secret = photo("coffee")[:120, :120]
    hidden = imageapi.hide_image(cover, secret, mode="lossless")
    fitting = [b for b in lsb.BITS
               if hidden.stored_bytes <= lsb.capacity(cover, b, encrypted=False,
                                                      name="secret.webp")]
    assert hidden.bits == fitting[0] == 1
    assert hidden.cover_psnr > 50
    with pytest.raises(CapacityError):
        imageapi.hide_image(cover, photo("astronaut"), mode="lossless", bits=1)


def test_a_png_secret_travels_as_its_own_file(tmp_path):
    """The original PNG's bytes are hidden, and reveal writes them back byte for byte."""
    source = tmp_path / "secret.png"
    Image.fromarray(photo("coffee")[:150, :150]).save(source)
    hidden = imageapi.hide_image(photo("astronaut"), source, mode="lossless")
    assert hidden.secret_format == "PNG" and hidden.stored_bytes == source.stat().st_size
    found = imageapi.reveal_image(hidden.pixels)
    assert found.name == "secret.png" and found.data_format == "PNG"
    found.save(tmp_path / "again.png")
    assert (tmp_path / "again.png").read_bytes() == source.read_bytes()
    found.save(tmp_path / "again.bmp")
    again = np.asarray(Image.open(tmp_path / "again.bmp"))
    assert np.array_equal(again, photo("coffee")[:150, :150])
    with pytest.raises(OutputError, match="JPEG"):
        found.save(tmp_path / "again.jpg")


# --- planes -------------------------------------------------------------------------------

def test_planes_symbols_levels_and_fill():
    values = np.arange(256, dtype=np.uint8).reshape(16, 16, 1)
    symbols = imagehide.planes_symbols(values, 4)
    assert symbols.dtype == np.uint8 and symbols.shape == (256,)
    assert np.array_equal(symbols, np.arange(256) >> 4)
    levels = imagehide.planes_levels(values, 4)
    assert levels.shape == (1, 16)
    # evenly spread values: each level is the middle of its bin (16k + 7.5 rounds to 16k + 8)
    assert np.array_equal(levels[0], np.arange(16) * 16 + 8)
    sparse = np.array([[[0, 200, 255]]], dtype=np.uint8)
    levels = imagehide.planes_levels(sparse, 2)
    assert levels.shape == (3, 4)
    assert levels[0, 0] == 0 and levels[1, 3] == 200 and levels[2, 3] == 255
    assert levels[0, 1] == 96  # an empty bin keeps its mid value
    revealed = imagehide.planes_pixels(imagehide.planes_symbols(sparse, 2), sparse.shape, levels)
    assert np.array_equal(revealed, sparse)


@pytest.mark.parametrize("passphrase", [None, "pw"])
@pytest.mark.parametrize("cover_name, secret_name", [("rocket", "chelsea"),
                                                     ("astronaut", "coffee")])
def test_planes_same_size_real_photos(cover_name, secret_name, passphrase):
    cover = photo(cover_name)
    secret = photo(secret_name)
    h, w = min(cover.shape[0], secret.shape[0]), min(cover.shape[1], secret.shape[1])
    cover, secret = cover[:h, :w], secret[:h, :w]
    hidden = imageapi.hide_image(cover, secret, mode="planes", passphrase=passphrase,
                                 kdf=CHEAP_KDF, rng=3)
    found = imageapi.reveal_image(hidden.pixels, passphrase=passphrase)
    assert hidden.k == found.k == 4 and found.mode == "planes" and not found.exact
    assert hidden.cover_psnr >= 34
    assert psnr(secret, found.pixels) == pytest.approx(hidden.secret_psnr)
    assert hidden.secret_psnr >= 34
    # the classic scheme (replace the low 4 bits, zero fill) on the same pair
    assert hidden.cover_psnr > psnr(cover, (cover & 0xF0) | (secret >> 4)) + 10
    assert hidden.secret_psnr > psnr(secret, secret & 0xF0) + 4


@pytest.mark.parametrize("passphrase", [None, "pw"])
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_planes_fixed_rate_stream_for_a_secret_that_does_not_compress(k, passphrase):
    """Noise as large as the cover: every value carries k bits, a few k + 1."""
    cover = photo("astronaut")
    secret = np.random.default_rng(k).integers(0, 256, size=cover.shape, dtype=np.uint8)
    hidden = imageapi.hide_image(cover, secret, mode="planes", bits=k, passphrase=passphrase,
                                 kdf=CHEAP_KDF, rng=k)
    assert not hidden.packed and hidden.bits == k
    diff = np.abs(hidden.pixels.astype(int) - cover)
    inside = (cover >= 1 << k) & (cover < 256 - (1 << k))
    # k bits, or k + 1 for a few overflow values, each moved the least (OPA)
    assert diff[inside].max() <= 1 << k
    assert np.count_nonzero(diff[inside] > 1 << (k - 1)) < 0.01 * diff.size
    found = imageapi.reveal_image(hidden.pixels, passphrase=passphrase)
    levels = imagehide.planes_levels(secret, k)
    expected = imagehide.planes_pixels(imagehide.planes_symbols(secret, k), secret.shape, levels)
    assert np.array_equal(found.pixels, expected)
    if k == 4:  # astronaut's black background cannot take OPA's move down: ~1 dB lost
        assert hidden.cover_psnr > 33 and hidden.secret_psnr > 34


def test_planes_keeps_binary_alpha_exact():
    secret = rgba_secret()
    hidden = imageapi.hide_image(photo("astronaut"), secret, mode="planes", bits=2)
    found = imageapi.reveal_image(hidden.pixels)
    assert found.picture.mode == "RGBA"
    assert np.array_equal(found.pixels[:, :, 3], secret[:, :, 3])


def test_fixed_rate_stream_is_authenticated():
    cover = photo("astronaut")
    secret = np.random.default_rng(0).integers(0, 256, size=cover.shape, dtype=np.uint8)
    hidden = imageapi.hide_image(cover, secret, mode="planes")
    assert not hidden.packed
    tampered = hidden.pixels.copy()
    blocks = lsb.value_count(cover.shape) // 64
    last = order(blocks, FIXED_KEY).take(blocks * 64)[-1]
    tampered.reshape(-1)[last] ^= 1
    with pytest.raises(AuthenticationError):
        imageapi.reveal_image(tampered)


# --- choice, capacity, errors -------------------------------------------------------------

def test_auto_prefers_lossless_then_planes():
    cover = photo("astronaut")
    small = imageapi.hide_image(cover, photo("coffee")[:200, :200])
    assert small.mode == "lossless" and small.exact
    noise = np.random.default_rng(0).integers(0, 256, size=(400, 400, 3), dtype=np.uint8)
    large = imageapi.hide_image(cover, noise)
    assert large.mode == "planes" and large.k == 4 and large.secret_psnr > 34


def test_too_large_reports_the_largest_secret_per_mode():
    cover = photo("coffee")[:200, :200]
    with pytest.raises(CapacityError) as caught:
        imageapi.hide_image(cover, photo("astronaut"))
    message = str(caught.value)
    assert "lossless" in message and "nibble 20,000 pixels (60,000 bytes)" in message
    assert "planes with --bits 4 40,000 pixels (120,000 bytes)" in message
    assert "--resize" in message
    with pytest.raises(CapacityError):
        imageapi.hide_image(cover, photo("coffee")[:150, :150], mode="nibble")


def test_resize_scales_the_secret_down_for_planes():
    cover = photo("coffee")[:200, :200]
    hidden = imageapi.hide_image(cover, photo("astronaut"), resize=True)
    assert hidden.mode == "planes" and hidden.resized_from == (512, 512)
    width, height = hidden.secret_size
    assert width == height and 190 <= width <= 200
    found = imageapi.reveal_image(hidden.pixels)
    assert found.pixels.shape == (height, width, 3)
    with pytest.raises(InputError):
        imageapi.hide_image(cover, photo("astronaut"), mode="nibble", resize=True)


def test_bad_arguments():
    cover, secret = photo("astronaut"), photo("coffee")[:10, :10]
    with pytest.raises(InputError):
        imageapi.hide_image(cover, secret, mode="sideways")
    with pytest.raises(InputError):
        imageapi.hide_image(cover, secret, bits=5)
    with pytest.raises(InputError):
        imageapi.hide_image(cover, secret, mode="nibble", bits=2)


def test_passphrase_errors():
    cover = photo("astronaut")
    secret = photo("coffee")[:100, :100]
    for mode in ("lossless", "nibble", "planes"):
        hidden = imageapi.hide_image(cover, secret, mode=mode, passphrase="right",
                                     kdf=CHEAP_KDF)
        with pytest.raises(AuthenticationError):
            imageapi.reveal_image(hidden.pixels, passphrase="wrong")
        with pytest.raises(NoPayloadError):
            imageapi.reveal_image(hidden.pixels)


def test_text_and_image_stego_are_told_apart():
    cover = photo("astronaut")
    text = api.embed_text(cover, "not an image")
    with pytest.raises(InputError, match="extract-text"):
        imageapi.reveal_image(text.pixels)
    image = imageapi.hide_image(cover, photo("coffee")[:50, :50])
    with pytest.raises(InputError, match="reveal-image"):
        api.extract_text(image.pixels)
    with pytest.raises(NoPayloadError):
        imageapi.reveal_image(cover)


def test_capacity_reports_the_largest_secret_image():
    report = stegokit.capacity(photo("astronaut"))
    image = report.to_dict()["image"]
    assert image["plain"]["planes"]["4"]["rgb_pixels"] == 512 * 512
    assert image["plain"]["nibble"]["rgb_pixels"] == 512 * 512 // 2
    assert image["encrypted"]["lossless_file_bytes"]["4"] == report.lsb_encrypted[4]
    # what capacity promises, hide_image takes
    noise = np.random.default_rng(5).integers(0, 256, size=(256, 512, 3), dtype=np.uint8)
    assert imageapi.hide_image(photo("astronaut"), noise, mode="nibble").exact


def test_public_exports():
    assert stegokit.hide_image is imageapi.hide_image
    assert stegokit.reveal_image is imageapi.reveal_image


@pytest.mark.parametrize("mode", ["lossless", "nibble", "planes"])
def test_grey_and_rgba_covers_keep_their_alpha(mode):
    secret = photo("coffee")[:60, :80]
    grey = photo("camera")
    found = imageapi.reveal_image(imageapi.hide_image(grey, secret, mode=mode).pixels)
    assert found.pixels.shape == secret.shape
    rgba = rgba_secret()
    rgba_cover = np.dstack([photo("astronaut")[:160, :200], rgba[:, :, 3]])
    hidden = imageapi.hide_image(rgba_cover, secret, mode=mode)
    assert np.array_equal(hidden.pixels[:, :, 3], rgba_cover[:, :, 3])
    found = imageapi.reveal_image(hidden.pixels)
    if mode != "planes":
        assert np.array_equal(found.pixels, secret)


def test_recipient_keys():
    private, public = stegokit.crypto.generate_keypair()
    hidden = imageapi.hide_image(photo("astronaut"), photo("coffee")[:80, :80], mode="nibble",
                                 recipient=public)
    found = imageapi.reveal_image(hidden.pixels, private_key=private)
    assert np.array_equal(found.pixels, photo("coffee")[:80, :80])
    other, _ = stegokit.crypto.generate_keypair()
    with pytest.raises(AuthenticationError):
        imageapi.reveal_image(hidden.pixels, private_key=other)


def test_webp_secrets(tmp_path):
    secret = photo("coffee")[:100, :120]
    exact, lossy = tmp_path / "exact.webp", tmp_path / "lossy.webp"
    Image.fromarray(secret).save(exact, lossless=True, exact=True)
    Image.fromarray(secret).save(lossy, quality=60)
    cover = photo("astronaut")
    hidden = imageapi.hide_image(cover, exact, mode="lossless")
    assert hidden.secret_format == "WEBP" and hidden.stored_bytes == exact.stat().st_size
    assert np.array_equal(imageapi.reveal_image(hidden.pixels).pixels, secret)
    hidden = imageapi.hide_image(cover, lossy, mode="lossless")
    assert hidden.stored_bytes != lossy.stat().st_size  # re-encoded losslessly
    decoded = np.asarray(Image.open(lossy).convert("RGB"))
    assert np.array_equal(imageapi.reveal_image(hidden.pixels).pixels, decoded)


def test_a_cover_too_small_for_anything():
    tiny = photo("astronaut")[:8, :8]
    with pytest.raises(CapacityError):
        imageapi.hide_image(tiny, photo("coffee")[:4, :4], mode="nibble")
    with pytest.raises(CapacityError):
        imageapi.hide_image(tiny, photo("coffee")[:40, :40], resize=True)


@settings(max_examples=100, deadline=None)
@given(side=st.integers(12, 48), cover_channels=st.sampled_from([1, 3, 4]),
       channels=st.sampled_from([1, 2, 3, 4]), k=st.sampled_from(imagehide.PLANE_BITS),
       mode=st.sampled_from(["nibble", "planes"]), fill=st.floats(0.5, 1.0),
       encrypted=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_fixed_rate_stream_fills_any_cover(side, cover_channels, channels, k, mode, fill,
                                           encrypted, seed):
    """Up to the capacity (overflow included), the stream comes back whole."""
    rng = np.random.default_rng(seed)
    cover = rng.integers(0, 256, size=(side, side + 5, cover_channels), dtype=np.uint8)
    depth = imagehide.NIBBLE_DEPTH if mode == "nibble" else k
    per_value = 2 if mode == "nibble" else 1
    room = imagehide.max_symbols(cover.shape, depth, encrypted=encrypted)
    pixels = int(room * fill) // (channels * per_value)
    assume(pixels >= 1)  # (hypothesis reports the cases it set aside)
    secret = rng.integers(0, 256, size=(1, pixels, channels), dtype=np.uint8)
    lock = api.make_lock("pw", kdf=CHEAP_KDF) if encrypted else None
    stego, _ = imagehide.embed_stream(cover, secret, mode=mode, k=k, lock=lock, rng=seed)
    if cover_channels == 4:
        assert np.array_equal(stego[:, :, 3], cover[:, :, 3])
    found = imagehide.extract(stego, unlock=api.make_unlock("pw") if encrypted else None)
    if mode == "nibble":
        assert np.array_equal(found.pixels, secret)
    else:
        levels = imagehide.planes_levels(secret, k)
        symbols = imagehide.planes_symbols(secret, k)
        assert np.array_equal(found.pixels, imagehide.planes_pixels(symbols, secret.shape, levels))
    with pytest.raises(CapacityError):
        too_many = rng.integers(0, 256, size=(1, room // per_value + 1, 1), dtype=np.uint8)
        imagehide.embed_stream(cover, too_many, mode=mode, k=k, lock=lock)
