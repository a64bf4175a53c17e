"""A damaged or hostile keyring file: one clear error naming the file, never a crash or a bad key.

Real SQLite files are damaged by hand (bytes overwritten, not a database, wrong tables,
undecodable text, a flipped bit in a stored key) and the real CLI is run on them.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from keyring_support import isolate, register, run, write_cover

from stegokit import crypto, keytext
from stegokit.keyring import FILE_NAME, MIGRATIONS, SCHEMA_VERSION, Keyring, key_check

MESSAGE = "meet at noon"


@pytest.fixture(autouse=True)
def home(monkeypatch, tmp_path) -> Path:
    return isolate(monkeypatch, tmp_path)


@pytest.fixture
def filled(home) -> Path:
    """A keyring with Alice (logged in) and a contact Bob, checkpointed into one file."""
    register("alice@example.org", "pw", name="Alice")
    key = keytext.encode_public_key(crypto.generate_keypair()[1])
    assert run("contact", "add", "Bob", "bob@example.org", key).exit_code == 0
    db = sqlite3.connect(home / FILE_NAME)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return home / FILE_NAME


def one_error_line(result, *fragments: str) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stegokit: error: "), result.stderr
    assert "internal error" not in lines[0] and "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def _sql(*statements: str):
    def damage(path: Path) -> None:
        db = sqlite3.connect(path)
        for statement in statements:
            db.execute(statement)
        db.commit()
        db.close()
    return damage


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not an SQLite database\n" * 200)


def _pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[4096:] = bytes((i * 131 + 7) % 256 for i in range(len(data) - 4096))
    path.write_bytes(bytes(data))


def _wrong_tables(path: Path) -> None:
    path.unlink()
    _sql("CREATE TABLE users (x)", f"PRAGMA user_version = {SCHEMA_VERSION}")(path)


DAMAGE = {
    "not a database": (_garbage, "file is not a database"),
    "pages overwritten": (_pages, "malformed"),
    "table dropped": (_sql("DROP TABLE contacts"), "no such table"),
    "wrong tables": (_wrong_tables, "no such"),
    "undecodable name": (_sql("UPDATE contacts SET name = CAST(x'ff41' AS TEXT)"),
                         "decode"),
    "undecodable e-mail": (_sql("UPDATE users SET email = CAST(x'ff41' AS TEXT)"), "decode"),
    "password hash as bytes": (_sql("UPDATE users SET password_hash = x'00ff'"),
                               "text expected"),
}
COMMANDS = {
    "contact list": ("contact", "list"),
    "user list": ("user", "list", "--json"),
    "login": ("user", "login", "alice@example.org"),
    "history": ("history", "--user", "alice@example.org"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_keyring_is_one_line_naming_the_file(filled, tmp_path, damage):
    spoil, detail = DAMAGE[damage]
    spoil(filled)
    cover = write_cover(tmp_path / "cover.png")
    out = tmp_path / "out.png"
    lines = []
    for args in COMMANDS.values():
        result = run(*args, password="pw")
        if result.exit_code != 0:  # some damage leaves some commands working
            lines.append(one_error_line(result))
    sealed = run("embed-text", str(cover), "-o", str(out), "-m", MESSAGE, "--to",
                 "bob@example.org")
    if sealed.exit_code != 0:
        lines.append(one_error_line(sealed))
        assert sorted(p.name for p in tmp_path.iterdir()) == ["cover.png", "home"]
    named = [line for line in lines if f"{filled}: the keyring is damaged" in line]
    assert named and any(detail in line for line in named), lines


def _flip_stored_key(path: Path, table: str) -> None:
    db = sqlite3.connect(path)
    (key,) = db.execute(f"SELECT public_key FROM {table}").fetchone()
    db.execute(f"UPDATE {table} SET public_key = ?", (bytes([key[0] ^ 1]) + key[1:],))
    db.commit()
    db.close()


def test_a_damaged_contact_key_is_refused_not_used(filled, tmp_path):
    _flip_stored_key(filled, "contacts")
    cover = write_cover(tmp_path / "cover.png")
    out = tmp_path / "out.png"
    result = run("embed-text", str(cover), "-o", str(out), "-m", MESSAGE,
                 "--to", "bob@example.org")
    one_error_line(result, str(filled), "public key of bob@example.org is damaged",
                   "remove the contact and add it again")
    assert not out.exists()
    listed = run("contact", "list")
    assert listed.exit_code == 0 and "damaged public key" in listed.stdout
    assert run("contact", "remove", "bob@example.org").exit_code == 0
    key = keytext.encode_public_key(crypto.generate_keypair()[1])
    assert run("contact", "add", "Bob", "bob@example.org", key).exit_code == 0
    again = run("embed-text", str(cover), "-o", str(out), "-m", MESSAGE, "--to",
                "bob@example.org")
    assert again.exit_code == 0, again.output


def test_a_damaged_user_key_is_refused(filled, tmp_path):
    _flip_stored_key(filled, "users")
    one_error_line(run("user", "export-key"), "public key of alice@example.org is damaged")
    one_error_line(run("user", "smtp", "set", "--host", "smtp.example.org", "--username",
                       "alice", STEGOKIT_SMTP_PASSWORD="x"), "is damaged")
    out = tmp_path / "out.png"
    one_error_line(run("embed-text", str(write_cover(tmp_path / "cover.png")), "-o", str(out),
                       "-m", MESSAGE, "--to", "alice@example.org"), "is damaged")
    assert not out.exists()


def test_a_version_2_keyring_gains_key_checks(home):
    home.mkdir(mode=0o700)
    public = crypto.generate_keypair()[1]
    db = sqlite3.connect(home / FILE_NAME)
    for step in MIGRATIONS[:2]:
        for statement in step:
            db.execute(statement)
    db.execute("INSERT INTO contacts (name, email, public_key, created) VALUES (?, ?, ?, ?)",
               ("Carol", "carol@example.org", public, "2026-01-01T00:00:00+00:00"))
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    with Keyring.open() as keyring:
        assert keyring.schema_version == SCHEMA_VERSION == 3
        assert keyring.recipient_key("carol@example.org") == public
    stored = sqlite3.connect(home / FILE_NAME).execute(
        "SELECT key_check FROM contacts").fetchone()[0]
    assert stored == key_check(public) and len(stored) == 16


def test_a_keyring_symlink_is_refused_and_its_target_untouched(home, tmp_path):
    home.mkdir(mode=0o700)
    target = tmp_path / "elsewhere.txt"
    target.write_bytes(b"someone else's file")
    target.chmod(0o644)
    (home / FILE_NAME).symlink_to(target)
    result = run("user", "register", "--name", "Alice", "--email", "alice@example.org",
                 password="pw")
    one_error_line(result, str(home / FILE_NAME), "symbolic link")
    assert target.read_bytes() == b"someone else's file"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    one_error_line(run("contact", "list"), "symbolic link")
    dangling = home / "gone"
    (home / FILE_NAME).unlink()
    (home / FILE_NAME).symlink_to(dangling)
    one_error_line(run("contact", "list"), "symbolic link")
    assert not dangling.exists()


def test_an_existing_home_keeps_its_mode(monkeypatch, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    monkeypatch.setenv("STEGOKIT_HOME", str(shared))
    register("alice@example.org", "pw")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    assert stat.S_IMODE((shared / FILE_NAME).stat().st_mode) == 0o600
    fresh = tmp_path / "new" / "deeper" / "stegokit"
    monkeypatch.setenv("STEGOKIT_HOME", str(fresh))
    register("bob@example.org", "pw")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700
    assert stat.S_IMODE(fresh.parent.stat().st_mode) == 0o777 & ~_umask()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _flip_blob(path: Path, table: str, column: str) -> None:
    db = sqlite3.connect(path)
    (blob,) = db.execute(f"SELECT {column} FROM {table}").fetchone()
    db.execute(f"UPDATE {table} SET {column} = ?", (blob[:-5] + bytes([blob[-5] ^ 1]) + blob[-4:],))
    db.commit()
    db.close()


def test_a_damaged_private_key_is_not_a_wrong_password(filled, tmp_path):
    stego = tmp_path / "sealed.png"
    assert run("embed-text", str(write_cover(tmp_path / "cover.png")), "-o", str(stego), "-m",
               MESSAGE, "--to", "alice@example.org").exit_code == 0
    _flip_blob(filled, "users", "wrapped_private_key")
    one_error_line(run("extract-text", str(stego), "--user", "alice@example.org",
                       password="pw"),
                   str(filled), "private key of alice@example.org is damaged")
    wrong = run("extract-text", str(stego), "--user", "alice@example.org", password="nope")
    assert wrong.exit_code == 4 and "wrong password" in wrong.stderr


def test_a_damaged_smtp_password_is_one_line(filled, tmp_path):
    assert run("user", "smtp", "set", "--host", "smtp.example.org", "--username", "alice",
               STEGOKIT_SMTP_PASSWORD="smtp secret").exit_code == 0
    _flip_blob(filled, "smtp_accounts", "sealed_password")
    stego = write_cover(tmp_path / "stego.png")
    one_error_line(run("mail", str(stego), "--to", "bob@example.org", password="pw"),
                   str(filled), "stored SMTP password is damaged")
