"""The Reed-Solomon code: exact within its bound, never a wrong codeword beyond it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reedsolo import ReedSolomonError, RSCodec

from stegokit.codecs.reedsolomon import ReedSolomonCode


@st.composite
def damaged_words(draw, within_bound: bool):
    """(code, codeword, damaged word, erased positions)."""
    nsym = draw(st.integers(1, 60))
    data = draw(st.binary(min_size=1, max_size=255 - nsym))
    code = ReedSolomonCode(nsym)
    word = code.encode(data)
    n = len(word)
    erased_count = draw(st.integers(0, min(nsym, n)))
    room = (nsym - erased_count) // 2
    error_count = (draw(st.integers(0, room)) if within_bound
                   else draw(st.integers(room + 1, room + 8)))
    positions = draw(st.permutations(range(n)))
    erased = sorted(positions[:erased_count])
    wrong = positions[erased_count : erased_count + error_count]
    damaged = bytearray(word)
    for p in erased:
        damaged[p] = draw(st.integers(0, 255))
    for p in wrong:
        damaged[p] ^= draw(st.integers(1, 255))
    return code, word, bytes(damaged), erased


@settings(max_examples=400, deadline=None)
@given(st.integers(1, 60), st.binary(min_size=1, max_size=150))
def test_codewords_match_reedsolo_defaults(nsym, data):
    # The same code as reedsolo.RSCodec(nsym): words made by either decode with the other.
    assert ReedSolomonCode(nsym).encode(data) == bytes(RSCodec(nsym).encode(data))


@settings(max_examples=400, deadline=None)
@given(damaged_words(within_bound=True))
def test_errors_and_erasures_within_the_bound_are_corrected(case):
    code, word, damaged, erased = case
    assert code.decode(damaged, erased) == word
    assert bytes(RSCodec(code.nsym).decode(bytearray(damaged), erase_pos=erased)[1]) == word


@settings(max_examples=400, deadline=None)
@given(damaged_words(within_bound=False))
def test_beyond_the_bound_only_codewords_within_reach_come_back(case):
    code, _, damaged, erased = case
    found = code.decode(damaged, erased)
    if found is not None:
        assert not any(code.syndromes(found))
        distance = sum(found[i] != damaged[i] for i in range(len(found)) if i not in erased)
        assert 2 * distance + len(erased) <= code.nsym


@settings(max_examples=200, deadline=None)
@given(damaged_words(within_bound=True), st.randoms(use_true_random=False))
def test_growing_erasures_yield_what_single_decodes_find(case, rnd):
    code, word, damaged, erased = case
    order = erased + rnd.sample([p for p in range(len(word)) if p not in erased],
                                min(5, len(word) - len(erased)))
    grown = list(code.decode_growing(damaged, order))
    if damaged == word:
        assert grown == [word]  # a codeword is its own nearest: nothing more to try
        return
    single = [code.decode(damaged, order[:k]) for k in range(min(len(order), code.nsym) + 1)]
    assert grown == [w for w in single if w is not None]
    assert word in grown


def test_a_clean_codeword_needs_no_correction():
    code = ReedSolomonCode(8)
    word = code.encode(b"stegokit")
    assert code.syndromes(word) == [0] * 8
    assert code.decode(word) == word
    assert list(code.decode_growing(word, [0, 1, 2])) == [word]


def test_bad_erasure_lists_decode_to_nothing():
    code = ReedSolomonCode(8)
    word = code.encode(b"stegokit")
    damaged = bytes([word[0] ^ 1]) + word[1:]
    assert code.decode(damaged, [len(word)]) is None  # out of range
    assert code.decode(damaged, [0, 0]) is None  # repeated
    assert code.decode(damaged, list(range(9))) is None  # more than nsym


def test_reedsolo_and_this_decoder_agree_on_a_hopeless_word():
    code = ReedSolomonCode(4)
    word = bytearray(code.encode(b"abcdefgh"))
    for p in range(6):
        word[p] ^= 0x5A
    assert code.decode(bytes(word)) is None
    with pytest.raises(ReedSolomonError):
        RSCodec(4).decode(word)


@pytest.mark.parametrize("nsym", [0, 255])
def test_parity_counts_outside_the_field_are_refused(nsym):
    with pytest.raises(ValueError):
        ReedSolomonCode(nsym)


def test_sizes_beyond_one_codeword_are_refused_with_the_limit():
    with pytest.raises(ValueError, match=r"^nsym must be between 1 and 254$"):
        ReedSolomonCode(0)
    code = ReedSolomonCode(10)
    assert len(code.encode(bytes(245))) == 255
    with pytest.raises(ValueError, match=r"^at most 245 data bytes per codeword$"):
        code.encode(bytes(246))


def test_a_full_length_word_is_corrected():
    # 255 bytes is the longest word of GF(2^8): the longest the decoder must take.
    code = ReedSolomonCode(10)
    word = code.encode(bytes(range(245)))
    damaged = bytearray(word)
    for p in (0, 100, 254):
        damaged[p] ^= 0xA5
    damaged[7] = damaged[200] = 0
    assert code.decode(bytes(damaged), [7, 200]) == word
    assert word in list(code.decode_growing(bytes(damaged), [7, 200]))


def test_a_word_longer_than_the_field_allows_is_refused():
    # A leading zero byte leaves the syndromes at zero, but 256 bytes is no codeword.
    code = ReedSolomonCode(10)
    word = b"\0" + code.encode(bytes(range(245)))
    assert not any(code.syndromes(word))
    assert code.decode(word) is None
    assert list(code.decode_growing(word, [1, 2])) == []


def test_a_repeated_erasure_is_refused_even_on_a_clean_codeword():
    code = ReedSolomonCode(8)
    word = code.encode(b"stegokit")
    assert code.decode(word, [3, 3]) is None
    assert list(code.decode_growing(word, [3, 3])) == []
