"""The adaptive layout (HILL costs + syndrome-trellis codes): exact round trips in every mode
up to its capacity, changes where the cover is noisy, and the earlier layouts still chosen
when asked for or when the payload does not fit."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CHEAP_KDF, photo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_lsb import MODES, cover

import stegokit
from stegokit import container
from stegokit.codecs import adaptive, lsb
from stegokit.errors import AuthenticationError, CapacityError, InputError

ADAPTIVE_PARAM = lsb.layout_param(1, adaptive.CODE)


def _param(pixels: np.ndarray, **unlock) -> int:
    return lsb.extract(pixels, **unlock).param


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mode=st.sampled_from(sorted(MODES)), fill=st.floats(0, 1), seed=st.integers(0, 2**32 - 1))
def test_round_trip_is_exact_up_to_the_adaptive_capacity(mode, fill, seed):
    pixels = cover(mode, seed, size=(64, 56))
    limit = lsb.Carrier(pixels, 1, False).adaptive_capacity("m.bin")
    message = np.random.default_rng(seed).bytes(int(limit * fill))
    before = pixels.copy()
    result = stegokit.embed_text(pixels, message, filename="m.bin", rng=seed)
    assert np.array_equal(pixels, before), "the cover must not be modified"
    if pixels.shape[2] in (2, 4):
        assert np.array_equal(result.pixels[..., -1], pixels[..., -1]), "alpha must be kept"
    assert np.abs(result.pixels.astype(int) - pixels).max() <= 1
    assert result.changed == np.count_nonzero(result.pixels != pixels)
    assert _param(result.pixels) == ADAPTIVE_PARAM
    found = stegokit.extract_text(result.pixels)
    assert found.payload.data == message and found.bits == 1


@pytest.mark.parametrize("mode", sorted(MODES))
def test_adaptive_capacity_is_exact(mode):
    """One byte more than the adaptive capacity falls back to matrix embedding or plain."""
    pixels = cover(mode, size=(64, 56))
    limit = lsb.Carrier(pixels, 1, False).adaptive_capacity()
    assert 0 < limit < stegokit.capacity(pixels).lsb[1]
    exact = np.random.default_rng(1).bytes(limit)
    assert _param(stegokit.embed_text(pixels, exact, rng=1).pixels) == ADAPTIVE_PARAM
    over = stegokit.embed_text(pixels, exact + b"!", rng=1)
    assert _param(over.pixels) != ADAPTIVE_PARAM
    assert stegokit.extract_text(over.pixels).payload.data == exact + b"!"


@pytest.mark.parametrize("fill", [0.0, 0.3, 1.0])
def test_encrypted_round_trip_up_to_the_adaptive_capacity(fill):
    pixels = cover("RGB", size=(64, 56))
    limit = lsb.Carrier(pixels, 1, True).adaptive_capacity()
    message = np.random.default_rng(2).bytes(int(limit * fill))
    result = stegokit.embed_text(pixels, message, passphrase="pw", kdf=CHEAP_KDF, rng=2)
    assert stegokit.extract_text(result.pixels, passphrase="pw").payload.data == message
    assert _param(result.pixels, unlock=stegokit.api.make_unlock("pw")) == ADAPTIVE_PARAM


def test_changes_go_to_the_noisy_half():
    """A cover whose left half is a smooth gradient and right half a noisy photo crop: at
    0.1 bits per value the adaptive layout changes the noisy half far more; the earlier
    layout changes both alike."""
    rng = np.random.default_rng(0)
    smooth = np.tile(np.linspace(60, 190, 128), (256, 1))
    noisy = photo("camera")[:256, :128, 0].astype(float) + rng.normal(0, 3, (256, 128))
    pixels = np.clip(np.hstack([smooth, noisy]), 1, 254).astype(np.uint8)[..., None]
    message = rng.bytes(pixels.size // 80)  # 0.1 bits per value
    halves = {}
    for layout in (True, False):
        diff = stegokit.embed_text(pixels, message, rng=0, adaptive=layout).pixels != pixels
        halves[layout] = diff[:, :128].sum(), diff[:, 128:].sum()
    assert halves[True][0] * 10 < halves[True][1]
    assert halves[False][0] * 2 > halves[False][1]


def test_fewer_changes_than_plain_matching_would_make():
    pixels = photo("astronaut")
    message = np.random.default_rng(4).bytes(pixels.size // 40)  # 0.2 bits per value
    result = stegokit.embed_text(pixels, message, rng=4)
    assert result.changed / (len(message) * 8) < 0.35  # plain ±1 matching: 0.5


def test_stealth_means_the_adaptive_layout():
    pixels = photo("astronaut")
    result = stegokit.embed_text(pixels, "short", stealth=True, adaptive=False, rng=0)
    assert _param(result.pixels) == ADAPTIVE_PARAM
    too_much = np.random.default_rng(0).bytes(int(pixels.size * stegokit.api.STEALTH_RATE / 8))
    with pytest.raises(CapacityError, match="--stealth keeps the payload"):
        stegokit.embed_text(pixels, too_much, stealth=True)
    with pytest.raises(InputError):
        stegokit.embed_text(pixels, "short", stealth=True, bits=2)


def test_a_header_claiming_more_than_the_layout_holds_is_refused_cleanly():
    """An adaptive header whose length fits the carrier but no trellis plan (over one bit per
    two values): "damaged", exit code 4, not a crash or garbage."""
    pixels = cover("RGB", size=(64, 56))
    size = int(stegokit.capacity(pixels).lsb[1] * 0.8)
    data = container.pack(container.Payload(np.random.default_rng(5).bytes(size), "file"),
                          codec=container.CODEC_LSB, param=ADAPTIVE_PARAM)
    forged = lsb.embed(pixels, data, code=0, rng=5)[0]  # written in the plain layout
    with pytest.raises(AuthenticationError, match="header is damaged"):
        stegokit.extract_text(forged)


def test_tiny_payloads_skip_the_cost_map_unless_stealth_asks_for_it():
    """Below ADAPTIVE_MIN_RATE the default writes Hamming matrix embedding (a few dozen
    changes; no whole-image cost map); ``stealth`` and larger payloads use the adaptive one."""
    from stegokit import api

    pixels = photo("astronaut")
    values = pixels.size
    tiny = "x" * 20
    large = np.random.default_rng(0).bytes(int(values * 0.02 / 8))

    def layout(result) -> int:
        return lsb.extract(result.pixels).param >> 4

    assert layout(stegokit.embed_text(pixels, tiny, rng=0)) != 15
    assert layout(stegokit.embed_text(pixels, tiny, stealth=True, rng=0)) == 15
    assert layout(stegokit.embed_text(pixels, large, rng=0)) == 15
    assert api.ADAPTIVE_MIN_RATE * values / 8 > len(tiny) + 40


def test_the_cost_map_in_bands_equals_the_whole_image_map():
    """Levels computed band by band (with the filters' context rows) are those of the HILL
    map of the whole image, at the bands' seams and at the image's edges."""
    from stegokit.codecs import costs

    pixels = np.concatenate([photo("astronaut")[:, :200], photo("coffee")[:, :200]])  # > 2 bands
    found, counts = costs.levels(pixels)
    whole = np.empty_like(found)
    for c in range(3):
        costs._to_levels(costs.hill(pixels[..., c]), whole[..., c])
    assert np.array_equal(found, whole)
    assert np.array_equal(counts, np.bincount(whole.reshape(-1), minlength=256))


def test_neighbouring_changes_step_alike():
    """Changed values whose same-channel neighbour also changed mostly step the same way
    (random signs would agree half the time); the stego image still reads back."""
    pixels = photo("astronaut")
    message = np.random.default_rng(6).bytes(pixels.size * 3 // 80)  # 0.3 bits per value
    result = stegokit.embed_text(pixels, message, rng=6)
    assert _param(result.pixels) == ADAPTIVE_PARAM
    step = result.pixels.astype(np.int16) - pixels
    pairs = [(step[:, 1:], step[:, :-1]), (step[1:], step[:-1])]
    both = sum(np.count_nonzero((a != 0) & (b != 0)) for a, b in pairs)
    alike = sum(np.count_nonzero((a != 0) & (a == b)) for a, b in pairs)
    assert both > 1000 and alike > 0.9 * both
    assert stegokit.extract_text(result.pixels).payload.data == message


def test_hill_is_the_published_cost():
    """HILL (Li et al., ICIP 2014) as SciPy's filters compute it: the KB residual's magnitude,
    its 3x3 mean, the reciprocal, its 15x15 mean (edges mirrored)."""
    from scipy import ndimage

    from stegokit.codecs import costs

    kb = np.array([[-1, 2, -1], [2, -4, 2], [-1, 2, -1]], dtype=np.float32) / 4
    for channel in (photo("camera")[..., 0], photo("astronaut")[:40, :23, 2]):
        residual = np.abs(ndimage.convolve(channel.astype(np.float32), kb, mode="reflect"))
        smoothed = ndimage.uniform_filter(residual, 3, mode="reflect") + np.float32(1e-3)
        expected = ndimage.uniform_filter(1 / smoothed, 15, mode="reflect")
        np.testing.assert_allclose(costs.hill(channel), expected, rtol=1e-5)
