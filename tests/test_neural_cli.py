"""The neural codec through the public API and the CLI, with the shipped model."""

from __future__ import annotations

import json

import pytest
from conftest import photo
from PIL import Image
from typer.testing import CliRunner

import stegokit
from stegokit.cli import app
from stegokit.codecs import neural

runner = CliRunner()
MESSAGE = "meet at the old mill"  # 20 bytes


@pytest.fixture
def photo_png(tmp_path):
    path = tmp_path / "photo.png"
    Image.fromarray(photo("coffee")).save(path)
    return path


def test_cli_round_trip_through_jpeg(tmp_path, photo_png):
    out = tmp_path / "out.jpg"
    made = runner.invoke(app, ["embed-text", str(photo_png), "-o", str(out), "-m", MESSAGE,
                               "--method", "neural", "--quality", "75", "--json"])
    assert made.exit_code == 0, made.output
    report = json.loads(made.stdout)
    assert report["method"] == "neural" and report["capacity"] == neural.CAPACITY
    found = runner.invoke(app, ["extract-text", str(out), "--json"])
    assert found.exit_code == 0, found.output
    assert json.loads(found.stdout)["text"] == MESSAGE
    assert json.loads(found.stdout)["method"] == "neural"


def test_lsb_refuses_jpeg_but_neural_accepts_it(tmp_path, photo_png):
    refused = runner.invoke(app, ["embed-text", str(photo_png), "-o", str(tmp_path / "a.jpg"),
                                  "-m", "x"])
    assert refused.exit_code == 1 and "--method neural" in refused.stderr


@pytest.mark.parametrize("args, code, words", [
    (["-m", "x" * (neural.CAPACITY + 1)], 1, "at most"),
    (["-m", "x", "--passphrase-file", "{pw}"], 2, "carries no encryption"),
])
def test_neural_limits_are_clear(tmp_path, photo_png, args, code, words):
    pw = tmp_path / "pw"
    pw.write_text("secret\n")
    args = [a.format(pw=pw) for a in args]
    result = runner.invoke(app, ["embed-text", str(photo_png), "-o", str(tmp_path / "o.png"),
                                 "--method", "neural", *args])
    assert result.exit_code == code and words in result.stderr


def test_files_are_refused_by_the_neural_codec(tmp_path, photo_png):
    with pytest.raises(stegokit.InputError, match="short text only"):
        stegokit.embed_text(photo_png, b"\x00\x01", filename="a.bin", method="neural")


def test_capacity_reports_the_neural_payload(photo_png, tmp_path):
    report = json.loads(runner.invoke(app, ["capacity", str(photo_png), "--json"]).stdout)
    assert report["neural"] == neural.CAPACITY >= 20
    tiny = tmp_path / "tiny.png"
    Image.fromarray(photo("coffee")[:100, :100]).save(tiny)
    assert stegokit.capacity(tiny).neural == 0


def test_clean_photo_is_no_message_for_either_codec(photo_png):
    result = runner.invoke(app, ["extract-text", str(photo_png)])
    assert result.exit_code == 3
    forced = runner.invoke(app, ["extract-text", str(photo_png), "--method", "neural"])
    assert forced.exit_code == 3
