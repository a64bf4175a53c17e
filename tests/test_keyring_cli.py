"""`stegokit user`, `contact` and `history` through the real CLI (CliRunner and a subprocess)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest
from keyring_support import isolate, register, run, subprocess_env, write_cover

from stegokit.keyring import Keyring

KEY = "stegokit1:r5amllnwr4swesxfwikou5t2n3eu3au5hv5v4gwrxjxt4ijyfbpy3u6gde"


@pytest.fixture(autouse=True)
def home(monkeypatch, tmp_path):
    return isolate(monkeypatch, tmp_path)


def one_error_line(result, code: int, *fragments: str) -> None:
    """Exit ``code`` with a single ``stegokit: error:`` line naming the problem."""
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stegokit: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_register_asks_the_password_twice_at_a_prompt(terminal):
    result = run("user", "register", "--name", "Alice", "--email", "alice@example.org",
                 stdin="s3cret\ns3cret\n")
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.stdout
    assert "Registered Alice <alice@example.org>" in result.stdout
    mismatch = run("user", "register", "--name", "Bob", "--email", "bob@example.org",
                   stdin="one\ntwo\none\none\n")
    assert mismatch.exit_code == 0 and "do not match" in mismatch.output
    assert run("user", "login", "bob@example.org", stdin="one\n").exit_code == 0


def test_register_list_login_logout():
    register("alice@example.org", "a")
    register("bob@example.org", "b")
    users = json.loads(run("user", "list", "--json").stdout)["users"]
    assert [(u["email"], u["default"]) for u in users] == [
        ("alice@example.org", True), ("bob@example.org", False)]
    assert all(u["public_key"].startswith("stegokit1:") for u in users)
    one_error_line(run("user", "login", "bob@example.org", password="a"), 4, "wrong password")
    assert run("user", "login", "bob@example.org", password="b").exit_code == 0
    assert json.loads(run("user", "list", "--json").stdout)["users"][1]["default"] is True
    assert "Logged out bob@example.org" in run("user", "logout").stdout
    one_error_line(run("user", "export-key"), 1, "no user is logged in")
    assert "Alice <alice@example.org>" in run("user", "list").stdout


def test_export_key_is_one_line_that_contact_add_accepts(tmp_path, monkeypatch):
    register("alice@example.org", "a")
    exported = run("user", "export-key", "--user", "alice@example.org").stdout
    assert exported.count("\n") == 1 and exported.startswith("stegokit1:")
    monkeypatch.setenv("STEGOKIT_HOME", str(tmp_path / "bob-home"))
    assert run("contact", "add", "Alice", "alice@example.org", exported.strip()).exit_code == 0
    contacts = json.loads(run("contact", "list", "--json").stdout)["contacts"]
    assert contacts[0]["public_key"] == exported.strip()
    assert "Alice <alice@example.org>" in run("contact", "list").stdout
    assert run("contact", "remove", "alice@example.org").exit_code == 0
    assert json.loads(run("contact", "list", "--json").stdout) == {"contacts": []}


def test_bad_input_is_one_clear_line():
    register("alice@example.org", "a")
    one_error_line(run("user", "register", "--name", "A", "--email", "alice@example.org",
                       password="x"), 1, "already exists")
    one_error_line(run("user", "login", "nobody@example.org", password="x"), 1,
                   "no local user nobody@example.org")
    one_error_line(run("contact", "remove", "nobody@example.org"), 1, "no contact")
    one_error_line(run("contact", "add", "Carol", "carol@example.org", KEY[:-3]), 1,
                   "malformed public key")
    one_error_line(run("contact", "add", "Carol", "carol@example.org", KEY[:-1] + "a"), 1,
                   "checksum")
    one_error_line(run("contact", "add", "Carol", "carol", KEY), 1, "not an e-mail")
    assert run("contact", "add", "Carol", "carol@example.org", KEY).exit_code == 0
    one_error_line(run("contact", "add", "Carol", "carol@example.org", KEY), 1,
                   "already exists")
    one_error_line(run("history", "--user", "nobody@example.org"), 1, "no local user")


def test_passwd_rewraps_the_key(terminal):
    register("alice@example.org", "old")
    with Keyring.open() as keyring:
        before = keyring.unlock("alice@example.org", "old")
    one_error_line(run("user", "passwd", password="wrong", STEGOKIT_NEW_PASSWORD="new"), 4,
                   "wrong password")
    result = run("user", "passwd", password="old", STEGOKIT_NEW_PASSWORD="new")
    assert result.exit_code == 0, result.output
    with Keyring.open() as keyring:
        assert keyring.unlock("alice@example.org", "new") == before
    prompted = run("user", "passwd", stdin="new\nnewer\nnewer\n")
    assert prompted.exit_code == 0, prompted.output
    assert run("user", "login", "alice@example.org", password="newer").exit_code == 0


def test_remove_asks_for_confirmation(terminal):
    register("alice@example.org", "a")
    declined = run("user", "remove", "alice@example.org", stdin="n\n")
    assert declined.exit_code == 1
    assert len(json.loads(run("user", "list", "--json").stdout)["users"]) == 1
    assert run("user", "remove", "alice@example.org", stdin="y\n").exit_code == 0
    register("alice@example.org", "a")
    assert run("user", "remove", "alice@example.org", "--yes").exit_code == 0
    assert json.loads(run("user", "list", "--json").stdout) == {"users": []}


def test_history_records_embeds_by_the_logged_in_user(tmp_path):
    cover = write_cover(tmp_path / "cover.png")
    out = tmp_path / "anonymous.png"
    assert run("embed-text", str(cover), "-o", str(out), "-m", "hi").exit_code == 0
    assert not (tmp_path / "home").exists()  # no keyring is created behind the user's back
    register("alice@example.org", "a")
    out = tmp_path / "out.png"
    result = run("embed-text", str(cover), "-o", str(out), "-m", "the secret plan",
                 "--to", "alice@example.org")
    assert result.exit_code == 0, result.output
    entries = json.loads(run("history", "--json").stdout)["history"]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["method"] == "lsb" and entry["recipient"] == "alice@example.org"
    assert entry["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert entry["output"] == str(out.resolve())
    assert "the secret plan" not in json.dumps(entries)
    assert "lsb" in run("history").stdout
    assert run("user", "logout").exit_code == 0
    run("embed-text", str(cover), "-o", str(tmp_path / "later.png"), "-m", "x")
    assert len(json.loads(run("history", "--json", "--user", "alice@example.org").stdout)[
        "history"]) == 1


def test_smtp_account_set_show_remove(terminal):
    register("alice@example.org", "a")
    result = run("user", "smtp", "set", "--host", "mail.example.org", "--username", "alice",
                 stdin="smtp-pw\n")
    assert result.exit_code == 0, result.output
    shown = json.loads(run("user", "smtp", "show", "--json").stdout)
    assert shown == {"user": "alice@example.org", "host": "mail.example.org", "port": 587,
                     "security": "starttls", "username": "alice", "password_stored": True}
    assert "smtp-pw" not in run("user", "smtp", "show").stdout
    one_error_line(run("user", "smtp", "set", "--host", "h", "--security", "tls"), 1,
                   "--security")
    assert run("user", "smtp", "remove").exit_code == 0
    one_error_line(run("user", "smtp", "show"), 1, "no SMTP account")


def test_a_real_process_registers_and_reports_errors(home):
    env = subprocess_env(home)
    env["STEGOKIT_PASSWORD"] = "pw"
    command = [sys.executable, "-m", "stegokit", "user", "register", "--name", "Alice",
               "--email", "alice@example.org"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1
    assert again.stderr.strip() == (
        "stegokit: error: a user with the e-mail alice@example.org already exists")
