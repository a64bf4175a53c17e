"""The LSB codec through the public API: exact round trips, exact capacity, no garbage."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from conftest import CHEAP_KDF, photo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stegokit
from stegokit import metrics
from stegokit.codecs import lsb
from stegokit.errors import AuthenticationError, CapacityError, NoPayloadError

MODES = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}


def cover(mode: str, seed: int = 0, size: tuple[int, int] = (48, 40)) -> np.ndarray:
    """A small real-photo crop in the given mode (alpha varies, to see it is kept)."""
    base = photo("astronaut")[100 : 100 + size[0], 150 : 150 + size[1]]
    grey = base.mean(axis=2, keepdims=True).astype(np.uint8)
    alpha = np.random.default_rng(seed).integers(0, 256, size=(*size, 1), dtype=np.uint8)
    return {"L": grey, "LA": np.concatenate([grey, alpha], 2), "RGB": base,
            "RGBA": np.concatenate([base, alpha], 2)}[mode]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mode=st.sampled_from(sorted(MODES)), bits=st.integers(1, 4), fill=st.floats(0, 1),
       seed=st.integers(0, 2**32 - 1))
def test_round_trip_is_exact_up_to_capacity(mode, bits, fill, seed):
    pixels = cover(mode, seed)
    limit = stegokit.capacity(pixels, filename="m.bin").lsb[bits]
    message = np.random.default_rng(seed).bytes(int(limit * fill))
    before = pixels.copy()
    result = stegokit.embed_text(pixels, message, filename="m.bin", bits=bits, rng=seed)
    assert np.array_equal(pixels, before), "the cover must not be modified"
    if pixels.shape[2] in (2, 4):
        assert np.array_equal(result.pixels[..., -1], pixels[..., -1]), "alpha must be kept"
    found = stegokit.extract_text(result.pixels)
    assert found.payload.data == message and found.bits == bits


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("bits", [1, 2, 3, 4])
def test_capacity_is_exact(mode, bits):
    pixels = cover(mode)
    limit = stegokit.capacity(pixels).lsb[bits]
    exact = np.random.default_rng(bits).bytes(limit)
    assert stegokit.extract_text(stegokit.embed_text(pixels, exact, bits=bits).pixels) \
        .payload.data == exact
    with pytest.raises(CapacityError, match=f"at most {limit} bytes"):
        stegokit.embed_text(pixels, exact + b"!", bits=bits)


@pytest.mark.parametrize("bits", [1, 3])
def test_encrypted_capacity_is_exact(bits):
    pixels = cover("RGB")
    limit = stegokit.capacity(pixels).lsb_encrypted[bits]
    exact = np.random.default_rng(0).bytes(limit)
    result = stegokit.embed_text(pixels, exact, bits=bits, passphrase="pw", kdf=CHEAP_KDF)
    assert stegokit.extract_text(result.pixels, passphrase="pw").payload.data == exact
    with pytest.raises(CapacityError):
        stegokit.embed_text(pixels, exact + b"!", bits=bits, passphrase="pw", kdf=CHEAP_KDF)


@pytest.mark.parametrize("text", [
    "", "emoji 🏳️‍🌈👩🏽‍🚀", "中文字符と日本語のテキスト", "שלום עולם مرحبا بالعالم",
    "nul\x00inside\x00", "mixed ‮RTL override‬ and \r\n newlines",
])
def test_unicode_text_comes_back_identical(text):
    result = stegokit.embed_text(photo("coffee"), text)
    assert stegokit.extract_text(result.pixels).text == text


def test_wrong_passphrase_and_missing_passphrase():
    result = stegokit.embed_text(photo("coffee"), "secret", passphrase="right", kdf=CHEAP_KDF)
    with pytest.raises(AuthenticationError):
        stegokit.extract_text(result.pixels, passphrase="wrong")
    with pytest.raises(NoPayloadError, match="passphrase"):
        stegokit.extract_text(result.pixels)


@pytest.mark.parametrize("encrypted", [False, True])
@pytest.mark.parametrize("bits", [1, 2])
def test_every_flipped_payload_bit_is_caught(encrypted, bits):
    pixels = photo("chelsea")
    secret = {"passphrase": "pw"} if encrypted else {}
    result = stegokit.embed_text(pixels, "the exact words matter", bits=bits, rng=1,
                                 kdf=CHEAP_KDF, **secret)
    carriers = np.flatnonzero(result.pixels.reshape(-1) != pixels.reshape(-1))
    rng = np.random.default_rng(7)
    for index in rng.choice(carriers, size=min(40, len(carriers)), replace=False):
        damaged = result.pixels.copy().reshape(-1)
        damaged[index] ^= np.uint8(1)  # the low bit carries data in every layout
        with pytest.raises((AuthenticationError, NoPayloadError)):
            stegokit.extract_text(damaged.reshape(pixels.shape), **secret)


@pytest.mark.parametrize("message", ["x" * 2000 + "tail", "incompressible " * 3000])
def test_cropped_stego_never_returns_wrong_data(message):
    result = stegokit.embed_text(photo("chelsea"), message, rng=3)
    for rows in (1, 50, 200):
        with contextlib.suppress(AuthenticationError, NoPayloadError):
            assert stegokit.extract_text(result.pixels[:-rows]).text == message


def test_psnr_targets_on_a_megapixel_photo():
    big = np.kron(photo("astronaut"), np.ones((2, 2, 1), dtype=np.uint8))  # 1024 x 1024
    short = stegokit.embed_text(big, "twenty characters!!!", rng=0)
    assert short.psnr >= 70
    full = stegokit.embed_text(big, np.random.default_rng(0).bytes(
        stegokit.capacity(big).lsb[1]), rng=0)
    assert full.psnr >= 51


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("bits", [1, 2, 3, 4])
@pytest.mark.parametrize("fill", [0.0, 0.02, 0.3, 1.0])
def test_reported_psnr_and_changes_match_the_images(mode, bits, fill, cheap_kdf):
    pixels = cover(mode)
    size = int(stegokit.capacity(pixels).lsb[bits] * fill)
    result = stegokit.embed_text(pixels, np.random.default_rng(3).bytes(size), rng=4, bits=bits,
                                 passphrase="pw" if fill == 0.3 else None)
    assert result.changed == np.count_nonzero(result.pixels != pixels)
    assert result.psnr == pytest.approx(metrics.psnr(pixels, result.pixels), rel=1e-9)


def test_one_bit_embedding_changes_values_by_one_at_most():
    pixels = photo("rocket")
    result = stegokit.embed_text(pixels, np.random.default_rng(0).bytes(20_000), rng=0)
    diff = np.abs(result.pixels.astype(int) - pixels)
    assert diff.max() == 1
    # LSB matching: both directions are used about equally.
    signed = (result.pixels.astype(int) - pixels)[diff > 0]
    assert 0.45 < (signed > 0).mean() < 0.55


def test_optimal_pixel_adjustment_bounds_the_error():
    pixels = photo("rocket")
    for bits in (2, 3, 4):
        result = stegokit.embed_text(pixels, np.random.default_rng(0).bytes(50_000), bits=bits)
        error = np.abs(result.pixels.astype(int) - pixels)
        inner = (pixels >= 1 << bits) & (pixels <= 255 - (1 << bits))
        assert error[inner].max() <= 1 << (bits - 1)
        assert error.max() < 1 << bits


def test_tiny_images():
    tiny = np.zeros((1, 1, 3), dtype=np.uint8)
    assert stegokit.capacity(tiny).lsb[4] == 0
    with pytest.raises(CapacityError):
        stegokit.embed_text(tiny, "x")
    with pytest.raises(NoPayloadError):
        stegokit.extract_text(tiny)
    with pytest.raises(NoPayloadError):
        stegokit.extract_text(tiny, passphrase="pw")


@pytest.mark.parametrize("fraction", [0.002, 0.05, 0.1, 0.25])
def test_matrix_embedding_changes_fewer_values(fraction):
    pixels = photo("astronaut")
    message = np.random.default_rng(1).bytes(int(stegokit.capacity(pixels).lsb[1] * fraction))
    result = stegokit.embed_text(pixels, message, rng=1, adaptive=False)
    assert stegokit.extract_text(result.pixels).payload.data == message
    assert result.changed / (len(message) * 8) <= 0.3


def test_matrix_embedding_with_a_passphrase():
    pixels = photo("astronaut")
    message = np.random.default_rng(2).bytes(5_000)
    result = stegokit.embed_text(pixels, message, passphrase="pw", kdf=CHEAP_KDF, rng=2,
                                 adaptive=False)
    assert result.changed / (len(message) * 8) <= 0.25
    assert stegokit.extract_text(result.pixels, passphrase="pw").payload.data == message


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
@pytest.mark.parametrize("fraction", [0.002, 0.25])
@pytest.mark.parametrize("adaptive", [False, True])
def test_one_bit_layouts_touch_only_unsaturated_blocks(mode, fraction, adaptive):
    """Few changes are written one by one, many in one pass over the image; either way only
    values of blocks free of 0 and 255 move, by one, and ``changed`` counts them (matrix
    embedding and the adaptive layout)."""
    rgb = photo("astronaut").copy()
    rgb[200:260, 100:400] = 255  # blocks the 1-bit layout must skip
    pixels = rgb if mode == "RGB" else np.concatenate(
        [rgb, np.full((*rgb.shape[:2], 1), 7, dtype=np.uint8)], axis=2)
    message = np.random.default_rng(3).bytes(int(stegokit.capacity(pixels).lsb[1] * fraction))
    result = stegokit.embed_text(pixels, message, rng=3, adaptive=adaptive)
    assert stegokit.extract_text(result.pixels).payload.data == message
    diff = result.pixels.astype(int) - pixels
    assert np.abs(diff).max() == 1 and not diff[..., 3:].any()
    assert result.changed == np.count_nonzero(diff)
    values = pixels[..., :3].reshape(-1)
    usable = len(values) // 64 * 64
    saturated = ((values[:usable] == 0) | (values[:usable] == 255)).reshape(-1, 64).any(axis=1)
    moved = diff[..., :3].reshape(-1)[:usable].reshape(-1, 64).any(axis=1)
    assert not (moved & saturated).any()


def step_up_shares(cover: np.ndarray, stego: np.ndarray) -> tuple[float, float, int]:
    """P(+1 | even cover value) and P(+1 | odd cover value) among the changed values, and the
    smaller of the two counts."""
    diff = (stego.astype(int) - cover).reshape(-1)
    even = cover.reshape(-1) % 2 == 0
    changed = diff != 0
    up_even, up_odd = diff[changed & even] > 0, diff[changed & ~even] > 0
    return up_even.mean(), up_odd.mean(), min(len(up_even), len(up_odd))


@pytest.mark.parametrize(("name", "fraction", "passphrase"), [
    ("coffee", 1.0, None),  # full: no matrix code, plain ordered writes
    ("astronaut", 0.004, None),  # matrix embedding, few changes: written one by one
    ("chelsea", 0.25, None),  # matrix embedding, many changes: one pass over the image
    ("rocket", 0.05, "pw"),  # encrypted: the key block, the header and the Hamming body
])
def test_one_bit_steps_do_not_depend_on_the_cover_parity(name, fraction, passphrase):
    """LSB matching: a changed value moves up or down at random whatever its parity. (LSB
    replacement moves every even value up and every odd value down, which RS, SPA and
    chi-square analysis detect.)"""
    pixels = photo(name)
    secret = {"passphrase": passphrase, "kdf": CHEAP_KDF} if passphrase else {}
    room = stegokit.capacity(pixels, filename="m.bin")
    limit = (room.lsb_encrypted if passphrase else room.lsb)[1]
    message = np.random.default_rng(5).bytes(int(limit * fraction))
    result = stegokit.embed_text(pixels, message, filename="m.bin", rng=5, **secret)
    up_even, up_odd, count = step_up_shares(pixels, result.pixels)
    assert count >= 200
    assert 0.35 < up_even < 0.65 and 0.35 < up_odd < 0.65, (up_even, up_odd)


def test_one_bit_steps_at_the_ends_keep_values_inside_1_to_254():
    """1 only steps up and 254 only down; 2 and 253 still step either way."""
    pixels = np.random.default_rng(0).choice(
        np.array([1, 2, 253, 254], dtype=np.uint8), size=(64, 96, 3))
    message = np.random.default_rng(1).bytes(stegokit.capacity(pixels, filename="m.bin").lsb[1])
    result = stegokit.embed_text(pixels, message, filename="m.bin", rng=2)
    assert stegokit.extract_text(result.pixels).payload.data == message
    stego = result.pixels.astype(int)
    assert stego.min() >= 1 and stego.max() <= 254
    for value in (2, 253):
        moved = stego[(pixels == value) & (result.pixels != pixels)]
        assert {value - 1, value + 1} <= set(moved.tolist())


def test_every_one_bit_step_is_drawn_at_random_up_to_the_last_value():
    """The ±1 sign of LSB matching is random for each value, the last ones included (one
    random bit per value, however many values change)."""
    flat = np.full(9000, 100, dtype=np.uint8)
    changed = lsb.write_symbols(flat, np.arange(9000), np.ones(9000, dtype=np.uint8), 1,
                                np.random.default_rng(0))
    assert changed == 9000
    assert set(np.unique(flat).tolist()) == {99, 101}
    for part in np.array_split(flat, 9):
        assert 0.4 < np.mean(part == 101) < 0.6


@pytest.mark.parametrize("bits", [1, 2, 3, 4, 5, 6])
def test_symbols_and_bytes_are_inverse(bits):
    """The bit packing of every width the codec uses (1-4 bits per value, 2-6 bit Hamming
    messages), and only the first ``size`` bytes of a longer symbol stream are read."""
    data = np.random.default_rng(bits).bytes(37)
    symbols = lsb._symbols(data, bits)
    assert len(symbols) == -(-37 * 8 // bits) and symbols.max() < 1 << bits
    assert lsb._bytes(symbols, bits, 37) == data
    assert lsb._bytes(lsb._symbols(data + b"more", bits), bits, 37) == data


def test_the_one_pass_write_is_chunked_correctly_on_a_tall_narrow_image():
    """240,000 x 4 RGB values (2.9 M): matrix embedding with many changes rewrites the image
    in one pass, in chunks of whole rows (here two); every chunk must get its own signs."""
    pixels = np.resize(photo("coffee"), (240_000, 4, 3))
    limit = stegokit.capacity(pixels, filename="m.bin").lsb[1]
    message = np.random.default_rng(7).bytes(limit // 4)
    result = stegokit.embed_text(pixels, message, filename="m.bin", rng=7, adaptive=False)
    assert stegokit.extract_text(result.pixels).payload.data == message
    diff = result.pixels.astype(np.int16) - pixels
    assert np.abs(diff).max() == 1
    assert np.count_nonzero(diff) == result.changed
    half = len(diff) // 2
    assert np.count_nonzero(diff[:half]) and np.count_nonzero(diff[half:])
