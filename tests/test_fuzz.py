"""Fuzz harnesses: decoders fed random and mutated input must end in a StegokitError.

Each harness is a hypothesis test. The CI run uses STEGOKIT_FUZZ_EXAMPLES examples per
harness (default 300); the long run documented in docs/security.md sets it to 100000
(the neural harnesses are the slow ones: a decode that finds nothing takes up to ~50 ms):

    STEGOKIT_FUZZ_EXAMPLES=100000 python -m pytest tests/test_fuzz.py \
        -p no:cacheprovider --hypothesis-show-statistics
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
import zlib
from unittest import mock

import numpy as np
import pytest
from conftest import photo
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import stegokit
from stegokit import container, crypto, keytext
from stegokit.codecs import lsb, neural, neural_ecc
from stegokit.errors import AuthenticationError, FormatError, NoPayloadError, StegokitError

EXAMPLES = int(os.environ.get("STEGOKIT_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])


def _header(version: int, flags: int, codec: int, param: int, length: int) -> bytes:
    """A header with a correct check (docs/format.md), whatever its fields say."""
    fields = struct.pack(">4sBBBBI", container.MAGIC, version, flags, codec, param, length)
    return fields + struct.pack(">H", zlib.crc32(fields) & 0xFFFF)


_RANDOM_CONTAINERS = st.one_of(
    st.binary(max_size=300),  # noise: stops at the magic
    st.binary(max_size=300).map(container.MAGIC.__add__),  # the magic, then a damaged header
    st.builds(  # a header that passes its check, then noise
        lambda header, rest: header + rest,
        st.builds(_header, st.sampled_from([container.VERSION, 0, 2, 255]),
                  st.integers(0, 255), st.integers(0, 255), st.integers(0, 255),
                  st.one_of(st.integers(0, 320), st.integers(0, 2**32 - 1))),
        st.binary(max_size=300)),
)


@FUZZ
@given(_RANDOM_CONTAINERS)
def test_container_parser_survives_random_bytes(data):
    """Without the magic: no message. With it: a damaged or unknown container, never a
    payload and never another error."""
    marked = len(data) >= container.HEADER_SIZE and data.startswith(container.MAGIC)
    event("past the magic" if marked else "no magic")
    with pytest.raises((NoPayloadError, AuthenticationError, FormatError)) as plain:
        container.unpack(data)
    assert isinstance(plain.value, NoPayloadError) != marked
    if isinstance(plain.value, FormatError):
        assert "container version" in str(plain.value) and data[4] != container.VERSION
    with pytest.raises((AuthenticationError, FormatError)):
        container.unpack(data, passphrase="pw")


def _valid_container() -> bytes:
    return container.pack(stegokit.Payload.from_text("fuzz me " * 8), codec=1)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), min_size=1, max_size=6))
def test_container_parser_survives_mutations(edits):
    data = bytearray(_valid_container())
    for index, value in edits:
        data[index % len(data)] = value
    try:
        _, payload = container.unpack(bytes(data))
    except StegokitError:
        return
    assert payload.text == "fuzz me " * 8  # a mutation that passes every check changed nothing


STEGO = stegokit.embed_text(photo("coffee")[:96, :128], "a message worth fuzzing", rng=0).pixels


@FUZZ
@given(st.lists(st.tuples(st.integers(0, STEGO.size - 1), st.integers(0, 255)), max_size=20),
       st.booleans())
def test_lsb_extractor_survives_mutated_stego_images(edits, with_passphrase):
    pixels = STEGO.copy().reshape(-1)
    for index, value in edits:
        pixels[index] = value
    try:
        found = stegokit.extract_text(pixels.reshape(STEGO.shape),
                                      passphrase="pw" if with_passphrase else None)
    except StegokitError:
        return
    assert found.text == "a message worth fuzzing"


@FUZZ
@given(st.integers(1, 40), st.integers(1, 40), st.sampled_from([1, 2, 3, 4]),
       st.integers(0, 2**32 - 1))
def test_lsb_extractor_survives_random_images(height, width, channels, seed):
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, channels), np.uint8)
    with pytest.raises(StegokitError):
        stegokit.extract_text(pixels)


PUBLIC_KEY = keytext.encode_public_key(bytes(range(1, 33)))


@FUZZ
@given(st.one_of(st.text(max_size=80), st.lists(
    st.tuples(st.integers(0, len(PUBLIC_KEY) - 1), st.characters()), min_size=1, max_size=4)))
def test_public_key_import_survives_garbage(given_input):
    if isinstance(given_input, str):
        text = given_input
    else:
        chars = list(PUBLIC_KEY)
        for index, char in given_input:
            chars[index] = char
        text = "".join(chars)
    try:
        key = keytext.decode_public_key(text)
    except StegokitError:
        return
    assert len(key) == 32


HIDDEN = stegokit.hide_image(photo("coffee")[:64, :96], photo("camera")[:20, :30, 0],
                             mode="nibble", rng=0).pixels


@FUZZ
@given(st.lists(st.tuples(st.integers(0, HIDDEN.size - 1), st.integers(0, 255)), max_size=20),
       st.booleans())
def test_reveal_image_survives_mutated_stego_images(edits, with_passphrase):
    pixels = HIDDEN.copy().reshape(-1)
    for index, value in edits:
        pixels[index] = value
    try:
        found = stegokit.reveal_image(pixels.reshape(HIDDEN.shape),
                                      passphrase="pw" if with_passphrase else None)
    except StegokitError:
        return
    assert np.array_equal(found.pixels[..., 0], photo("camera")[:20, :30, 0])


@FUZZ
@given(hnp.arrays(st.sampled_from([np.float16, np.float32, np.float64]), neural_ecc.RAW_BITS))
def test_neural_decoder_survives_random_logits(logits):
    # NaN, inf, huge, zero and tied logits: nothing decodes, and only NoPayloadError says so.
    with pytest.raises(NoPayloadError):
        neural_ecc.decode(logits)


@FUZZ
@given(st.binary(max_size=neural_ecc.CAPACITY),
       st.integers(0, 160),
       st.lists(st.tuples(st.integers(0, neural_ecc.RAW_BITS - 1),
                          st.sampled_from([0.0, np.nan, np.inf, -np.inf, 1e30])), max_size=40),
       st.floats(0, 8), st.integers(0, 2**32 - 1))
def test_neural_decoder_returns_the_message_or_nothing(message, flips, odd, wrong_strength, seed):
    # The decoder's logits for ``message``: noisy magnitudes, ``flips`` wrong signs (up to
    # ``wrong_strength`` times as confident as the right ones), and odd values (NaN, inf,
    # zero) in places. It must decode to ``message`` or to nothing, never to another message.
    rng = np.random.default_rng(seed)
    logits = (neural_ecc.encode(message) * 2 - 1) * rng.uniform(0.01, 4, neural_ecc.RAW_BITS)
    wrong = rng.choice(neural_ecc.RAW_BITS, flips, replace=False)
    logits[wrong] *= -rng.uniform(0, wrong_strength, flips)
    for index, value in odd:
        logits[index] = value
    try:
        found = neural_ecc.decode(logits.astype(np.float32))
    except NoPayloadError:
        event("no payload")
        return
    event("decoded")
    assert found == message


SHAPES = st.one_of(
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=8),
    st.sampled_from([(neural_ecc.RAW_BITS,), (neural_ecc.RAW_BITS, 1), (2, 256), (511,), (513,)]),
)


@FUZZ
@given(hnp.arrays(hnp.scalar_dtypes() | hnp.byte_string_dtypes() | hnp.unicode_string_dtypes(),
                  SHAPES))
def test_neural_decoder_refuses_wrong_shapes_and_dtypes(logits):
    with pytest.raises(StegokitError):
        neural_ecc.decode(logits)


def _pixels(dtype, shape, fill: str, seed: int) -> np.ndarray:
    """An array built by NumPy from a seed: drawing large arrays value by value through
    hypothesis took ~30 ms an example, most of this harness's time."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if fill == "noise":
        if dtype.kind == "b":
            return rng.random(shape) < 0.5
        if dtype.kind in "iu":
            info = np.iinfo(dtype)
            return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
        return (rng.standard_normal(shape) * 300).astype(dtype)
    special = {"zero": 0, "top": True if dtype.kind == "b" else
               np.iinfo(dtype).max if dtype.kind in "iu" else 1e30,
               "nan": np.nan, "inf": -np.inf}[fill]
    if dtype.kind != "f" and fill in ("nan", "inf"):
        special = 0
    return np.full(shape, special, dtype=dtype)


