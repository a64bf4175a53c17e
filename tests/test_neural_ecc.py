"""Message framing of the neural codec: exact message or NoPayloadError, never garbage."""

import numpy as np
import pytest

from stegokit.codecs import neural_ecc
from stegokit.codecs.neural_ecc import (
    CAPACITY,
    RAW_BITS,
    V1,
    Framing,
    decode,
    encode,
)
from stegokit.errors import CapacityError, InputError, NoPayloadError


def logits_for(message: bytes, flips: int = 0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    logits = (encode(message) * 2 - 1) * rng.uniform(1, 4, RAW_BITS)
    idx = rng.choice(RAW_BITS, flips, replace=False)
    logits[idx] *= -rng.uniform(0.05, 0.5, flips)
    return logits.astype(np.float32)


@pytest.mark.parametrize("message", [b"", b"a", "héllo wörld ✓".encode(), bytes(range(CAPACITY))])
def test_round_trip(message):
    bits = encode(message)
    assert bits.shape == (RAW_BITS,) and bits.dtype == np.float32
    assert set(np.unique(bits)) <= {0.0, 1.0}
    assert decode(logits_for(message)) == message


@pytest.mark.parametrize("scale", [1e-3, 0.5, 1e3])
def test_only_the_signs_of_confident_logits_matter(scale):
    assert decode((encode(b"signs") * 2 - 1) * scale) == b"signs"


def test_a_zero_logit_reads_as_a_zero_bit():
    """``> 0`` means 1: the raw bits themselves, used as logits, decode."""
    assert decode(encode(b"zero is 0")) == b"zero is 0"


def test_capacity_is_at_least_20_bytes_and_enforced():
    assert CAPACITY >= 20
    with pytest.raises(CapacityError, match=f"{CAPACITY + 1} bytes.*{CAPACITY}"):
        encode(b"x" * (CAPACITY + 1))


def test_corrects_bit_errors():
    message = b"0123456789abcdefghijklmnopqrstuv"[:CAPACITY]
    assert all(decode(logits_for(message, flips=16, seed=s)) == message for s in range(20))


def test_whitening_hides_structure():
    word = encode(b"")
    assert 0.35 < word.mean() < 0.65


@pytest.mark.parametrize("logits", [np.zeros(RAW_BITS), np.ones(RAW_BITS), -np.ones(RAW_BITS)])
def test_constant_logits_are_no_payload(logits):
    with pytest.raises(NoPayloadError, match=r"^no neural-codec message found in this image$"):
        decode(logits)


def logits_of_block(block: bytes, crc: bytes) -> np.ndarray:
    """Confident logits of the valid Reed-Solomon codeword of ``block + crc``, whitened."""
    word = np.frombuffer(neural_ecc._RS.encode(block + crc), dtype=np.uint8) ^ neural_ecc._MASK
    return (np.unpackbits(word).astype(np.float64) * 2 - 1) * 3


def test_a_valid_codeword_with_a_wrong_crc_is_no_payload():
    block = bytes([CAPACITY]) + b"twenty bytes exactly"[:CAPACITY]
    good = neural_ecc._crc(block)
    assert decode(logits_of_block(block, good)) == block[1:]  # the pieces are the real ones
    for i in range(4):
        wrong = bytearray(good)
        wrong[i] ^= 0x5A
        with pytest.raises(NoPayloadError):
            decode(logits_of_block(block, bytes(wrong)))


@pytest.mark.parametrize("block", [
    bytes([CAPACITY + 1]) + b"x" * CAPACITY,  # a length beyond the capacity
    bytes([3]) + b"abc!" + b"\0" * (CAPACITY - 4),  # a byte right after the message
    bytes([3]) + b"abc" + b"\0" * (CAPACITY - 4) + b"!",  # a byte at the end of the padding
], ids=["length", "next", "last"])
def test_a_checked_block_that_breaks_the_framing_is_no_payload(block):
    with pytest.raises(NoPayloadError):
        decode(logits_of_block(block, neural_ecc._crc(block)))


def test_random_logits_are_no_payload():
    """Noise never decodes. Without the CRC check about 1 in 500 to 2,500 noise vectors
    decodes to garbage (with this seed, draw 1,745 does)."""
    rng = np.random.default_rng(1)
    for _ in range(2500):
        with pytest.raises(NoPayloadError):
            decode(rng.normal(size=RAW_BITS))


def test_too_many_errors_is_no_payload_not_garbage():
    message = b"secret"
    for seed in range(20):
        with pytest.raises(NoPayloadError):
            decode(logits_for(message, flips=120, seed=seed))


def test_at_the_limit_of_correction_it_is_the_message_or_no_payload():
    message = b"secret"
    outcomes = []
    for seed in range(20):
        try:
            outcomes.append(decode(logits_for(message, flips=60, seed=seed)))
        except NoPayloadError:
            outcomes.append(None)
    assert set(outcomes) == {message, None}  # both sides of the limit are exercised


def test_nan_logits_count_as_erasures():
    logits = logits_for(b"nan-proof") / 4  # every readable byte is less sure than 1.0
    logits[: 30 * 8] = np.nan  # 30 unreadable bytes: beyond plain correction, not erasures
    assert decode(logits) == b"nan-proof"


def test_two_parity_bytes_always_check_the_last_try():
    """Up to ``_NSYM - 2`` unreadable bytes are erased; a word with more is not trusted, even
    where erasing them all would rebuild it."""
    assert neural_ecc._NSYM == 39
    logits = logits_for(b"nan-proof")
    logits[: 38 * 8] = np.nan  # 37 erasures and one error: within the code's bound
    assert decode(logits) == b"nan-proof"
    logits[: 39 * 8] = np.nan  # 39 erasures would leave no parity byte to check the word
    with pytest.raises(NoPayloadError):
        decode(logits)


@pytest.mark.parametrize("logits", [np.zeros(RAW_BITS - 1), np.zeros((2, RAW_BITS // 2)),
                                    np.zeros(RAW_BITS, complex), np.array(["1"] * RAW_BITS)])
def test_wrong_shapes_and_dtypes_are_input_errors(logits):
    with pytest.raises(InputError, match=rf"^expected \({RAW_BITS},\) real logits, got "):
        decode(logits)



#: A second generation's layout: 32 bytes in the same 512 bits, a stricter search.
WIDE = Framing(b"stegokit-neural-test", RAW_BITS, 32, spare=4)


def wide_logits(message: bytes, flips: int = 0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    logits = (WIDE.encode(message) * 2 - 1) * rng.uniform(1, 4, RAW_BITS)
    idx = rng.choice(RAW_BITS, flips, replace=False)
    logits[idx] *= -rng.uniform(0.05, 0.5, flips)
    return logits


def test_a_32_byte_framing_round_trips_and_corrects_errors():
    message = "32 bytes of text: ✓ ünïcødé!!"[:32].encode()[:32]
    assert len(message) == 32
    assert all(WIDE.decode(wide_logits(message, flips=16, seed=s)) == message for s in range(20))
    with pytest.raises(CapacityError, match="at most 32"):
        WIDE.encode(b"x" * 33)


def test_tags_separate_generations():
    """The tag is the version: a frame under one tag is no message under another, even
    error-free."""
    v1_frame = (encode(b"hello") * 2 - 1) * 4
    other = Framing(b"stegokit-neural-v2", RAW_BITS, CAPACITY, spare=2)
    other_frame = (other.encode(b"hello") * 2 - 1) * 4
    assert decode(v1_frame) == b"hello" and other.decode(other_frame) == b"hello"
    with pytest.raises(NoPayloadError):
        other.decode(v1_frame)
    with pytest.raises(NoPayloadError):
        decode(other_frame)


def test_spare_parity_bounds_the_erasure_search():
    """With 4 spare parity bytes (of 27) at most 23 bytes are erased: 26 unreadable bytes
    are then 23 erasures and 3 errors, beyond the code; a search going to 25 erasures
    (2 spare) still decodes them."""
    assert WIDE.nsym == 27 and WIDE.max_erasures == 23
    logits = wide_logits(b"spare")
    logits[: 25 * 8] = np.nan
    assert WIDE.decode(logits) == b"spare"
    logits[: 26 * 8] = np.nan
    with pytest.raises(NoPayloadError):
        WIDE.decode(logits)
    greedy = Framing(WIDE.tag, RAW_BITS, 32, spare=2)
    assert greedy.decode(logits) == b"spare"


def test_v1_layout_is_unchanged():
    """The shipped model's frames: 20 bytes, 39 parity bytes, 37 erasures at most."""
    assert (V1.capacity, V1.nsym, V1.max_erasures) == (20, 39, 37)
    assert (CAPACITY, RAW_BITS, encode, decode) == (20, 512, V1.encode, V1.decode)


def test_a_new_framing_keeps_its_spare_parity_out_of_the_search():
    """A framing built here, not at import: 26 unreadable bytes of 27 parity bytes, with 4
    spare, are no message (the search stops at 23 erasures)."""
    strict = Framing(WIDE.tag, RAW_BITS, 32, spare=4)
    assert strict.max_erasures == 23
    logits = wide_logits(b"spare")
    logits[: 26 * 8] = np.nan
    with pytest.raises(NoPayloadError):
        strict.decode(logits)
