"""The pieces an LSB layout is made of: spread orders and symbol packing.

Both are part of the stego format: an image written by one version must be read by the next,
so the fixed order is pinned by a digest here.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stegokit.codecs import lsb
from stegokit.codecs.order import BLOCK, FIXED_KEY, Order


@pytest.mark.parametrize("blocks", [1, 2, 3, 5, 64, 1000, 1025, 4096, 70001])
def test_an_order_visits_every_value_once(blocks):
    values = Order(blocks).take(blocks * BLOCK)
    assert np.array_equal(np.sort(values), np.arange(blocks * BLOCK))
    # sweep s visits one value in every block
    sweeps = values.reshape(BLOCK, blocks) // BLOCK
    assert all(np.array_equal(np.sort(sweep), np.arange(blocks)) for sweep in sweeps)


def test_sweeps_agree_with_positions():
    sequence = Order(777, b"k" * 32)
    for positions, values in sequence.layout(777 * 3 + 100):
        assert np.array_equal(sequence.take(positions.max() + 1)[positions], values)
        assert np.all(np.diff(values) > 0)  # memory order


@pytest.mark.parametrize("blocks", [1, 3, 1000, 70001, 564984])
def test_first_columns_agree_with_the_whole_order(blocks):
    whole = Order(blocks, b"c" * 32)
    for count in sorted({0, 1, min(7, blocks), blocks // 3, blocks - 1, blocks}):
        # a fresh order enciphers only the columns asked for; a built one reads its arrays
        for sequence in (Order(blocks, b"c" * 32), whole):
            found, columns, offsets = sequence.first_columns(count)
            expected = np.flatnonzero(whole.column < count)
            assert np.array_equal(found, expected)
            assert np.array_equal(columns, whole.column[expected])
            assert np.array_equal(offsets, whole.offset[expected])
    # the first sweep's part, as a short message's header reads it, without the arrays
    fresh = Order(blocks, b"c" * 32)
    for (positions, values), (whole_positions, whole_values) in zip(
            fresh.layout(min(blocks, 120)), whole.layout(min(blocks, 120)), strict=True):
        assert np.array_equal(positions, whole_positions)
        assert np.array_equal(values, whole_values)
    assert "_by_block" not in fresh.__dict__ or blocks <= 120


def test_keys_give_unrelated_orders():
    fixed, keyed = Order(5000).take(5000 * BLOCK), Order(5000, bytes(32)).take(5000 * BLOCK)
    assert np.mean(fixed == keyed) < 0.01


def test_the_fixed_order_is_pinned():
    """Changing the order would leave every image already written unreadable."""
    for blocks, digest in [(1000, "d08a215df4dbd9ee"), (564984, "e0b3e333e52f0939")]:
        column = Order(blocks, FIXED_KEY).column.astype("<i8")
        assert hashlib.sha256(column.tobytes()).hexdigest()[:16] == digest


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300), bits=st.integers(1, lsb.MAX_CODE))
def test_symbols_are_the_bit_stream_cut_in_pieces(data, bits):
    symbols = lsb._symbols(data, bits)
    stream = np.unpackbits(np.frombuffer(data, dtype=np.uint8))
    stream = np.concatenate([stream, np.zeros(-len(stream) % bits, dtype=np.uint8)])
    weights = 1 << np.arange(bits - 1, -1, -1)
    assert np.array_equal(symbols, stream.reshape(-1, bits) @ weights)
    assert lsb._bytes(symbols, bits, len(data)) == data
