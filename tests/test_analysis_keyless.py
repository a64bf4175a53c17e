"""``analyze`` through the CLI: stegokit's own layouts recognised without a key, random low bit
planes, the honest "cannot tell" for encrypted payloads, and --planes checked first."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import CHEAP_KDF, photo, require
from PIL import Image
from typer.testing import CliRunner

import stegokit
from stegokit import analysis, keyless, reports
from stegokit.cli import app
from stegokit.codecs import lsb
from stegokit.codecs.order import FIXED_KEY, order

runner = CliRunner()


def analyze(path, *args: str) -> dict:
    result = runner.invoke(app, ["analyze", str(path), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def save(pixels: np.ndarray, path) -> str:
    Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels).save(path)
    return str(path)


def secret_of(cover: np.ndarray, symbols: int, per_value: int) -> np.ndarray:
    """coffee resized to make ``symbols`` symbols (RGB) at ``per_value`` per secret value."""
    pixels = symbols // (3 * per_value)
    width = int((pixels * cover.shape[1] / cover.shape[0]) ** 0.5)
    return np.asarray(Image.fromarray(photo("coffee")).resize((width, pixels // width)))


@pytest.mark.parametrize("bits", [1, 2, 3, 4])
def test_plain_lsb_message_at_every_depth_is_recognised(tmp_path, cover_png, bits):
    out = tmp_path / "out.png"
    result = runner.invoke(app, ["embed-text", cover_png, "-o", str(out), "-m", "plain text",
                                 "--bits", str(bits)])
    assert result.exit_code == 0, result.output
    report = analyze(out)
    assert report["verdict"] == "likely stego"
    assert report["readable_payload"] == {
        "codec": "lsb", "reader": "extract-text", "kind": "text", "size": 10, "bits": bits,
        "mode": None, "damaged": False}
    assert "readable by anyone with extract-text" in report["reasons"][0]


def test_plain_file_in_matrix_layout_is_recognised(tmp_path, cover_png):
    payload = tmp_path / "notes.bin"
    payload.write_bytes(np.random.default_rng(1).bytes(4000))
    out = tmp_path / "out.png"
    runner.invoke(app, ["embed-text", cover_png, "-o", str(out), "--file", str(payload)])
    found = analyze(out)["readable_payload"]
    assert (found["kind"], found["size"], found["bits"]) == ("file", 4000, 1)


@pytest.mark.parametrize("mode", ["lossless", "nibble", "planes"])
def test_plain_hidden_image_is_recognised_with_its_mode(tmp_path, cover_png, mode):
    secret = save(photo("chelsea")[:96, :128], tmp_path / "secret.png")
    out = tmp_path / "out.png"
    result = runner.invoke(app, ["hide-image", cover_png, secret, "-o", str(out), "--mode", mode])
    assert result.exit_code == 0, result.output
    report = analyze(out)
    found = report["readable_payload"]
    assert report["verdict"] == "likely stego"
    assert (found["codec"], found["reader"], found["kind"], found["mode"]) == (
        "image", "reveal-image", "image", mode)
    if mode == "nibble":  # (the others carry an image file)
        assert found["size"] == 96 * 128 * 3
    table = " ".join(runner.invoke(app, ["analyze", str(out)]).stdout.split())  # (rich wraps)
    assert "hidden image is readable by anyone with reveal-image" in table
    assert f"({mode} mode" in table


def test_damaged_plain_container_is_still_named(tmp_path, cover_png):
    stego = stegokit.embed_text(cover_png, "soon damaged", bits=4).pixels.copy()
    carrier = lsb.Carrier(stego, 4, encrypted=False)
    # positions 0-27 of the public order hold the 14-byte header at 4 bits; the body follows
    body = carrier.flat(order(carrier.size, FIXED_KEY).take(40, 30))
    stego.reshape(-1)[body] ^= 0x05
    found = keyless.find(stego, neural=False)
    assert found is not None and found.damaged
    report = analyze(save(stego, tmp_path / "damaged.png"))
    assert report["verdict"] == "likely stego"
    assert "header is readable by anyone" in report["reasons"][0]


def test_neural_jpeg_read_without_a_key_is_not_clean(tmp_path):
    require("onnxruntime")
    cover = save(photo("astronaut"), tmp_path / "cover.png")
    out = tmp_path / "neural.jpg"
    result = runner.invoke(app, ["embed-text", cover, "-o", str(out), "-m", "robust note",
                                 "--method", "neural"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["extract-text", str(out)]).stdout == "robust note\n"
    report = analyze(out)
    assert report["verdict"] == "likely stego"
    assert report["readable_payload"]["codec"] == "neural"
    assert report["readable_payload"]["size"] == len("robust note")


def test_clean_photo_says_what_it_cannot_rule_out(tmp_path, cover_png):
    report = analyze(cover_png)
    assert report["verdict"] == "clean" and report["readable_payload"] is None
    assert report["random_planes"] == 0
    assert report["reasons"][-1] == keyless.UNSEEN
    help_text = runner.invoke(app, ["analyze", "--help"]).stdout
    assert "cannot be told apart" in " ".join(help_text.split())


def test_encrypted_short_message_is_honestly_unseen(tmp_path, cover_png, monkeypatch):
    out = tmp_path / "sealed.png"
    monkeypatch.setenv("STEGOKIT_PASSPHRASE", "correct horse battery")
    result = runner.invoke(app, ["embed-text", cover_png, "-o", str(out), "-m", "sealed", "-p"])
    assert result.exit_code == 0, result.output
    monkeypatch.delenv("STEGOKIT_PASSPHRASE")
    report = analyze(out)
    assert report["verdict"] == "clean" and report["readable_payload"] is None
    assert "cannot be told apart from a clean image" in report["reasons"][-1]


@pytest.mark.parametrize("name", ["astronaut", "chelsea", "rocket"])
def test_encrypted_nibble_hide_image_is_likely_stego(tmp_path, name):
    """The issue's case: an encrypted nibble hide-image filling the cover read "clean (0.021)":
    RS and SPA model the LSB alone, and four random planes hide its pairs."""
    cover = photo(name)
    room = stegokit.capacity(cover).image["encrypted"]["nibble"]["bytes"]
    secret = secret_of(cover, room * 2, 2)
    stego = stegokit.hide_image(cover, secret, mode="nibble", passphrase="pw", kdf=CHEAP_KDF,
                                rng=1)
    report = analyze(save(stego.pixels, tmp_path / "nibble.png"))
    assert report["readable_payload"] is None
    assert report["rate"] < analysis.LIKELY_RATE  # the estimates alone do not call it
    assert report["random_planes"] == 4 and report["verdict"] == "likely stego"
    low, above = report["plane_correlation"][:4], report["plane_correlation"][4]
    assert max(abs(c) for c in low) < 0.01 and above > analysis.STRUCTURE_ABOVE
    assert "bit planes 0-3 look like random data" in report["reasons"][0]


def test_encrypted_four_bit_text_filling_the_cover_is_likely_stego():
    cover = photo("coffee")
    size = stegokit.capacity(cover).lsb_encrypted[4]
    stego = stegokit.embed_text(cover, np.random.default_rng(2).bytes(size), bits=4,
                                passphrase="pw", kdf=CHEAP_KDF, rng=2)
    report = analysis.analyze(stego.pixels)
    assert report.random_planes == 4 and report.verdict == "likely stego"


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea", "rocket", "camera",
                                  "immunohistochemistry", "cat", "grass", "gravel", "brick",
                                  "hubble_deep_field"])
def test_real_photos_and_textures_have_no_random_planes(name):
    """grass and gravel have low planes as random as data: too little structure above them."""
    report = analysis.analyze(photo(name))
    assert report.random_planes == 0
    assert not any("bit planes" in reason for reason in report.reasons)


def test_plane_correlation_of_random_low_bits():
    pixels = photo("coffee")
    rng = np.random.default_rng(3)
    for planes in (3, 4):
        mask = np.uint8(256 - (1 << planes))
        noisy = (pixels & mask) | rng.integers(0, 1 << planes, pixels.shape, dtype=np.uint8)
        correlation = analysis.plane_correlation(noisy)
        assert np.abs(correlation[:planes]).max() < 0.005
        # four random planes are called; three are not (clean photos show as many)
        called = analysis.random_planes(correlation, 2 * noisy.size)
        assert called == (4 if planes == 4 else 0)
    assert correlation[4] > analysis.STRUCTURE_ABOVE
    assert analysis.random_planes(correlation, analysis.MIN_PAIRS - 1) == 0


def test_existing_planes_output_is_refused_before_the_analysis(tmp_path, cover_png,
                                                               monkeypatch):
    def no_analysis(*args, **kwargs):
        raise AssertionError("the analysis ran before the output was checked")

    monkeypatch.setattr(reports, "examine", no_analysis)
    existing = tmp_path / "planes.png"
    existing.write_bytes(b"keep me")
    result = runner.invoke(app, ["analyze", cover_png, "--planes", str(existing)])
    assert result.exit_code == 1 and "exists; use --force" in result.stderr
    assert existing.read_bytes() == b"keep me"
    result = runner.invoke(app, ["analyze", cover_png, "--planes", str(tmp_path / "p.jpg")])
    assert result.exit_code == 1 and "JPEG" in result.stderr


def test_random_planes_stay_likely_stego_whatever_the_rate():
    """A suspicious LSB rate must not lower the verdict of four random planes."""
    chi = analysis.ChiSquareSummary((0.0,), (0.0,), 0.0, 0.0, None, None)
    correlation = np.array([0.0, 0.0, 0.0, 0.0, 0.3])
    for rate in (0.0, 0.07, 0.2):
        verdict, reasons = analysis._verdict(rate, chi, correlation, 4)
        assert verdict == "likely stego" and "bit planes 0-3" in reasons[0]
