"""The keyring library: users, keys, contacts, files, migrations, concurrency, secrets at rest."""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from keyring_support import CHEAP_KDF, isolate, subprocess_env

from stegokit import crypto, keytext, userdir
from stegokit.errors import AuthenticationError, FormatError, InputError
from stegokit.keyring import (
    FILE_NAME,
    LABEL_PRIVATE_KEY,
    SCHEMA_VERSION,
    Keyring,
    open_smtp_password,
    password_kdf,
)

VECTORS = json.loads((Path(__file__).parent / "vectors" / "public_keys.json").read_text())


@pytest.fixture(autouse=True)
def home(monkeypatch, tmp_path) -> Path:
    return isolate(monkeypatch, tmp_path)


@pytest.fixture
def keyring():
    with Keyring.open() as opened:
        yield opened


def test_files_are_private(home, keyring):
    keyring.register("Alice", "alice@example.org", "pw", kdf=CHEAP_KDF)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    files = list(home.iterdir())
    assert {p.name for p in files} == {FILE_NAME, FILE_NAME + "-wal", FILE_NAME + "-shm"}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    assert keyring._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_register_unlock_and_change_password(keyring):
    user = keyring.register("Alice", "alice@example.org", "old pw", kdf=CHEAP_KDF)
    private = keyring.unlock("ALICE@example.org", "old pw")
    assert crypto.public_key_of(private) == user.public_key
    with pytest.raises(AuthenticationError):
        keyring.unlock("alice@example.org", "wrong")
    keyring.change_password("alice@example.org", "old pw", "new pw", kdf=CHEAP_KDF)
    assert keyring.unlock("alice@example.org", "new pw") == private
    with pytest.raises(AuthenticationError):
        keyring.check_password("alice@example.org", "old pw")


def test_first_user_is_default_and_login_switches(keyring):
    keyring.register("Alice", "alice@example.org", "a", kdf=CHEAP_KDF)
    keyring.register("Bob", "bob@example.org", "b", kdf=CHEAP_KDF)
    assert keyring.default_user().email == "alice@example.org"
    with pytest.raises(AuthenticationError):
        keyring.login("bob@example.org", "a")
    keyring.login("bob@example.org", "b")
    assert keyring.current_user(None).email == "bob@example.org"
    keyring.remove_user("bob@example.org")
    assert keyring.default_user() is None
    with pytest.raises(InputError, match="no user is logged in"):
        keyring.current_user(None)


def test_duplicates_and_unknown_names_are_refused(keyring):
    keyring.register("Alice", "alice@example.org", "a", kdf=CHEAP_KDF)
    with pytest.raises(InputError, match="already exists"):
        keyring.register("Alice 2", "Alice@Example.org", "a", kdf=CHEAP_KDF)
    with pytest.raises(InputError, match="no local user"):
        keyring.user("zed@example.org")
    with pytest.raises(InputError, match="no contact"):
        keyring.remove_contact("zed@example.org")
    with pytest.raises(InputError, match="unknown recipient"):
        keyring.recipient_key("zed@example.org")
    with pytest.raises(InputError, match="not an e-mail"):
        keyring.register("X", "not-an-address", "a", kdf=CHEAP_KDF)
    with pytest.raises(InputError, match="local user"):
        keyring.add_contact("Alice", "alice@example.org", VECTORS["valid"][0]["text"])


def test_contacts_resolve_as_recipients(keyring):
    vector = VECTORS["valid"][0]
    contact = keyring.add_contact("Carol", "carol@example.org", vector["text"])
    assert contact.public_key.hex() == vector["public_key_hex"]
    assert keyring.recipient_key("CAROL@example.org") == contact.public_key
    with pytest.raises(InputError, match="already exists"):
        keyring.add_contact("Carol", "carol@example.org", VECTORS["valid"][1]["text"])
    keyring.remove_contact("carol@example.org")
    assert keyring.contacts() == []


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["text"][:16])
def test_public_key_text_vectors(vector):
    public = crypto.public_key_of(bytes.fromhex(vector["private_key_hex"]))
    assert public.hex() == vector["public_key_hex"]
    assert keytext.encode_public_key(public) == vector["text"]
    spaced = " ".join(vector["text"].upper()[i:i + 8] for i in range(0, 68, 8))
    assert keytext.decode_public_key(spaced) == public


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["error"])
def test_malformed_public_keys_are_refused(vector):
    with pytest.raises(InputError, match=f"^malformed public key: .*{vector['error']}"):
        keytext.decode_public_key(vector["text"])


