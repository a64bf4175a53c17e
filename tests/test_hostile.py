"""Hostile and broken inputs: every command on every corpus file, fuzzed decoders.

The corpus (tests/corpus/, made by make_corpus.py) is run through each command: the exit
code must be one of the documented ones, with one clear line and never a traceback or an
"internal error"; a failed command leaves no output file.
"""

from __future__ import annotations

import contextlib
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from conftest import photo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import stegokit
from stegokit import container, images
from stegokit.cli import app
from stegokit.errors import InputError, StegokitError

CORPUS = sorted(p for p in (Path(__file__).parent / "corpus").iterdir() if p.suffix != ".py")
DOCUMENTED = {0, 1, 3, 4}
runner = CliRunner()


def commands(path: Path, out: Path) -> dict[str, list[str]]:
    return {
        "embed-text": ["embed-text", str(path), "-o", str(out), "-m", "hello"],
        "extract-text": ["extract-text", str(path)],
        "capacity": ["capacity", str(path), "--json"],
    }


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_every_command_on_every_corpus_file(tmp_path, path):
    for name, args in commands(path, tmp_path / "out.png").items():
        result = runner.invoke(app, args)
        assert result.exit_code in DOCUMENTED, (name, result.output)
        assert "Traceback" not in result.output and "internal error" not in result.output
        if result.exit_code != 0:
            assert len(result.stderr.strip().splitlines()) == 1, (name, result.stderr)
            assert not (tmp_path / "out.png").exists()
        (tmp_path / "out.png").unlink(missing_ok=True)


def test_huge_declared_size_is_refused_before_allocation():
    huge = Path(__file__).parent / "corpus" / "huge-header.png"
    tracemalloc.start()
    with pytest.raises(InputError, match="pixels"):
        images.load(huge)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 10_000_000


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_container_parser_survives_random_bytes(data):
    for secret in ({}, {"passphrase": "pw"}):
        with contextlib.suppress(StegokitError):
            container.unpack(data, **secret)


def _valid_container() -> bytes:
    return container.pack(stegokit.Payload.from_text("fuzz me " * 8), codec=1)


@settings(max_examples=300, deadline=None)
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


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.sampled_from([1, 2, 3, 4]),
       st.integers(0, 2**32 - 1))
def test_lsb_extractor_survives_random_images(height, width, channels, seed):
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, channels), np.uint8)
    with pytest.raises(StegokitError):
        stegokit.extract_text(pixels)