@FUZZ
@given(st.sampled_from([np.uint8, np.uint8, np.int16, np.float32, np.float64, np.bool_]),
       st.one_of(st.tuples(st.integers(128, 160), st.integers(128, 160), st.integers(1, 5)),
                 hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=300),
                 hnp.array_shapes(min_dims=3, max_dims=4, min_side=0, max_side=24)),
       st.sampled_from(["noise", "noise", "zero", "top", "nan", "inf"]),
       st.integers(0, 2**32 - 1), st.booleans())
def test_neural_extract_survives_random_arrays(dtype, shape, fill, seed, transposed):
    pixels = _pixels(dtype, shape, fill, seed)
    if transposed:
        pixels = pixels.T  # a non-contiguous view
    with pytest.raises(StegokitError):
        neural.extract(pixels)


# --- key blocks and KDF parameters (security v2) ---------------------------------------------

RECIPIENT_PRIVATE, RECIPIENT_PUBLIC = crypto.generate_keypair()


@FUZZ
@given(st.binary(min_size=0, max_size=40) | st.binary(min_size=32, max_size=32)
       | st.binary(min_size=36, max_size=36), st.booleans())
def test_key_block_opener_survives_random_blocks(block, with_passphrase):
    secret = {"passphrase": "pw"} if with_passphrase else {"private_key": RECIPIENT_PRIVATE}
    try:
        keys = crypto.open_key_block(block, **secret)
    except (AuthenticationError, NoPayloadError):
        return
    assert len(block) in (crypto.KEY_BLOCK_SIZE, crypto.V1_KEY_BLOCK_SIZE)
    assert len(keys.encryption) == len(keys.mac) == len(keys.order) == 32


