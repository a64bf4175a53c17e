"""The local keyring: users and their X25519 keys, contacts, history, SMTP accounts.

One SQLite file, ``keyring.db`` in the data folder (:mod:`stegokit.userdir`), mode 0600, in WAL
mode with a busy timeout so that several processes can write at once. The schema grows by
append-only migrations (:data:`MIGRATIONS`), tracked by ``PRAGMA user_version``.

Nothing secret is stored in the clear: a password is an Argon2id hash, a private key is
wrapped under a key derived from its user's password, an SMTP password is sealed to its
user's public key, and the history keeps no message, only a hash of the stego file.

Every public key is stored with a check (:func:`key_check`, schema 3): a key damaged on disk
is refused, never used to seal. A damaged file, a file that is not a stegokit keyring, wrong
tables or undecodable text are one :class:`KeyringDamaged` error naming the file, never a
crash. The file is created with ``O_EXCL | O_NOFOLLOW``: a ``keyring.db`` that is a symbolic
link is refused, and nothing it points to is opened or has its mode changed.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import stat
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from . import crypto, keytext, userdir
from .errors import AuthenticationError, FormatError, InputError, StegokitError
from .mail import SECURITIES

FILE_NAME = "keyring.db"
BUSY_TIMEOUT_S = 30.0
LABEL_PRIVATE_KEY = b"stegokit keyring private key v1"
LABEL_SMTP_PASSWORD = b"stegokit keyring smtp password v1"
LABEL_KEY_CHECK = b"stegokit keyring key check v1"
_DEFAULT_USER = "default_user"
_EMAIL = re.compile(r"[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+")

#: Append-only: never edit a step that has shipped, add a new one. Step ``i`` takes the
#: schema from version ``i`` to ``i + 1``.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            password_hash TEXT NOT NULL,
            public_key BLOB NOT NULL,
            wrapped_private_key BLOB NOT NULL,
            created TEXT NOT NULL)""",
        """CREATE TABLE contacts (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            public_key BLOB NOT NULL,
            created TEXT NOT NULL)""",
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ),
    (
        """CREATE TABLE history (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            time TEXT NOT NULL,
            method TEXT NOT NULL,
            recipient TEXT,
            output TEXT NOT NULL,
            sha256 TEXT NOT NULL)""",
        "CREATE INDEX history_by_user ON history (user_id, time)",
        """CREATE TABLE smtp_accounts (
            user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
            host TEXT NOT NULL,
            port INTEGER NOT NULL,
            security TEXT NOT NULL CHECK (security IN ('starttls', 'ssl', 'none')),
            username TEXT,
            sealed_password BLOB)""",
    ),
    (
        # stegokit_key_check() is key_check(), registered on each connection.
        "ALTER TABLE users ADD COLUMN key_check BLOB",
        "ALTER TABLE contacts ADD COLUMN key_check BLOB",
        "UPDATE users SET key_check = stegokit_key_check(public_key)",
        "UPDATE contacts SET key_check = stegokit_key_check(public_key)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class KeyringDamaged(StegokitError):
    """The keyring file is damaged, is not a stegokit keyring, or holds a damaged key."""


def key_check(public_key: bytes) -> bytes | None:
    """The 16-byte check stored with a public key: SHA-256 of a label and the key.

    It catches damage on disk, not an attacker who can write the file (who could recompute
    it). None for what is not bytes.
    """
    if not isinstance(public_key, bytes):
        return None
    return hashlib.sha256(LABEL_KEY_CHECK + public_key).digest()[:16]


def _key_intact(public_key, check) -> bool:
    return (isinstance(public_key, bytes) and len(public_key) == keytext.KEY_SIZE
            and check is not None and check == key_check(public_key))


@dataclass(frozen=True)
class User:
    """A local user: name, e-mail and public key (the private key stays wrapped).

    ``key_intact`` is False when the stored key no longer matches its check.
    """

    id: int
    name: str
    email: str
    public_key: bytes
    created: str
    key_intact: bool = True

    @property
    def key_text(self) -> str:
        return keytext.encode_public_key(self.public_key)


@dataclass(frozen=True)
class Contact:
    """Someone messages can be sealed to (``key_intact`` as for :class:`User`)."""

    name: str
    email: str
    public_key: bytes
    created: str
    key_intact: bool = True

    @property
    def key_text(self) -> str:
        return keytext.encode_public_key(self.public_key)


@dataclass(frozen=True)
class HistoryEntry:
    """One embed: when, how, for whom, and the SHA-256 of the file written (never the message)."""

    time: str
    method: str
    recipient: str | None
    output: str
    sha256: str


@dataclass(frozen=True)
class SmtpAccount:
    """A user's SMTP server; the password stays sealed to the user's public key."""

    host: str
    port: int
    security: str
    username: str | None
    sealed_password: bytes | None


def database_path() -> Path:
    """Where the keyring database is (or would be)."""
    return userdir.data_dir() / FILE_NAME


def password_kdf() -> crypto.KdfParams:
    """The Argon2id cost for new password hashes and wrapped keys.

    ``crypto.DEFAULT_KDF`` unless ``STEGOKIT_KEYRING_KDF="log2_memory_kib,iterations,lanes"``
    is set (for tests and very slow machines; each hash keeps the cost it was made with).
    """
    raw = os.environ.get("STEGOKIT_KEYRING_KDF")
    if not raw:
        return crypto.DEFAULT_KDF
    try:
        params = crypto.KdfParams(*(int(part) for part in raw.split(",")))
        params.check()
    except (TypeError, ValueError, StegokitError):
        raise InputError(
            "STEGOKIT_KEYRING_KDF must be 'log2_memory_kib,iterations,lanes' within "
            "13-20, 1-10, 1-8"
        ) from None
    return params


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def check_email(email: str) -> str:
    """The address, trimmed; :class:`InputError` unless it looks like ``name@domain``."""
    email = email.strip()
    if not _EMAIL.fullmatch(email):
        raise InputError(f"{email!r} is not an e-mail address (name@domain)")
    return email


def check_name(name: str) -> str:
    """A display name: trimmed, 1 to 200 characters, no control characters."""
    name = name.strip()
    if not name or len(name) > 200 or any(unicodedata.category(c)[0] == "C" for c in name):
        raise InputError("a name is 1 to 200 printable characters")
    return name


_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _open_private_file(path: Path) -> int:
    """Open the keyring file, creating it 0600 if missing; a symbolic link is refused.

    ``O_EXCL`` creates a new file only; an existing one is opened with ``O_NOFOLLOW``, must
    be a regular file, and is made 0600 through the open descriptor.
    """
    try:
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NO_FOLLOW, 0o600)
        except FileExistsError:
            fd = os.open(path, os.O_RDWR | _NO_FOLLOW)
    except OSError as exc:
        if path.is_symlink():
            raise StegokitError(f"{path}: is a symbolic link; refusing to use it as the "
                                "keyring") from None
        raise StegokitError(f"{path}: cannot open the keyring ({exc.strerror})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise StegokitError(f"{path}: not a regular file; refusing to use it as the keyring")
    if os.name == "posix" and stat.S_IMODE(mode) != 0o600:
        os.fchmod(fd, 0o600)  # the open file itself: never what a link points to
    return fd


def _same_file(path: Path, fd: int) -> bool:
    """Whether ``path`` is still the file open as ``fd`` (and not a link to another)."""
    try:
        now, held = os.lstat(path), os.fstat(fd)
    except OSError:
        return False
    return (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)


def _text(value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"text expected, found {type(value).__name__}")
    return value


class Keyring:
    """An open keyring database; use as a context manager or call :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        fd = _open_private_file(path)
        try:
            self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            if not _same_file(path, fd):
                self._db.close()
                raise StegokitError(f"{path}: replaced while being opened; refusing it")
        finally:
            os.close(fd)
        try:
            self._db.create_function("stegokit_key_check", 1, key_check, deterministic=True)
            self._db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.Error as exc:
            self._db.close()
            raise self._damaged(exc) from None
        except StegokitError:
            self._db.close()
            raise

    def _damaged(self, detail) -> KeyringDamaged:
        return KeyringDamaged(
            f"{self.path}: the keyring is damaged or not a stegokit keyring ({detail}); "
            "restore it from a backup, or move it aside to start a new one")

    def _all(self, sql: str, args: tuple = ()) -> list[tuple]:
        """The rows of a query; any database or decoding error is :class:`KeyringDamaged`."""
        try:
            return self._db.execute(sql, args).fetchall()
        except (sqlite3.Error, UnicodeError) as exc:
            raise self._damaged(exc) from None

    def _one(self, sql: str, args: tuple = ()) -> tuple | None:
        rows = self._all(sql, args)
        return rows[0] if rows else None

    def _converted(self, make, row: tuple):
        """``make(*row)``, a wrongly typed row (a damaged file) being :class:`KeyringDamaged`."""
        try:
            return make(*row)
        except (TypeError, ValueError) as exc:
            raise self._damaged(exc) from None

    @classmethod
    def open(cls) -> Keyring:
        """Open the user's keyring, creating the folder (0700) and database (0600) if needed."""
        folder = userdir.ensure_data_dir()
        return cls(folder / FILE_NAME)

    @classmethod
    def open_existing(cls) -> Keyring | None:
        """Open the keyring if there is one, else None (creates nothing)."""
        path = database_path()
        return cls(path) if os.path.lexists(path) else None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Keyring:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, holding the write lock from its start (``BEGIN IMMEDIATE``).

        A database error is :class:`KeyringDamaged`.
        """
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except (sqlite3.Error, UnicodeError) as exc:
            raise self._damaged(exc) from None

    def _version(self) -> int:
        (version,) = self._one("PRAGMA user_version")
        return version

    def _migrate(self) -> None:
        if self._version() == SCHEMA_VERSION:
            return
        with self._write() as db:
            version = self._version()
            if version > SCHEMA_VERSION:
                raise FormatError(
                    f"{self.path} was written by a newer stegokit (schema {version}); "
                    "upgrade stegokit"
                )
            for step in MIGRATIONS[version:]:
                for statement in step:
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @property
    def schema_version(self) -> int:
        return self._version()

    # --- users ---

    def check_new_email(self, email: str) -> str:
        """The address, checked; :class:`InputError` if a user or contact already has it."""
        email = check_email(email)
        if self.find_user(email):
            raise InputError(f"a user with the e-mail {email} already exists")
        if self._find_contact(email):
            raise InputError(f"{email} is a contact; remove the contact first")
        return email

    def register(self, name: str, email: str, password: str, *,
                 kdf: crypto.KdfParams | None = None) -> User:
        """Add a user with a new key pair; the first user becomes the default one."""
        name, email = check_name(name), check_email(email)
        if not password:
            raise InputError("the password is empty")
        kdf = kdf or password_kdf()
        private, public = crypto.generate_keypair()
        hashed = crypto.hash_password(password, params=kdf)
        wrapped = crypto.wrap_secret(private, password, LABEL_PRIVATE_KEY, params=kdf)
        with self._write() as db:
            if self._find_contact(email):
                raise InputError(f"{email} is a contact; remove the contact first")
            try:
                db.execute(
                    "INSERT INTO users (name, email, password_hash, public_key, "
                    "wrapped_private_key, created, key_check) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (name, email, hashed, public, wrapped, _now(), key_check(public)),
                )
            except sqlite3.IntegrityError:
                raise InputError(f"a user with the e-mail {email} already exists") from None
            db.execute("INSERT OR IGNORE INTO settings VALUES (?, ?)", (_DEFAULT_USER, email))
        return self.user(email)

    _USER_COLUMNS = "id, name, email, public_key, created, key_check"

    def _user(self, row: tuple) -> User:
        def make(user_id, name, email, public_key, created, check):
            if not isinstance(user_id, int):
                raise TypeError("a user id is not a number")
            return User(user_id, _text(name), _text(email), public_key, _text(created),
                        _key_intact(public_key, check))

        return self._converted(make, row)

    def users(self) -> list[User]:
        rows = self._all(f"SELECT {self._USER_COLUMNS} FROM users ORDER BY email")
        return [self._user(row) for row in rows]

    def find_user(self, email: str) -> User | None:
        """The local user with this e-mail, or None."""
        row = self._one(f"SELECT {self._USER_COLUMNS} FROM users WHERE email = ?",
                        (email.strip(),))
        return self._user(row) if row else None

    def public_key(self, person: User | Contact) -> bytes:
        """A user's or contact's public key; :class:`KeyringDamaged` if it fails its check."""
        if not person.key_intact:
            fix = ("restore the keyring from a backup" if isinstance(person, User)
                   else "remove the contact and add it again")
            raise KeyringDamaged(
                f"{self.path}: the stored public key of {person.email} is damaged (it does "
                f"not match its check); {fix}")
        return person.public_key

    def user(self, email: str) -> User:
        """The local user with this e-mail, or :class:`InputError`."""
        found = self.find_user(email)
        if found is None:
            raise InputError(f"no local user {email.strip()} (see: stegokit user list)")
        return found

    def default_user(self) -> User | None:
        """The user made default by login (or the first registered), if any."""
        row = self._one("SELECT value FROM settings WHERE key = ?", (_DEFAULT_USER,))
        return self.find_user(self._converted(_text, row)) if row else None

    def current_user(self, email: str | None) -> User:
        """The user named by ``email``, else the default user, else :class:`InputError`."""
        if email is not None:
            return self.user(email)
        found = self.default_user()
        if found is None:
            raise InputError("no user is logged in: give --user EMAIL or run stegokit user login")
        return found

    def check_password(self, email: str, password: str) -> User:
        """The user, if ``password`` is theirs; else :class:`AuthenticationError`."""
        user = self.user(email)
        hashed = self._converted(_text, self._one(
            "SELECT password_hash FROM users WHERE id = ?", (user.id,)))
        try:
            matches = crypto.verify_password(hashed, password)
        except FormatError as exc:
            raise self._damaged(f"{user.email}: {exc}") from None
        if not matches:
            raise AuthenticationError(f"authentication failed: wrong password for {user.email}")
        return user

    def login(self, email: str, password: str) -> User:
        """Check the password and make this user the default one."""
        user = self.check_password(email, password)
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (_DEFAULT_USER, user.email))
        return user

    def logout(self) -> User | None:
        """Forget the default user; returns who it was."""
        user = self.default_user()
        with self._write() as db:
            db.execute("DELETE FROM settings WHERE key = ?", (_DEFAULT_USER,))
        return user

    def _wrapped_key(self, user: User) -> bytes:
        (wrapped,) = self._one("SELECT wrapped_private_key FROM users WHERE id = ?", (user.id,))
        if not isinstance(wrapped, bytes):
            raise self._damaged(f"the private key of {user.email} is not stored as bytes")
        return wrapped

    def unlock(self, email: str, password: str) -> bytes:
        """A user's 32-byte private key; a wrong password is :class:`AuthenticationError`.

        When the key does not open but the password matches its stored hash, the wrapped
        key is damaged: :class:`KeyringDamaged`.
        """
        user = self.user(email)
        try:
            return crypto.unwrap_secret(self._wrapped_key(user), password, LABEL_PRIVATE_KEY)
        except (AuthenticationError, FormatError):
            self.check_password(user.email, password)  # a wrong password: exit 4
        raise KeyringDamaged(
            f"{self.path}: the private key of {user.email} is damaged (the password is right "
            "but the key does not open); restore the keyring from a backup")

    def change_password(self, email: str, old: str, new: str, *,
                        kdf: crypto.KdfParams | None = None) -> None:
        """Re-wrap the private key under a new password (the key pair stays the same)."""
        if not new:
            raise InputError("the new password is empty")
        kdf = kdf or password_kdf()
        private = self.unlock(email, old)
        user = self.user(email)
        hashed = crypto.hash_password(new, params=kdf)
        wrapped = crypto.wrap_secret(private, new, LABEL_PRIVATE_KEY, params=kdf)
        with self._write() as db:
            db.execute("UPDATE users SET password_hash = ?, wrapped_private_key = ? WHERE id = ?",
                       (hashed, wrapped, user.id))

    def remove_user(self, email: str) -> User:
        """Delete a user with their key, history and SMTP account."""
        user = self.user(email)
        with self._write() as db:
            db.execute("DELETE FROM users WHERE id = ?", (user.id,))
            db.execute("DELETE FROM settings WHERE key = ? AND value = ? COLLATE NOCASE",
                       (_DEFAULT_USER, user.email))
        return user

    # --- contacts and recipients ---

    _CONTACT_COLUMNS = "name, email, public_key, created, key_check"

    def _contact(self, row: tuple) -> Contact:
        def make(name, email, public_key, created, check):
            return Contact(_text(name), _text(email), public_key, _text(created),
                           _key_intact(public_key, check))

        return self._converted(make, row)

    def _find_contact(self, email: str) -> Contact | None:
        row = self._one(f"SELECT {self._CONTACT_COLUMNS} FROM contacts WHERE email = ?",
                        (email.strip(),))
        return self._contact(row) if row else None

    def add_contact(self, name: str, email: str, key: str | bytes) -> Contact:
        """Add a contact; ``key`` is the text form (``stegokit1:...``) or 32 raw bytes."""
        name, email = check_name(name), check_email(email)
        if isinstance(key, str):
            public = keytext.decode_public_key(key)
        else:
            public = bytes(key)
            crypto.check_public_key(public)
        with self._write() as db:
            if self.find_user(email):
                raise InputError(f"{email} is a local user; no contact is needed")
            try:
                db.execute("INSERT INTO contacts (name, email, public_key, created, key_check) "
                           "VALUES (?, ?, ?, ?, ?)", (name, email, public, _now(),
                                                      key_check(public)))
            except sqlite3.IntegrityError:
                raise InputError(f"a contact with the e-mail {email} already exists") from None
        return self.contact(email)

    def contacts(self) -> list[Contact]:
        rows = self._all(f"SELECT {self._CONTACT_COLUMNS} FROM contacts ORDER BY email")
        return [self._contact(row) for row in rows]

    def contact(self, email: str) -> Contact:
        found = self._find_contact(email)
        if found is None:
            raise InputError(f"no contact {email.strip()} (see: stegokit contact list)")
        return found

    def remove_contact(self, email: str) -> Contact:
        contact = self.contact(email)
        with self._write() as db:
            db.execute("DELETE FROM contacts WHERE email = ?", (contact.email,))
        return contact

    def recipient_key(self, email: str) -> bytes:
        """The public key of a contact or local user, or :class:`InputError`.

        A key that fails its check is :class:`KeyringDamaged`: it is never sealed to.
        """
        found = self._find_contact(email) or self.find_user(email)
        if found is None:
            raise InputError(
                f"unknown recipient {email.strip()}: add them with "
                "stegokit contact add NAME EMAIL KEY"
            )
        return self.public_key(found)

    # --- history ---

    def record(self, user: User, *, method: str, recipient: str | None, output: str,
               sha256: str) -> None:
        """Note an embed by ``user`` (no message, only the output's hash)."""
        with self._write() as db:
            db.execute("INSERT INTO history (user_id, time, method, recipient, output, sha256) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (user.id, _now(), method, recipient, output, sha256))

    def history(self, user: User) -> list[HistoryEntry]:
        rows = self._all("SELECT time, method, recipient, output, sha256 FROM history "
                         "WHERE user_id = ? ORDER BY id", (user.id,))

        def make(time, method, recipient, output, sha256):
            return HistoryEntry(_text(time), _text(method),
                                None if recipient is None else _text(recipient),
                                _text(output), _text(sha256))

        return [self._converted(make, row) for row in rows]

    # --- SMTP accounts ---

    def set_smtp(self, email: str, *, host: str, port: int, security: str,
                 username: str | None, password: str | None) -> SmtpAccount:
        """Store a user's SMTP account, the password sealed to the user's public key."""
        user = self.user(email)
        if security not in SECURITIES:
            raise InputError(f"SMTP security must be one of {', '.join(SECURITIES)}")
        if not host.strip() or not 0 < port < 65536:
            raise InputError("give an SMTP host and a port between 1 and 65535")
        sealed = None
        if password:
            sealed = crypto.seal_to_key(password.encode("utf-8"), self.public_key(user),
                                        LABEL_SMTP_PASSWORD)
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO smtp_accounts VALUES (?, ?, ?, ?, ?, ?)",
                       (user.id, host.strip(), port, security, username or None, sealed))
        return SmtpAccount(host.strip(), port, security, username or None, sealed)

    def smtp_account(self, email: str) -> SmtpAccount | None:
        user = self.user(email)
        row = self._one("SELECT host, port, security, username, sealed_password "
                        "FROM smtp_accounts WHERE user_id = ?", (user.id,))

        def make(host, port, security, username, sealed):
            if not isinstance(port, int) or not (sealed is None or isinstance(sealed, bytes)):
                raise TypeError("a wrongly typed SMTP account")
            return SmtpAccount(_text(host), port, _text(security),
                               None if username is None else _text(username), sealed)

        return self._converted(make, row) if row else None

    def remove_smtp(self, email: str) -> bool:
        user = self.user(email)
        with self._write() as db:
            return db.execute("DELETE FROM smtp_accounts WHERE user_id = ?",
                              (user.id,)).rowcount > 0


def open_smtp_password(account: SmtpAccount, private_key: bytes) -> str | None:
    """The clear SMTP password of an account, given its user's private key."""
    if account.sealed_password is None:
        return None
    clear = crypto.open_with_key(account.sealed_password, private_key, LABEL_SMTP_PASSWORD)
    return clear.decode("utf-8")
