"""Every command through the CLI: output, files and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import photo
from PIL import Image
from typer.testing import CliRunner

import stegokit
from stegokit.cli import app

runner = CliRunner()


def run(*args: str, input: str | None = None, env: dict | None = None):
    return runner.invoke(app, list(args), input=input, env=env)


@pytest.fixture
def stego(tmp_path, cover_png):
    out = tmp_path / "stego.png"
    result = run("embed-text", cover_png, "-o", str(out), "-m", "hello from the CLI")
    assert result.exit_code == 0, result.output
    return out


def test_embed_and_extract(stego):
    result = run("extract-text", str(stego))
    assert result.exit_code == 0
    assert result.stdout == "hello from the CLI\n"


def test_embed_reports_what_it_did(tmp_path, cover_png):
    result = run("embed-text", cover_png, "-o", str(tmp_path / "o.png"), "-m", "hi", "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0
    assert report["method"] == "lsb" and report["bits"] == 1 and not report["encrypted"]
    assert report["payload_bytes"] == 2 and report["psnr"] > 70 and report["changed"] > 0


def test_extract_json(stego):
    report = json.loads(run("extract-text", str(stego), "--json").stdout)
    assert report == {"method": "lsb", "bits": 1, "kind": "text", "payload_bytes": 18,
                      "encrypted": False, "text": "hello from the CLI", "name": None,
                      "output": None, "notices": []}


def test_clean_image_exits_3(cover_png):
    result = run("extract-text", cover_png)
    assert result.exit_code == 3
    assert "no hidden message" in result.stderr
    assert "Traceback" not in result.output


def test_passphrase_from_prompt_env_and_file(tmp_path, cover_png, cheap_kdf, terminal):
    out = tmp_path / "secret.png"
    made = run("embed-text", cover_png, "-o", str(out), "-m", "s3cret", "-p",
               input="hunter2 horse\nhunter2 horse\n")
    assert made.exit_code == 0, made.output
    assert "hunter2" not in made.stdout
    assert run("extract-text", str(out)).exit_code == 3
    assert run("extract-text", str(out), "-p", input="nope\n").exit_code == 4
    by_prompt = run("extract-text", str(out), "-p", input="hunter2 horse\n")
    assert by_prompt.exit_code == 0 and "s3cret" in by_prompt.stdout
    by_env = run("extract-text", str(out), env={"STEGOKIT_PASSPHRASE": "hunter2 horse"})
    assert by_env.stdout == "s3cret\n"
    secret_file = tmp_path / "pass.txt"
    secret_file.write_text("hunter2 horse\n")
    by_file = run("extract-text", str(out), "--passphrase-file", str(secret_file))
    assert by_file.stdout == "s3cret\n"


def test_mismatched_confirmation_is_refused(tmp_path, cover_png, cheap_kdf, terminal):
    """A typo in the repeated passphrase would make an image its owner cannot open."""
    out = tmp_path / "x.png"
    refused = run("embed-text", cover_png, "-o", str(out), "-m", "s", "-p",
                  input="first\nfirts\n")
    assert refused.exit_code == 1 and not out.exists()
    assert "do not match" in refused.output
    asked_again = run("embed-text", cover_png, "-o", str(out), "-m", "s", "-p",
                      input="first\nfirts\nfirst\nfirst\n")
    assert asked_again.exit_code == 0 and "do not match" in asked_again.output
    opened = run("extract-text", str(out), env={"STEGOKIT_PASSPHRASE": "first"})
    assert opened.exit_code == 0 and opened.stdout == "s\n"
    assert run("extract-text", str(out), env={"STEGOKIT_PASSPHRASE": "firts"}).exit_code == 4


def test_files_round_trip_and_are_dumped_only_when_asked(tmp_path, cover_png):
    secret = tmp_path / "notes.bin"
    secret.write_bytes(bytes(range(256)) * 10)
    out = tmp_path / "stego.png"
    assert run("embed-text", cover_png, "-o", str(out), "--file", str(secret)).exit_code == 0
    recovered = tmp_path / "recovered.bin"
    result = run("extract-text", str(out), "-o", str(recovered), "--json")
    assert result.exit_code == 0
    assert recovered.read_bytes() == secret.read_bytes()
    assert json.loads(result.stdout)["name"] == "notes.bin"
    piped = run("extract-text", str(out))  # stdout is a pipe here, not a terminal
    assert piped.exit_code == 1 and piped.stdout_bytes == b""
    assert piped.stderr == ("stegokit: error: the message is a file notes.bin (2,560 bytes): "
                            "save it with -o FILE, or write its raw bytes to stdout with -o -\n")
    asked = run("extract-text", str(out), "-o", "-")
    assert asked.exit_code == 0 and asked.stdout_bytes == secret.read_bytes()
    text = tmp_path / "text.png"
    assert run("embed-text", cover_png, "-o", str(text), "-m", "plain text").exit_code == 0
    assert run("extract-text", str(text)).stdout == "plain text\n"  # text still goes out


def test_message_from_file_and_stdin(tmp_path, cover_png):
    text_file = tmp_path / "m.txt"
    text_file.write_text("from a file ✓\n", encoding="utf-8")
    out = tmp_path / "a.png"
    assert run("embed-text", cover_png, "-o", str(out), "--message-file", str(text_file)) \
        .exit_code == 0
    assert run("extract-text", str(out)).stdout == "from a file ✓\n\n"
    out2 = tmp_path / "b.png"
    assert run("embed-text", cover_png, "-o", str(out2), "--message-file", "-",
               input="from stdin").exit_code == 0
    assert run("extract-text", str(out2)).stdout == "from stdin\n"


@pytest.mark.parametrize("args, code, words", [
    (["-m", "x", "-o", "{tmp}/o.jpg"], 1, "JPEG would destroy"),
    (["-m", "x", "-o", "{tmp}/o.gif"], 1, "unknown output format"),
    (["-m", "x", "-o", "{tmp}/nowhere/o.png"], 1, "does not exist"),
    (["-o", "{tmp}/o.png"], 2, "exactly one of"),
    (["-m", "x", "--file", "{cover}", "-o", "{tmp}/o.png"], 2, "exactly one of"),
    (["-m", "x", "-o", "{tmp}/o.png", "--bits", "5"], 2, "--bits"),
])
def test_embed_errors(tmp_path, cover_png, args, code, words):
    args = [a.format(tmp=tmp_path, cover=cover_png) for a in args]
    result = run("embed-text", cover_png, *args)
    assert result.exit_code == code, result.output
    assert words in result.output
    assert "Traceback" not in result.output


def test_a_long_compressible_message_fits(tmp_path, cover_png):
    out = tmp_path / "o.png"
    made = run("embed-text", cover_png, "-o", str(out), "-m", "x" * 200_000)
    assert made.exit_code == 0 and "Hid 200,000 bytes of text" in made.stdout
    assert run("extract-text", str(out)).stdout == "x" * 200_000 + "\n"


def test_too_large_payload_says_how_much_fits(tmp_path, cover_png):
    blob = tmp_path / "big.bin"
    blob.write_bytes(np.random.default_rng(0).bytes(200_000))
    result = run("embed-text", cover_png, "-o", str(tmp_path / "o.png"), "--file", str(blob))
    fits = stegokit.capacity(cover_png, filename="big.bin").lsb[1]
    assert result.exit_code == 1
    assert f"holds at most {fits} bytes" in result.stderr
    assert not (tmp_path / "o.png").exists()


def test_existing_output_needs_force(tmp_path, cover_png, stego):
    before = stego.read_bytes()
    result = run("embed-text", cover_png, "-o", str(stego), "-m", "other")
    assert result.exit_code == 1 and "--force" in result.stderr
    assert stego.read_bytes() == before
    assert run("embed-text", cover_png, "-o", str(stego), "-m", "other", "--force") \
        .exit_code == 0
    assert run("extract-text", str(stego)).stdout == "other\n"


def test_missing_and_broken_inputs(tmp_path):
    assert run("extract-text", str(tmp_path / "none.png")).exit_code == 1
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    result = run("capacity", str(broken))
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_capacity_json_is_exact(cover_png):
    report = json.loads(run("capacity", cover_png, "--json").stdout)
    # 512 x 512 x 3 values = 12,288 blocks of 64; minus header 14, CRC 4, record 2 bytes.
    assert {b: report["lsb"][b] for b in "234"} == {str(b): 12_288 * 8 * b - 20 for b in (2, 3, 4)}
    # At 1 bit, blocks holding a 0 or a 255 are not used.
    blocks = photo("astronaut").reshape(-1, 64)
    usable = int(((blocks != 0) & (blocks != 255)).all(axis=1).sum())
    assert report["lsb"]["1"] == usable * 8 - 20
    table = run("capacity", cover_png)
    assert f"{usable * 8 - 20:,}" in table.stdout


def test_demo_runs():
    result = run("demo")
    assert result.exit_code == 0, result.output
    assert "(identical)" in result.stdout and "refused" in result.stdout
    assert "'meet at the old mill' (neural)" in " ".join(result.stdout.split())


def test_debug_shows_tracebacks(cover_png):
    quiet = run("extract-text", cover_png)
    loud = run("--debug", "extract-text", cover_png)
    assert quiet.exit_code == 3 and loud.exit_code != 0
    assert loud.exception is not None and "NoPayloadError" in type(loud.exception).__name__


def test_help_teaches():
    result = run("embed-text", "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout and "--passphrase" in result.stdout


def test_help_paragraphs_reflow_and_list_the_exit_codes():
    wide = {"COLUMNS": "200"}
    # a paragraph that spans two lines of the docstring comes out as one line when wide
    assert "(AES-256-CBC + HMAC-SHA256, key from Argon2id)" in \
        run("embed-text", "--help", env=wide).stdout
    assert "Exit codes: 0 success, 1 error, 2 usage, 3 no hidden message, 4 authentication " \
        "failed." in run("--help", env=wide).stdout


def test_console_script_in_a_subprocess(tmp_path, cover_png):
    """The installed entry point (or python -m stegokit) really runs."""
    out = tmp_path / "sub.png"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    made = subprocess.run([sys.executable, "-m", "stegokit", "embed-text", cover_png, "-o",
                           str(out), "-m", "subprocess ✓"], capture_output=True, env=env)
    assert made.returncode == 0, made.stderr
    got = subprocess.run([sys.executable, "-m", "stegokit", "extract-text", str(out)],
                         capture_output=True, env=env)
    assert got.returncode == 0 and got.stdout.decode() == "subprocess ✓\n"
    clean = subprocess.run([sys.executable, "-m", "stegokit", "extract-text", cover_png],
                           capture_output=True, env=env)
    assert clean.returncode == 3
    assert clean.stderr.decode().count("\n") == 1 and b"Traceback" not in clean.stderr


def test_installed_console_script(tmp_path, cover_png):
    script = os.path.join(os.path.dirname(sys.executable), "stegokit")
    if not os.path.exists(script):
        pytest.fail("the stegokit console script is not installed next to this Python")
    got = subprocess.run([script, "capacity", cover_png, "--json"], capture_output=True)
    assert got.returncode == 0 and json.loads(got.stdout)["lsb"]["2"] == 196_588


def test_stealth_caps_the_rate(tmp_path, cover_png):
    out = tmp_path / "s.png"
    small = run("embed-text", cover_png, "-o", str(out), "-m", "short", "--stealth", "--json")
    assert small.exit_code == 0 and json.loads(small.stdout)["rate"] < 0.05
    blob = tmp_path / "blob.bin"
    blob.write_bytes(np.random.default_rng(0).bytes(20_000))
    big = run("embed-text", cover_png, "-o", str(tmp_path / "b.png"), "--file", str(blob),
              "--stealth")
    assert big.exit_code == 1 and "--stealth keeps the payload" in big.stderr
    loud = run("embed-text", cover_png, "-o", str(tmp_path / "c.png"), "--file", str(blob))
    assert loud.exit_code == 0 and "steganalysis" in loud.stderr
    assert run("embed-text", cover_png, "-o", str(tmp_path / "d.png"), "-m", "x", "--stealth",
               "--bits", "2").exit_code == 1


def test_analyze_flags_lsb_replacement_and_not_our_output(tmp_path, cover_png):
    pixels = photo("coffee")
    replaced = pixels.copy()
    rng = np.random.default_rng(0)
    mask = rng.random(pixels.shape) < 0.4
    replaced[mask] = (replaced[mask] & 0xFE) | rng.integers(0, 2, mask.sum(), dtype=np.uint8)
    Image.fromarray(replaced).save(tmp_path / "replaced.png")
    loud = json.loads(run("analyze", str(tmp_path / "replaced.png"), "--json").stdout)
    assert loud["verdict"] == "likely stego" and abs(loud["rate"] - 0.4) < 0.05
    ours = tmp_path / "ours.png"
    payload = tmp_path / "p.bin"
    payload.write_bytes(rng.bytes(int(stegokit.capacity(pixels).lsb[1] * 0.4)))
    stegokit.embed_text(pixels, payload.read_bytes(), rng=0).save(ours)
    quiet = run("analyze", str(ours), "--json", "--planes", str(tmp_path / "planes.png"))
    report = json.loads(quiet.stdout)
    # the statistics read stegokit's ±1 output as clean, but its plain container is there
    assert report["rate"] <= 0.05 and report["verdict"] == "likely stego"
    assert "readable by anyone" in report["stegokit_container"]
    assert (tmp_path / "planes.png").exists()
    table = run("analyze", str(ours))
    assert "Verdict: likely stego" in table.stdout


def test_file_names_are_printed_as_given(tmp_path, cover_png):
    out = tmp_path / "x[bold].png"  # rich would have read [bold] as markup
    result = run("embed-text", cover_png, "-o", str(out), "-m", "hi")
    assert result.exit_code == 0 and f"in {out} (lsb" in result.stdout
    result = run("extract-text", str(out), "-o", str(tmp_path / "y[red].txt"))
    assert result.exit_code == 0 and "y[red].txt" in result.stdout