@pytest.mark.parametrize(("text", "error"), [
    ("stegokit1" + VECTORS["valid"][0]["text"][10:], "it should start with 'stegokit1:'$"),
    ("stegokit2:ab:cd", "unknown key version 'stegokit2'$"),
])
def test_a_key_without_its_prefix_says_so(text, error):
    with pytest.raises(InputError, match=f"^malformed public key: {error}"):
        keytext.decode_public_key(text)


@pytest.mark.parametrize("size", [0, 31, 33])
def test_only_32_byte_keys_have_a_text_form(size):
    with pytest.raises(ValueError, match=r"^a public key is 32 bytes$"):
        keytext.encode_public_key(bytes(size))


def test_every_single_character_typo_is_caught():
    text = VECTORS["valid"][0]["text"]
    for i in range(len(keytext.PREFIX), len(text)):
        for typo in "abcdefghijklmnopqrstuvwxyz234567":
            if typo != text[i]:
                with pytest.raises(InputError):
                    keytext.decode_public_key(text[:i] + typo + text[i + 1:])


def test_the_documented_vectors_are_the_tested_ones():
    doc = (Path(__file__).parents[1] / "docs" / "keyring.md").read_text()
    for vector in VECTORS["valid"]:
        assert all(vector[k] in doc for k in ("private_key_hex", "public_key_hex", "text"))
    for vector in VECTORS["invalid"]:
        assert f"`{vector['text']}`" in doc


def test_password_hash_records_its_cost():
    encoded = crypto.hash_password("pw", params=CHEAP_KDF)
    assert encoded.startswith("$argon2id$v=19$m=8192,t=1,p=1$")
    assert crypto.verify_password(encoded, "pw")
    assert not crypto.verify_password(encoded, "pW")
    with pytest.raises(FormatError):
        crypto.verify_password(encoded.replace("m=8192", "m=8000"), "pw")


def test_kdf_override_is_checked(monkeypatch):
    monkeypatch.setenv("STEGOKIT_KEYRING_KDF", "13,1,1")
    assert password_kdf() == CHEAP_KDF
    monkeypatch.setenv("STEGOKIT_KEYRING_KDF", "4,1,1")
    with pytest.raises(InputError, match="STEGOKIT_KEYRING_KDF"):
        password_kdf()
    monkeypatch.delenv("STEGOKIT_KEYRING_KDF")
    assert password_kdf() == crypto.DEFAULT_KDF


def test_smtp_password_is_sealed_to_the_user(keyring):
    keyring.register("Alice", "alice@example.org", "pw", kdf=CHEAP_KDF)
    account = keyring.set_smtp("alice@example.org", host="mail.example.org", port=587,
                               security="starttls", username="alice", password="smtp secret")
    stored = keyring.smtp_account("alice@example.org")
    assert stored == account and b"smtp secret" not in stored.sealed_password
    private = keyring.unlock("alice@example.org", "pw")
    assert open_smtp_password(stored, private) == "smtp secret"
    with pytest.raises(AuthenticationError):
        open_smtp_password(stored, crypto.generate_keypair()[0])
    with pytest.raises(InputError, match="security"):
        keyring.set_smtp("alice@example.org", host="h", port=25, security="tls",
                         username=None, password=None)


#: Schema version 1 exactly as it shipped (frozen here: MIGRATIONS may only grow).
V1_SCHEMA = (
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL "
    "UNIQUE COLLATE NOCASE, password_hash TEXT NOT NULL, public_key BLOB NOT NULL, "
    "wrapped_private_key BLOB NOT NULL, created TEXT NOT NULL)",
    "CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL "
    "UNIQUE COLLATE NOCASE, public_key BLOB NOT NULL, created TEXT NOT NULL)",
    "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "PRAGMA user_version = 1",
)


def _write_v1(path: Path) -> bytes:
    """A version-1 keyring with one user (password 'pw') and one contact; returns the key."""
    private, public = crypto.generate_keypair()
    db = sqlite3.connect(path)
    for statement in V1_SCHEMA:
        db.execute(statement)
    db.execute("INSERT INTO users VALUES (1, 'Old', 'old@example.org', ?, ?, ?, "
               "'2025-01-01T00:00:00+00:00')",
               (crypto.hash_password("pw", params=CHEAP_KDF), public,
                crypto.wrap_secret(private, "pw", LABEL_PRIVATE_KEY, params=CHEAP_KDF)))
    db.execute("INSERT INTO contacts VALUES (1, 'Carol', 'carol@example.org', ?, "
               "'2025-01-01T00:00:00+00:00')",
               (bytes.fromhex(VECTORS["valid"][0]["public_key_hex"]),))
    db.execute("INSERT INTO settings VALUES ('default_user', 'old@example.org')")
    db.commit()
    db.close()
    return private


