"""The short-message read of matrix embedding gives what the whole-image read gives."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import photo

import stegokit
from stegokit.codecs import lsb
from stegokit.codecs.order import FIXED_KEY, order


def whole_image_read(pixels, carrier, sequence, size, code, monkeypatch):
    monkeypatch.setattr(lsb, "_FEW_GROUPS", 10**9)  # never the short path
    return lsb._read_hamming(pixels, carrier, sequence, size, code)


@pytest.mark.parametrize("clipped", [False, True], ids=["contiguous", "skipping blocks"])
@pytest.mark.parametrize("message", ["hi", "twenty characters!!!", "x" * 300])
def test_short_read_matches_whole_image_read(monkeypatch, message, clipped):
    # blocks with a value at 0 or 255 leave the 1-bit carrier, which then skips blocks
    low, high = (0, 255) if clipped else (2, 253)
    cover = np.clip(photo("astronaut"), low, high)
    stego = stegokit.embed_text(cover, message, rng=3).pixels
    carrier = lsb.Carrier(stego, 1, encrypted=False)
    assert carrier.contiguous != clipped
    sequence = order(carrier.size, FIXED_KEY)
    found = lsb._find(stego, FIXED_KEY, encrypted=False)
    header, rest, _ = found
    code = header.param >> 4
    assert code >= 2  # matrix embedding, which the short read serves
    size = header.length + header.trailer_size()
    short = lsb._read_hamming(stego, carrier, sequence, size, code)
    assert short == rest
    assert whole_image_read(stego, carrier, sequence, size, code, monkeypatch) == short
    assert stegokit.extract_text(stego).text == message
