"""The optional-piece helper: a skip on a developer's machine, a failure under CI=true."""

import pytest
from conftest import require

MISSING = "stegokit_no_such_module"


def test_a_missing_piece_is_a_skip_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        require(MISSING)


@pytest.mark.parametrize("value", ["true", "TRUE"])
def test_a_missing_piece_fails_under_ci(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match=f"{MISSING} is required under CI=true"):
        require(MISSING)


@pytest.mark.parametrize("ci", ["true", ""])
def test_a_present_piece_is_the_module(monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    assert require("json.decoder").__name__ == "json.decoder"
