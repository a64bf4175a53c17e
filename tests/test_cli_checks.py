"""What a careful user meets at the edges: option checks before prompts, no terminal, odd
input, wording, file permissions and the API's own words."""

from __future__ import annotations

import json
import os
import pty
import select
import stat
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest
from conftest import photo
from keyring_support import CHEAP_KDF_ENV
from PIL import Image
from typer.testing import CliRunner

import stegokit
from stegokit.cli import app
from stegokit.codecs.neural_ecc import CAPACITY as NEURAL_CAPACITY

SRC = Path(__file__).resolve().parents[1] / "src"
KEYRING_ENV = {"STEGOKIT_PASSWORD": "a long enough password",
               "STEGOKIT_KEYRING_KDF": CHEAP_KDF_ENV}


def run(*args, input: str | None = None, env: dict | None = None):
    return CliRunner().invoke(app, [str(a) for a in args], input=input, env=env)


def real_process(*args, home: Path, stdin=subprocess.DEVNULL, **env: str):
    """``python -m stegokit ARGS`` in a new session: no controlling terminal, stdin empty."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("STEGOKIT_")}
    full.update(PYTHONPATH=str(SRC), STEGOKIT_HOME=str(home),
                STEGOKIT_KEYRING_KDF=CHEAP_KDF_ENV, **env)
    return subprocess.run([sys.executable, "-m", "stegokit", *map(str, args)], env=full,
                          stdin=stdin, capture_output=True, text=True, timeout=120,
                          start_new_session=True)


# --- conflicting options are refused before anything is asked ------------------------------

@pytest.mark.parametrize("args, words", [
    (["--method", "neural", "-p"], "no encryption"),
    (["--method", "neural", "--passphrase-file", "{cover}"], "no encryption"),
    (["--method", "neural", "--bits", "2"], "--bits is for --method lsb"),
    (["--method", "neural", "--stealth"], "--stealth is for --method lsb"),
    (["-p", "--passphrase-file", "{cover}"], "-p (a prompt) or --passphrase-file, not both"),
    (["-p", "--to", "bob@example.org"], "not both"),
])
def test_embed_option_conflicts_are_refused_before_any_prompt(tmp_path, cover_png, terminal,
                                                              args, words):
    args = [a.format(cover=cover_png) for a in args]
    result = run("embed-text", cover_png, "-o", tmp_path / "o.png", "-m", "hi", *args,
                 input="typed passphrase\ntyped passphrase\n")
    assert result.exit_code == 2, result.output
    assert words in result.output and "Passphrase" not in result.output
    assert not (tmp_path / "o.png").exists()


def test_extract_option_conflicts_are_refused_before_any_prompt(tmp_path, cover_png, terminal):
    neural = run("extract-text", cover_png, "--method", "neural", "-p", input="pw\n")
    assert neural.exit_code == 2 and "no encryption" in neural.output
    both = run("extract-text", cover_png, "-p", "--passphrase-file", cover_png, input="pw\n")
    assert both.exit_code == 2 and "not both" in both.output
    for result in (neural, both):
        assert "Passphrase" not in result.output


def test_without_a_terminal_prompts_name_what_to_use_instead(tmp_path, cover_png):
    home = tmp_path / "home"
    cases = [
        (["embed-text", cover_png, "-o", tmp_path / "o.png", "-m", "hi", "-p"], {},
         "Passphrase: there is no terminal to ask at; give it with --passphrase-file FILE "
         "or the STEGOKIT_PASSPHRASE environment variable"),
        (["user", "register", "--name", "Alice", "--email", "alice@example.org"], {},
         "Password: there is no terminal to ask at; set the STEGOKIT_PASSWORD environment "
         "variable"),
        (["mail", cover_png, "--to", "bob@example.org", "--from", "alice@example.org",
          "--smtp-host", "127.0.0.1", "--smtp-security", "none", "--smtp-user", "alice"], {},
         "SMTP password for alice: there is no terminal to ask at; set the "
         "STEGOKIT_SMTP_PASSWORD environment variable"),
    ]
    for args, env, line in cases:
        done = real_process(*args, home=home, **env)
        assert (done.returncode, done.stderr) == (1, f"stegokit: error: {line}\n"), args
    assert not (tmp_path / "o.png").exists()
    made = real_process("user", "register", "--name", "Alice", "--email", "alice@example.org",
                        home=home, STEGOKIT_PASSWORD="a long enough password")
    assert made.returncode == 0, made.stderr
    removed = real_process("user", "remove", "alice@example.org", home=home)
    assert (removed.returncode, removed.stderr) == (
        1, "stegokit: error: there is no terminal to confirm at: add --yes to delete "
        "alice@example.org\n")
    listed = json.loads(real_process("user", "list", "--json", home=home).stdout)
    assert [u["email"] for u in listed["users"]] == ["alice@example.org"]


def test_a_passphrase_is_asked_at_a_real_terminal(tmp_path, cover_png):
    """On a terminal (a pseudo-terminal here) -p asks, twice, with the input hidden."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "stegokit", "embed-text", cover_png, "-o",
         str(tmp_path / "o.png"), "-m", "hi", "-p"],
        stdin=follower, stdout=follower, stderr=subprocess.PIPE, start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(SRC), "STEGOKIT_HOME": str(tmp_path / "home")})
    os.close(follower)
    asked = b""
    for prompt in (b"Passphrase:", b"Repeat for confirmation:"):
        asked += _wait_for(leader, prompt)  # the prompt is on the terminal, echo turned off
        time.sleep(0.5)  # getpass turns echo off, dropping what was typed, after the prompt
        os.write(leader, b"a long typed passphrase\n")
    _, err = process.communicate(timeout=120)
    shown = asked.decode() + _drain(leader)
    assert process.returncode == 0, err
    assert b"GetPassWarning" not in err and "Hid 2 bytes" in shown
    assert "a long typed passphrase" not in shown  # not echoed
    found = real_process("extract-text", tmp_path / "o.png", home=tmp_path / "home",
                         STEGOKIT_PASSPHRASE="a long typed passphrase")
    assert found.stdout == "hi\n", found.stderr