def test_a_version_1_keyring_migrates(home):
    home.mkdir(mode=0o700)
    private = _write_v1(home / FILE_NAME)
    with Keyring.open() as keyring:
        assert keyring.schema_version == SCHEMA_VERSION > 1
        user = keyring.default_user()
        assert user.email == "old@example.org"
        assert keyring.unlock("old@example.org", "pw") == private
        assert [c.email for c in keyring.contacts()] == ["carol@example.org"]
        keyring.record(user, method="lsb", recipient=None, output="out.png", sha256="00" * 32)
        keyring.set_smtp(user.email, host="h", port=25, security="none", username=None,
                         password=None)
        assert len(keyring.history(user)) == 1


def test_a_newer_keyring_is_refused(home):
    home.mkdir(mode=0o700)
    db = sqlite3.connect(home / FILE_NAME)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(FormatError, match="newer stegokit"):
        Keyring.open()


def test_twenty_processes_writing_at_once_lose_nothing(home):
    """10 `user register` and 10 `contact add` run as simultaneous real processes."""
    env = subprocess_env(home)
    env["STEGOKIT_PASSWORD"] = "pw"
    commands = []
    for i in range(10):
        commands.append(["user", "register", "--name", f"User {i}",
                         "--email", f"user{i}@example.org"])
        key = keytext.encode_public_key(crypto.generate_keypair()[1])
        commands.append(["contact", "add", f"Contact {i}", f"contact{i}@example.org", key])
    processes = [subprocess.Popen([sys.executable, "-m", "stegokit", *args], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for args in commands]
    outcomes = [(p.wait(timeout=300), p.stderr.read().decode()) for p in processes]
    for process in processes:
        process.stdout.close()
        process.stderr.close()
    assert [code for code, _ in outcomes] == [0] * 20, [err for _, err in outcomes]
    with Keyring.open() as keyring:
        assert len(keyring.users()) == 10
        assert len(keyring.contacts()) == 10


def test_nothing_secret_is_stored_in_clear(home, tmp_path):
    """Passwords, private keys, SMTP passwords and messages never reach the database or WAL."""
    from keyring_support import run, write_cover

    holder = Keyring.open()  # keeps the WAL file alive so it can be searched too
    password, smtp_password, message = "Tr0ub4dor&3-horse", "smtp-Pa55word!", "attack at dawn"
    assert run("user", "register", "--name", "Alice", "--email", "alice@example.org",
               password=password).exit_code == 0
    assert run("user", "smtp", "set", "--host", "mail.example.org", "--username", "alice",
               STEGOKIT_SMTP_PASSWORD=smtp_password).exit_code == 0
    cover = write_cover(tmp_path / "cover.png")
    result = run("embed-text", str(cover), "-o", str(tmp_path / "out.png"), "-m", message,
                 "--to", "alice@example.org")
    assert result.exit_code == 0, result.output
    private = holder.unlock("alice@example.org", password)
    wal = home / (FILE_NAME + "-wal")
    assert wal.stat().st_size > 0
    stored = b"".join(p.read_bytes() for p in home.iterdir())
    holder.close()
    for secret in (password, smtp_password, message):
        for encoding in ("utf-8", "utf-16-le"):
            assert secret.encode(encoding) not in stored, secret
    for form in (private, private.hex().encode(), private.hex().upper().encode()):
        assert form not in stored
    assert b"alice@example.org" in stored  # the search does see what is stored


def test_data_dir_rules(monkeypatch, tmp_path):
    monkeypatch.setattr(userdir.sys, "platform", "linux")
    assert userdir.data_dir() == tmp_path / "home"
    monkeypatch.delenv("STEGOKIT_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert userdir.data_dir() == tmp_path / "xdg" / "stegokit"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert userdir.data_dir() == tmp_path / "user" / ".local" / "share" / "stegokit"
    monkeypatch.setattr(userdir.sys, "platform", "darwin")
    assert userdir.data_dir() == tmp_path / "user" / "Library" / "Application Support" / "stegokit"
    monkeypatch.setattr(userdir.sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", str(tmp_path / "roaming"))
    assert userdir.data_dir() == tmp_path / "roaming" / "stegokit"