@FUZZ
@given(st.binary(min_size=32, max_size=32), st.sampled_from([1, 1, 1, 2, 0, 3, 255]),
       st.integers(10, 22) | st.integers(0, 255), st.integers(0, 12) | st.integers(0, 255),
       st.integers(0, 10) | st.integers(0, 255))
def test_v1_kdf_parameters_are_bounded_before_any_work(salt, scheme, memory, passes, lanes):
    """Whatever cost a version 1 key block states, Argon2id only ever runs within the
    documented bound (128 MiB, 4 passes, 4 lanes); everything else is refused first."""
    mask = hashlib.sha256(b"stegokit key block v1" + salt).digest()[:4]
    block = salt + bytes(a ^ b for a, b in zip((scheme, memory, passes, lanes), mask,
                                               strict=True))
    asked = []

    def recorder(secret, salt, params):
        asked.append(params)
        return bytes(32)

    with mock.patch.object(crypto, "_argon2", recorder), \
            contextlib.suppress(AuthenticationError, NoPayloadError):
        crypto.open_key_block(block, passphrase="pw")
    assert all(params.within_image_bound() for params in asked)
    assert len(asked) <= 1


SEALED = {
    "passphrase": stegokit.embed_text(photo("chelsea")[:96, :128], "sealed and fuzzed",
                                      passphrase="pw", rng=0).pixels,
    "private_key": stegokit.embed_text(photo("chelsea")[:96, :128], "sealed and fuzzed",
                                       recipient=RECIPIENT_PUBLIC, rng=0).pixels,
}


@FUZZ
@given(st.sampled_from(sorted(SEALED)),
       st.lists(st.tuples(st.integers(0, 319), st.integers(0, 1)), min_size=1, max_size=12),
       st.lists(st.tuples(st.integers(0, 96 * 128 * 3 - 1), st.integers(0, 255)), max_size=8))
def test_sealed_extractor_survives_mutated_key_blocks(scheme, key_edits, pixel_edits):
    """Flipped bits in the key block region (and anywhere else): the exact message or an
    AuthenticationError, never another message or another error."""
    pixels = SEALED[scheme].copy()
    carrier = lsb.Carrier(pixels, 4, encrypted=True)
    where = carrier.key_block_flat(crypto.V1_KEY_BLOCK_SIZE + 4)
    flat = pixels.reshape(-1)
    for index, bit in key_edits:
        flat[where[index]] = (flat[where[index]] & 0xFE) | bit
    for index, value in pixel_edits:
        flat[index] = value
    secret = "pw" if scheme == "passphrase" else RECIPIENT_PRIVATE
    try:
        found = stegokit.extract_text(pixels, **{scheme: secret})
    except AuthenticationError:
        event("refused")
        return
    event("read")
    assert found.text == "sealed and fuzzed" and found.encrypted
