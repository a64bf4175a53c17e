"""Messages sealed to a recipient: only their private key, behind their password, opens them."""

from __future__ import annotations

import pytest
from keyring_support import isolate, register, run, write_cover

from stegokit import api
from stegokit.keyring import Keyring

MESSAGE = "The key is under the third stone. ✓"


@pytest.fixture(autouse=True)
def home(monkeypatch, tmp_path):
    return isolate(monkeypatch, tmp_path)


@pytest.fixture
def sealed_to_alice(tmp_path):
    """Alice and Bob registered; a stego image sealed to Alice."""
    register("alice@example.org", "alice pw")
    register("bob@example.org", "bob pw")
    cover = write_cover(tmp_path / "cover.png")
    stego = tmp_path / "stego.png"
    result = run("embed-text", str(cover), "-o", str(stego), "-m", MESSAGE,
                 "--to", "alice@example.org")
    assert result.exit_code == 0, result.output
    assert "encrypted" in result.stdout
    return stego


def test_alice_opens_it(sealed_to_alice):
    result = run("extract-text", str(sealed_to_alice), "--user", "alice@example.org",
                 password="alice pw")
    assert result.exit_code == 0, result.output
    assert result.stdout == MESSAGE + "\n"


def test_alice_opens_it_at_the_password_prompt(sealed_to_alice, terminal):
    result = run("extract-text", str(sealed_to_alice), "--user", "alice@example.org",
                 stdin="alice pw\n")
    assert result.exit_code == 0, result.output
    assert MESSAGE in result.stdout and "alice pw" not in result.stdout


@pytest.mark.parametrize(("user", "password"), [
    ("bob@example.org", "bob pw"),      # someone else, with their right password
    ("alice@example.org", "bob pw"),    # Alice with a wrong password
])
def test_anyone_else_gets_exit_4(sealed_to_alice, user, password):
    result = run("extract-text", str(sealed_to_alice), "--user", user, password=password)
    assert result.exit_code == 4, result.output
    assert MESSAGE not in result.output
    assert result.stderr.startswith("stegokit: error: authentication failed")


def test_without_a_key_nothing_is_found(sealed_to_alice):
    result = run("extract-text", str(sealed_to_alice))
    assert result.exit_code == 3
    result = run("extract-text", str(sealed_to_alice), "--passphrase-file",
                 str(sealed_to_alice), "--user", "alice@example.org")
    assert result.exit_code == 2 and "not both" in result.stderr


def test_unknown_users_and_recipients_are_refused(sealed_to_alice, tmp_path):
    result = run("extract-text", str(sealed_to_alice), "--user", "zed@example.org",
                 password="x")
    assert result.exit_code == 1 and "no local user zed@example.org" in result.stderr
    result = run("embed-text", str(tmp_path / "cover.png"), "-o", str(tmp_path / "o.png"),
                 "-m", "x", "--to", "zed@example.org")
    assert result.exit_code == 1 and "unknown recipient zed@example.org" in result.stderr
    assert not (tmp_path / "o.png").exists()


def test_sealed_to_a_contact_from_another_keyring(tmp_path, monkeypatch):
    """Bob exports his key; Alice, on her own keyring, seals to him; only Bob opens it."""
    monkeypatch.setenv("STEGOKIT_HOME", str(tmp_path / "bob"))
    register("bob@example.org", "bob pw")
    bob_key = run("user", "export-key").stdout.strip()

    monkeypatch.setenv("STEGOKIT_HOME", str(tmp_path / "alice"))
    register("alice@example.org", "alice pw")
    assert run("contact", "add", "Bob", "bob@example.org", bob_key).exit_code == 0
    cover = write_cover(tmp_path / "cover.png")
    stego = tmp_path / "for-bob.png"
    assert run("embed-text", str(cover), "-o", str(stego), "-m", MESSAGE,
               "--to", "bob@example.org").exit_code == 0
    assert run("extract-text", str(stego), "--user", "alice@example.org",
               password="alice pw").exit_code == 4

    monkeypatch.setenv("STEGOKIT_HOME", str(tmp_path / "bob"))
    result = run("extract-text", str(stego), "--user", "bob@example.org", password="bob pw")
    assert result.exit_code == 0 and result.stdout == MESSAGE + "\n"


def test_library_round_trip_through_the_keyring(tmp_path):
    register("alice@example.org", "alice pw")
    with Keyring.open() as keyring:
        public = keyring.recipient_key("alice@example.org")
        private = keyring.unlock("alice@example.org", "alice pw")
    cover = write_cover(tmp_path / "cover.png")
    stego = api.embed_text(cover, MESSAGE, recipient=public)
    assert api.extract_text(stego.pixels, private_key=private).text == MESSAGE
