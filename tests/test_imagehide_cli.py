"""hide-image and reveal-image through the CLI: real PNG files, output and exit codes."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pytest
from conftest import photo
from PIL import Image
from typer.testing import CliRunner

from stegokit.cli import app

runner = CliRunner()


def run(*args: str, input: str | None = None, env: dict | None = None):
    return runner.invoke(app, [str(a) for a in args], input=input, env=env)


def pixels_hash(path) -> str:
    with Image.open(path) as image:
        return hashlib.sha256(np.asarray(image).tobytes()).hexdigest() + image.mode


@pytest.fixture
def secret_png(tmp_path):
    path = tmp_path / "secret.png"
    Image.fromarray(photo("coffee")[:180, :240]).save(path)
    return path


@pytest.fixture
def big_secret_png(tmp_path):
    """As large as the cover and incompressible enough that lossless cannot take it."""
    path = tmp_path / "big.png"
    noise = np.random.default_rng(7).integers(0, 256, size=(512, 512, 3), dtype=np.uint8)
    Image.fromarray(noise).save(path)
    return path


@pytest.mark.parametrize("mode", ["auto", "lossless", "nibble"])
def test_round_trip_is_exact(tmp_path, cover_png, secret_png, mode):
    stego, back = tmp_path / "stego.png", tmp_path / "back.png"
    made = run("hide-image", cover_png, secret_png, "-o", stego, "--mode", mode, "--json")
    assert made.exit_code == 0, made.output
    report = json.loads(made.stdout)
    assert report["mode"] == ("lossless" if mode == "auto" else mode)
    assert report["exact"] and report["secret_psnr"] is None
    assert report["cover_psnr"] > 34 and report["bits"] in (1, 2, 3, 4)
    assert (report["secret_width"], report["secret_height"]) == (240, 180)
    shown = run("reveal-image", stego, "-o", back)
    assert shown.exit_code == 0, shown.output
    assert "Revealed a 240×180 RGB image" in " ".join(shown.stdout.split())
    assert pixels_hash(back) == pixels_hash(secret_png)


def test_auto_says_what_it_chose(tmp_path, cover_png, secret_png, big_secret_png):
    small = run("hide-image", cover_png, secret_png, "-o", tmp_path / "a.png")
    assert small.exit_code == 0
    said = " ".join(small.stdout.split())
    assert "auto chose lossless" in said and "every pixel exact" in said
    assert float(re.search(r"Cover PSNR ([\d.]+) dB", said).group(1)) > 45
    large = run("hide-image", cover_png, big_secret_png, "-o", tmp_path / "b.png")
    assert large.exit_code == 0, large.output
    said = " ".join(large.stdout.split())
    assert "auto chose planes (top 4 bit planes, fixed-rate)" in said
    assert "the revealed secret: PSNR 3" in said


def test_planes_reveal_may_write_jpeg(tmp_path, cover_png, big_secret_png):
    stego = tmp_path / "stego.png"
    made = run("hide-image", cover_png, big_secret_png, "-o", stego, "--mode", "planes",
               "--bits", "3", "--json")
    report = json.loads(made.stdout)
    assert report["mode"] == "planes" and report["k"] == 3 and not report["exact"]
    assert 27 < report["secret_psnr"] < 31
    shown = run("reveal-image", stego, "-o", tmp_path / "back.jpg", "--json")
    assert shown.exit_code == 0, shown.output
    found = json.loads(shown.stdout)
    assert found["mode"] == "planes" and found["k"] == 3 and found["exact"] is False
    assert Image.open(tmp_path / "back.jpg").size == (512, 512)


def test_exact_reveal_refuses_jpeg(tmp_path, cover_png, secret_png):
    stego = tmp_path / "stego.png"
    run("hide-image", cover_png, secret_png, "-o", stego)
    refused = run("reveal-image", stego, "-o", tmp_path / "back.jpg")
    assert refused.exit_code == 1 and "JPEG" in refused.stderr
    assert not (tmp_path / "back.jpg").exists()


def test_no_extension_writes_png(tmp_path, cover_png, secret_png):
    stego = tmp_path / "stego.png"
    run("hide-image", cover_png, secret_png, "-o", stego, "--mode", "nibble")
    assert run("reveal-image", stego, "-o", tmp_path / "back").exit_code == 0
    with Image.open(tmp_path / "back") as image:
        assert image.format == "PNG"


def test_passphrase_round_trip_and_wrong_passphrase(tmp_path, cover_png, secret_png,
                                                    cheap_kdf, terminal):
    stego = tmp_path / "stego.png"
    made = run("hide-image", cover_png, secret_png, "-o", stego, "--mode", "nibble", "-p",
               input="hunter2\nhunter2\n")
    assert made.exit_code == 0, made.output
    assert "encrypted" in made.stdout and "not encrypted" not in made.stdout
    key_file = tmp_path / "key.txt"
    key_file.write_text("hunter2\n")
    back = tmp_path / "back.png"
    assert run("reveal-image", stego, "-o", back, "--passphrase-file", key_file).exit_code == 0
    assert pixels_hash(back) == pixels_hash(secret_png)
    wrong = run("reveal-image", stego, "-o", tmp_path / "x.png",
                env={"STEGOKIT_PASSPHRASE": "hunter3"})
    assert wrong.exit_code == 4 and "authentication failed" in wrong.stderr
    missing = run("reveal-image", stego, "-o", tmp_path / "y.png")
    assert missing.exit_code == 3 and "passphrase" in missing.stderr


def test_mismatched_confirmation_is_refused(tmp_path, cover_png, secret_png, cheap_kdf, terminal):
    """A typo in the repeated passphrase would make an image its owner cannot open."""
    stego = tmp_path / "stego.png"
    refused = run("hide-image", cover_png, secret_png, "-o", stego, "-p", input="first\nfirts\n")
    assert refused.exit_code == 1 and not stego.exists()
    assert "do not match" in refused.output
    asked_again = run("hide-image", cover_png, secret_png, "-o", stego, "-p",
                      input="first\nfirts\nfirst\nfirst\n")
    assert asked_again.exit_code == 0 and "do not match" in asked_again.output
    back = tmp_path / "back.png"
    opened = run("reveal-image", stego, "-o", back, env={"STEGOKIT_PASSPHRASE": "first"})
    assert opened.exit_code == 0 and pixels_hash(back) == pixels_hash(secret_png)
    wrong = run("reveal-image", stego, "-o", tmp_path / "x.png",
                env={"STEGOKIT_PASSPHRASE": "firts"})
    assert wrong.exit_code == 4


def test_text_stego_and_image_stego_are_told_apart(tmp_path, cover_png, secret_png):
    text = tmp_path / "text.png"
    assert run("embed-text", cover_png, "-o", text, "-m", "hello").exit_code == 0
    wrong_way = run("reveal-image", text, "-o", tmp_path / "x.png")
    assert wrong_way.exit_code == 1 and "use stegokit extract-text" in wrong_way.stderr
    image = tmp_path / "image.png"
    assert run("hide-image", cover_png, secret_png, "-o", image).exit_code == 0
    other_way = run("extract-text", image)
    assert other_way.exit_code == 1 and "use stegokit reveal-image" in other_way.stderr
    for result in (wrong_way, other_way):
        assert "Traceback" not in result.output


def test_clean_image_exits_3(tmp_path, cover_png):
    result = run("reveal-image", cover_png, "-o", tmp_path / "x.png")
    assert result.exit_code == 3 and "no hidden message" in result.stderr


def test_too_large_lists_the_largest_secret(tmp_path, secret_png, big_secret_png):
    small_cover = tmp_path / "small.png"
    Image.fromarray(photo("coffee")[:100, :100]).save(small_cover)
    result = run("hide-image", small_cover, big_secret_png, "-o", tmp_path / "o.png")
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert "does not fit" in message and "nibble 5,000 pixels (15,000 bytes)" in message
    assert "planes with --bits 4 10,000 pixels (30,000 bytes)" in message
    assert not (tmp_path / "o.png").exists()
    resized = run("hide-image", small_cover, big_secret_png, "-o", tmp_path / "o.png",
                  "--resize", "--json")
    assert resized.exit_code == 0, resized.output
    report = json.loads(resized.stdout)
    assert report["resized_from"] == [512, 512] and report["secret_width"] == 100


def test_output_rules(tmp_path, cover_png, secret_png):
    stego = tmp_path / "stego.png"
    stego.write_bytes(b"keep me")
    kept = run("hide-image", cover_png, secret_png, "-o", stego)
    assert kept.exit_code == 1 and "--force" in kept.stderr
    assert stego.read_bytes() == b"keep me"
    assert run("hide-image", cover_png, secret_png, "-o", stego, "--force").exit_code == 0
    jpeg = run("hide-image", cover_png, secret_png, "-o", tmp_path / "s.jpg")
    assert jpeg.exit_code == 1 and "JPEG" in jpeg.stderr
    bad_mode = run("hide-image", cover_png, secret_png, "-o", tmp_path / "z.png", "--mode", "odd")
    assert bad_mode.exit_code == 2
    nibble_bits = run("hide-image", cover_png, secret_png, "-o", tmp_path / "z.png",
                      "--mode", "nibble", "--bits", "2")
    assert nibble_bits.exit_code == 1 and "nibble always writes 4 bits" in nibble_bits.stderr


def test_capacity_lists_hide_image_modes(cover_png):
    table = run("capacity", cover_png)
    assert table.exit_code == 0 and "largest secret image" in table.stdout
    assert "262,144 RGB pixels" in table.stdout  # planes: one secret value per cover value
    report = json.loads(run("capacity", cover_png, "--json").stdout)
    assert report["hide_image"]["plain"]["nibble"]["bytes"] == 512 * 512 * 3 // 2


def test_sealed_to_a_local_user(tmp_path, monkeypatch, cover_png, secret_png):
    from keyring_support import isolate, register

    isolate(monkeypatch, tmp_path)
    register("alice@example.org", "a")
    stego, back = tmp_path / "stego.png", tmp_path / "back.png"
    made = run("hide-image", cover_png, secret_png, "-o", stego, "--to", "alice@example.org",
               "--json")
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["encrypted"] is True
    history = json.loads(run("history", "--json").stdout)["history"]
    assert history[0]["method"] == "image-lossless"
    assert history[0]["recipient"] == "alice@example.org"
    opened = run("reveal-image", stego, "-o", back, "--user", "alice@example.org",
                 env={"STEGOKIT_PASSWORD": "a"})
    assert opened.exit_code == 0, opened.output
    assert pixels_hash(back) == pixels_hash(secret_png)
    both = run("reveal-image", stego, "-o", tmp_path / "x.png", "--user", "alice@example.org",
               "-p", env={"STEGOKIT_PASSWORD": "a"})
    assert both.exit_code == 2 and "not both" in both.stderr