def _wait_for(fd: int, expected: bytes) -> bytes:
    """Read ``fd`` until ``expected`` has come (at most a minute)."""
    seen = b""
    while expected not in seen:
        ready, _, _ = select.select([fd], [], [], 60)
        assert ready, f"waited a minute for {expected!r}; got {seen!r}"
        chunk = os.read(fd, 1024)
        assert chunk, f"the process ended before {expected!r}; got {seen!r}"
        seen += chunk
    return seen


def _drain(fd: int) -> str:
    """What a process wrote to a pseudo-terminal whose other end is closed."""
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode(errors="replace")


# --- odd input --------------------------------------------------------------------------------

def test_bytes_that_are_not_utf8_in_an_argument(tmp_path, cover_png):
    """A shell passes ``$(printf 'caf\\xe9')`` as bytes; Python keeps them as surrogates."""
    done = run("embed-text", cover_png, "-o", tmp_path / "o.png", "-m", "caf\udce9")
    assert done.exit_code == 1 and "internal error" not in done.stderr
    assert done.stderr == ("stegokit: error: the -m text holds bytes that are not UTF-8 text "
                           "(0xe9 at character 4): give UTF-8 text, or hide raw bytes with "
                           "--file\n")
    elsewhere = run("mail", cover_png, "--to", "b@example.org", "--from", "a@example.org",
                    "--body", "caf\udce9", "--eml", tmp_path / "m.eml")
    assert (elsewhere.exit_code, elsewhere.stderr) == (1, (
        "stegokit: error: an argument holds bytes that are not UTF-8 text: give it as UTF-8 "
        "text\n"))
    assert not (tmp_path / "m.eml").exists()


def test_a_real_process_gets_the_same_line_for_raw_bytes(tmp_path, cover_png):
    done = subprocess.run(
        [sys.executable, "-m", "stegokit", "embed-text", cover_png, "-o",
         str(tmp_path / "o.png"), "-m", b"caf\xe9"],
        env={**os.environ, "PYTHONPATH": str(SRC)}, capture_output=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.startswith(b"stegokit: error: the -m text holds bytes that are not UTF-8")


def test_an_empty_message_is_refused_unless_allowed(tmp_path, cover_png):
    out = tmp_path / "o.png"
    for args, given in ((["-m", ""], None), (["--message-file", "-"], "")):
        refused = run("embed-text", cover_png, "-o", out, *args, input=given)
        assert refused.exit_code == 1, refused.output
        assert "is empty: there is nothing to hide (--allow-empty" in refused.stderr
        assert not out.exists()
    allowed = run("embed-text", cover_png, "-o", out, "-m", "", "--allow-empty")
    assert allowed.exit_code == 0, allowed.output
    assert "Hid 0 bytes of text" in allowed.stdout
    assert stegokit.extract_text(out).text == ""


def test_message_from_a_terminal_says_how_to_end_it(tmp_path, cover_png):
    leader, follower = pty.openpty()
    out = tmp_path / "o.png"
    process = subprocess.Popen(
        [sys.executable, "-m", "stegokit", "embed-text", cover_png, "-o", str(out),
         "--message-file", "-"],
        stdin=follower, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(SRC), "STEGOKIT_HOME": str(tmp_path / "home")})
    os.close(follower)
    os.write(leader, b"typed at the terminal\n\x04")
    _, err = process.communicate(timeout=120)
    os.close(leader)
    assert process.returncode == 0, err
    assert b"Ctrl-D" in err and b"Type the message" in err
    assert stegokit.extract_text(out).text == "typed at the terminal\n"


# --- wording ----------------------------------------------------------------------------------

