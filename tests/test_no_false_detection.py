"""1,000 clean images (photo crops and random noise) must all say "no hidden message"."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import PHOTOS, photo

import stegokit
from stegokit.errors import AuthenticationError, NoPayloadError


def clean_images(count: int):
    rng = np.random.default_rng(2026)
    photos = [photo(name) for name in PHOTOS]
    for i in range(count):
        if i % 2:
            h, w = rng.integers(16, 200, size=2)
            channels = int(rng.choice([1, 3, 4]))
            yield rng.integers(0, 256, size=(h, w, channels), dtype=np.uint8)
        else:
            source = photos[i // 2 % len(photos)]
            h, w = rng.integers(32, min(source.shape[:2]), size=2)
            top = rng.integers(0, source.shape[0] - h + 1)
            left = rng.integers(0, source.shape[1] - w + 1)
            yield source[top : top + h, left : left + w]


def test_a_thousand_clean_images_carry_nothing():
    found = 0
    for pixels in clean_images(1000):
        try:
            stegokit.extract_text(pixels)
            found += 1
        except NoPayloadError:
            pass
    assert found == 0


@pytest.mark.parametrize("name", PHOTOS)
def test_clean_photos_with_a_passphrase_give_nothing(name):
    """With a secret, a clean photo and a wrong passphrase look alike (format v2 stores
    nothing a reader could check without the key): one AuthenticationError that says so."""
    with pytest.raises(AuthenticationError, match="or no message"):
        stegokit.extract_text(photo(name), passphrase="anything")
