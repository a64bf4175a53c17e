"""Hostile and broken inputs: every command on every corpus file.

The corpus (tests/corpus/, made by make_corpus.py) is run through each command: the exit
code must be one of the documented ones, with one clear line and never a traceback or an
"internal error"; a failed command leaves no output file.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stegokit import images
from stegokit.cli import app
from stegokit.errors import InputError

CORPUS = sorted(p for p in (Path(__file__).parent / "corpus").iterdir() if p.suffix != ".py")
DOCUMENTED = {0, 1, 3, 4}
runner = CliRunner()


GOOD = Path(__file__).parent / "corpus" / "palette-alpha.png"


def commands(path: Path, out: Path) -> dict[str, list[str]]:
    return {
        "hide-image (cover)": ["hide-image", str(path), str(GOOD), "-o", str(out)],
        "hide-image (secret)": ["hide-image", str(GOOD), str(path), "-o", str(out)],
        "reveal-image": ["reveal-image", str(path), "-o", str(out)],
        "embed-text": ["embed-text", str(path), "-o", str(out), "-m", "hello"],
        "extract-text": ["extract-text", str(path)],
        "capacity": ["capacity", str(path), "--json"],
        "analyze": ["analyze", str(path), "--json"],
        "mail": ["mail", str(path), "--to", "bob@example.org", "--eml", str(out)],
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