def test_counts_are_pluralised(tmp_path, cover_png):
    one = run("embed-text", cover_png, "-o", tmp_path / "a.png", "-m", "x")
    assert "Hid 1 byte of text" in one.stdout and "1 bit per value" in one.stdout
    two = run("embed-text", cover_png, "-o", tmp_path / "b.png", "-m", "xy", "--bits", "2")
    assert "Hid 2 bytes of text" in two.stdout and "2 bits per value" in two.stdout
    assert "(s)" not in one.stdout + two.stdout


def test_too_large_suggests_a_bit_depth_only_when_one_holds_it(tmp_path):
    cover = tmp_path / "small.png"
    Image.fromarray(photo("astronaut")[:24, :24]).save(cover)
    room = stegokit.capacity(cover)
    fits_at_2 = os.urandom(room.lsb[1] + 20)
    assert len(fits_at_2) <= room.lsb[2]
    (tmp_path / "mid.bin").write_bytes(fits_at_2)
    (tmp_path / "huge.bin").write_bytes(os.urandom(room.lsb[4] + 50))
    mid = run("embed-text", cover, "-o", tmp_path / "o.png", "--file", tmp_path / "mid.bin")
    assert mid.exit_code == 1 and "try --bits 2)" in mid.stderr
    assert "1 bit per value" in mid.stderr and "per channel" not in mid.stderr
    huge = run("embed-text", cover, "-o", tmp_path / "o.png", "--file", tmp_path / "huge.bin",
               "--bits", "3")
    assert huge.exit_code == 1 and "--bits 4" not in huge.stderr
    assert "no bit depth holds it here" in huge.stderr and "3 bits per value" in huge.stderr


def test_help_gives_the_neural_capacity():
    shown = run("embed-text", "--help", env={"COLUMNS": "300", "TERMINAL_WIDTH": "300"})
    assert f"up to {NEURAL_CAPACITY} bytes of text" in shown.stdout


def test_capacity_table_rows_make_sense(cover_png):
    table = run("capacity", cover_png).stdout
    neural = next(line for line in table.splitlines() if "neural" in line)
    assert f"{NEURAL_CAPACITY} bytes of text" in neural and "none" in neural
    assert "never encrypted" in table and "of text\" │            0" not in table


def test_history_keeps_each_entry_on_one_line(tmp_path, cover_png):
    env = {**KEYRING_ENV, "COLUMNS": "80"}
    assert run("user", "register", "--name", "A", "--email", "a@example.org",
               env=env).exit_code == 0
    deep = tmp_path / "a-rather-long-folder-name" / "and-another-one-below-it"
    deep.mkdir(parents=True)
    out = deep / "the-stego-image-with-a-long-name.png"
    assert run("embed-text", cover_png, "-o", out, "-m", "hi", env=env).exit_code == 0
    shown = run("history", env=env).stdout.splitlines()
    entry = json.loads(run("history", "--json", env=env).stdout)["history"][0]
    assert any(entry["time"] in line and str(out) in line for line in shown), shown


# --- files ------------------------------------------------------------------------------------

@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_outputs_follow_the_umask_and_the_keyring_stays_private(tmp_path, cover_png, mask, mode):
    old = os.umask(mask)
    try:
        stego, text = tmp_path / "s.png", tmp_path / "t.txt"
        assert run("embed-text", cover_png, "-o", stego, "-m", "hi").exit_code == 0
        assert run("extract-text", stego, "-o", text).exit_code == 0
        assert run("mail", stego, "--to", "b@example.org", "--from", "a@example.org",
                   "--eml", tmp_path / "m.eml").exit_code == 0
        assert run("user", "register", "--name", "A", "--email", "a@example.org",
                   env=KEYRING_ENV).exit_code == 0
    finally:
        os.umask(old)
    for path in (stego, text, tmp_path / "m.eml"):
        assert stat.S_IMODE(path.stat().st_mode) == mode, path
    keyring = Path(os.environ["STEGOKIT_HOME"]) / "keyring.db"
    assert stat.S_IMODE(keyring.stat().st_mode) == 0o600


# --- the API's own words ----------------------------------------------------------------------

def test_save_over_an_existing_file_names_the_keyword_not_the_option(tmp_path, cover_png):
    out = tmp_path / "o.png"
    result = stegokit.embed_text(cover_png, "hi")
    result.save(out)
    with pytest.raises(stegokit.OutputError) as refused:
        result.save(out)
    assert "force=True" in str(refused.value) and "--force" not in str(refused.value)
    cli = run("embed-text", cover_png, "-o", out, "-m", "hi")
    assert cli.stderr == f"stegokit: error: {out} exists; use --force to overwrite it\n"


def test_the_public_namespace_holds_the_api_only():
    assert not hasattr(stegokit, "import_module")
    public = {name for name in dir(stegokit) if not name.startswith("_")}
    stray = {name for name in public - set(stegokit.__all__)
             if not isinstance(getattr(stegokit, name), types.ModuleType)}
    assert stray == set()
