"""The inbox: stego images other stegokit users sent to the users of this keyring.

Layout, under the user data folder (:mod:`stegokit.userdir`), folders 0700 and files 0600::

    inbox/
      index.db                 SQLite: one row per arrival (see MIGRATIONS)
      <recipient folder>/      one per recipient: the first 24 hex digits of the SHA-256
        <id>.<ext>             of the recipient's address as the keyring stores it
        .incoming-*.tmp        an upload being received (gone when it ends, either way)

Each image is stored byte for byte as it arrived, with its SHA-256, its size, the time it
arrived (UTC) and the sender's address as the sender gave it (it must look like an address;
nothing proves it is theirs). Nothing is
decoded: :func:`stegokit.images.inspect` checks the format from the header and structure.

An upload streams into a temporary file in the recipient's folder while its SHA-256 is
computed and its size bounded; then, inside one SQLite write transaction that also checks
the recipient's quota (:class:`Limits`), the file is renamed into place and its row added.
A row therefore always has its file; a failure at any point removes the temporary file.
The index is in WAL mode from its creation (made under a temporary name, then linked into
place) and has a busy timeout, so concurrent uploads (threads or processes), even the first
ones to a new inbox, are each stored or refused whole.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from . import images, userdir
from .errors import InputError, StegokitError

FOLDER_NAME = "inbox"
INDEX_NAME = "index.db"
BUSY_TIMEOUT_S = 30.0
_TEMP_PREFIX = ".incoming-"
_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "BMP": "bmp", "TIFF": "tif", "WEBP": "webp",
               "GIF": "gif"}
#: Longest sender address kept (RFC 5321's path limit); longer ones are refused.
MAX_SENDER = 256

#: Append-only, as the keyring's: step ``i`` takes the schema from version ``i`` to ``i + 1``.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE arrivals (
            id TEXT PRIMARY KEY,
            recipient TEXT NOT NULL COLLATE NOCASE,
            sender TEXT,
            received TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            format TEXT NOT NULL,
            file TEXT NOT NULL)""",
        "CREATE INDEX arrivals_by_recipient ON arrivals (recipient, received)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class TooLarge(InputError):
    """An upload is larger than the inbox accepts for one image."""


class NotAnImage(InputError):
    """An upload is not an image stegokit reads (by content), or a damaged one."""


class InboxFull(StegokitError):
    """The recipient's inbox holds as many images or bytes as it may."""


class InboxDamaged(StegokitError):
    """The inbox index cannot be read or written."""


@dataclass(frozen=True)
class Limits:
    """How much the inbox takes: per image, and per recipient in all."""

    max_image_bytes: int = 50 << 20
    max_files: int = 1000
    max_total_bytes: int = 2 << 30


@dataclass(frozen=True)
class Arrival:
    """One received image. ``sender`` is what the sender claimed, or None."""

    id: str
    recipient: str
    sender: str | None
    received: str
    size: int
    sha256: str
    format: str
    path: Path

    @property
    def file_name(self) -> str:
        """A safe name for a copy: ``<id>.<ext>``."""
        return self.path.name

    def as_dict(self) -> dict:
        """The arrival as JSON-ready data (the stored path is left out)."""
        return {"id": self.id, "recipient": self.recipient, "sender": self.sender,
                "received": self.received, "size": self.size, "sha256": self.sha256,
                "format": self.format, "file_name": self.file_name}


def recipient_folder(recipient: str) -> str:
    """The folder name of a recipient's images: never derived from the address's characters."""
    return hashlib.sha256(recipient.encode("utf-8")).hexdigest()[:24]


def _check_sender(sender: str | None) -> str | None:
    """The sender's address, trimmed, or None; :class:`InputError` if it is no address."""
    if sender is None or not sender.strip():
        return None
    if len(sender) > MAX_SENDER:
        raise InputError(f"the sender's address is longer than {MAX_SENDER} characters")
    from .keyring import check_email

    return check_email(sender)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _private_folder(path: Path) -> Path:
    try:
        path.mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:
        raise StegokitError(f"{path}: cannot create the inbox folder ({exc.strerror})") from None
    if path.is_symlink() or not path.is_dir():
        raise StegokitError(f"{path}: not a folder; refusing to store images there")
    return path


class Upload:
    """An image being received: :meth:`write` its bytes, then :meth:`commit` (or close).

    Made by :meth:`Inbox.receiving`; the temporary file is removed when the upload is
    closed without a commit, whatever the reason.
    """

    def __init__(self, inbox: Inbox, recipient: str, sender: str | None) -> None:
        self._inbox = inbox
        self.recipient = recipient
        self.sender = sender
        self.size = 0
        self._hash = hashlib.sha256()
        self._folder = _private_folder(inbox.root / recipient_folder(recipient))
        fd, temp = _make_temp(self._folder)
        self._temp = Path(temp)
        self._handle = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        """Append bytes; :class:`TooLarge` past the per-image limit."""
        self.size += len(chunk)
        limit = self._inbox.limits.max_image_bytes
        if self.size > limit:
            raise TooLarge(f"the image is larger than this inbox accepts ({limit:,} bytes)")
        self._hash.update(chunk)
        self._handle.write(chunk)

    def commit(self) -> Arrival:
        """Check the image, then store it and its row at once; returns the arrival."""
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        if self.size == 0:
            raise NotAnImage("the upload is empty: not an image")
        try:
            header = images.inspect(self._temp, name="the upload")
        except InputError as exc:
            raise NotAnImage(str(exc)) from None
        arrival_id = secrets.token_hex(12)
        final = self._folder / f"{arrival_id}.{_EXTENSIONS[header.format]}"
        arrival = Arrival(arrival_id, self.recipient, self.sender, _now(), self.size,
                          self._hash.hexdigest(), header.format, final)
        self._inbox._store(arrival, self._temp)
        return arrival

    def close(self) -> None:
        """Drop the temporary file (nothing, after a commit)."""
        self._handle.close()
        self._temp.unlink(missing_ok=True)


def _make_temp(folder: Path) -> tuple[int, str]:
    import tempfile

    try:
        return tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".tmp", dir=folder)
    except OSError as exc:
        raise StegokitError(f"{folder}: cannot store the upload ({exc.strerror})") from None


class Inbox:
    """The inbox folder and its index; every call opens its own connection (thread-safe)."""

    def __init__(self, root: Path, limits: Limits | None = None) -> None:
        self.root = root.resolve()
        self.limits = limits or Limits()
        self._index = root / INDEX_NAME
        with self._connection() as db:
            self._migrate(db)

    @classmethod
    def open(cls, limits: Limits | None = None) -> Inbox:
        """The inbox in the user data folder, created (0700) if needed."""
        return cls(_private_folder(userdir.ensure_data_dir() / FOLDER_NAME), limits)

    @classmethod
    def open_existing(cls) -> Inbox | None:
        """The inbox if one exists (nothing is created), else None."""
        root = userdir.data_dir() / FOLDER_NAME
        return cls(root) if (root / INDEX_NAME).is_file() else None

    def _damaged(self, detail) -> InboxDamaged:
        return InboxDamaged(f"{self._index}: the inbox index is damaged or unreadable "
                            f"({detail}); move the inbox folder aside to start a new one")

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self._index.is_symlink():
            raise InboxDamaged(f"{self._index}: is a symbolic link; refusing to use it")
        if not self._index.exists():
            self._create_index()
        try:
            db = sqlite3.connect(self._index, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._damaged(exc) from None
        try:
            db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            db.execute("PRAGMA journal_mode = WAL")
            yield db
        except sqlite3.Error as exc:
            raise self._damaged(exc) from None
        finally:
            db.close()

    def _create_index(self) -> None:
        """Make the index, already in WAL mode, under a temporary name, then link it into
        place (unless another upload did first). The first uploads to a new inbox often come
        together, and SQLite answers "database is locked", without waiting, to connections
        that race to turn a fresh file into WAL mode."""
        fd, temp = _make_temp(self.root)
        os.close(fd)
        try:
            db = sqlite3.connect(temp, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode = WAL")
                self._migrate(db)
            finally:
                db.close()
            os.link(temp, self._index)
        except FileExistsError:
            pass
        except sqlite3.Error as exc:
            raise self._damaged(exc) from None
        except OSError as exc:
            raise self._damaged(exc.strerror) from None
        finally:
            os.unlink(temp)

    def _migrate(self, db: sqlite3.Connection) -> None:
        (version,) = db.execute("PRAGMA user_version").fetchone()
        if version == SCHEMA_VERSION:
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            (version,) = db.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise InboxDamaged(f"{self._index} was written by a newer stegokit "
                                   f"(schema {version}); upgrade stegokit")
            for step in MIGRATIONS[version:]:
                for statement in step:
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextmanager
    def receiving(self, recipient: str, sender: str | None) -> Iterator[Upload]:
        """An :class:`Upload` for ``recipient`` (the address as the keyring stores it)."""
        upload = Upload(self, recipient, _check_sender(sender))
        try:
            yield upload
        finally:
            upload.close()

    def receive(self, recipient: str, sender: str | None, data: bytes) -> Arrival:
        """Store one whole image (see :meth:`receiving`)."""
        with self.receiving(recipient, sender) as upload:
            upload.write(data)
            return upload.commit()

    def _store(self, arrival: Arrival, temp: Path) -> None:
        """Within one write transaction: check the quota, move the file in, add the row."""
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                count, total = db.execute(
                    "SELECT count(*), coalesce(sum(size), 0) FROM arrivals WHERE recipient = ?",
                    (arrival.recipient,)).fetchone()
                if count >= self.limits.max_files:
                    raise InboxFull(f"the inbox of {arrival.recipient} is full "
                                    f"({count:,} images)")
                if total + arrival.size > self.limits.max_total_bytes:
                    raise InboxFull(f"the inbox of {arrival.recipient} is full "
                                    f"({total:,} bytes stored)")
                os.replace(temp, arrival.path)
                try:
                    db.execute("INSERT INTO arrivals VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                               (arrival.id, arrival.recipient, arrival.sender, arrival.received,
                                arrival.size, arrival.sha256, arrival.format,
                                arrival.path.relative_to(self.root).as_posix()))
                    db.execute("COMMIT")
                except BaseException:
                    arrival.path.unlink(missing_ok=True)
                    raise
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def _arrival(self, row: tuple) -> Arrival:
        arrival_id, recipient, sender, received, size, sha256, fmt, file = row
        if not all(isinstance(v, str) for v in (arrival_id, recipient, received, sha256, fmt,
                                                file)) or not isinstance(size, int):
            raise self._damaged(f"a row of wrong types ({arrival_id!r})")
        path = (self.root / file).resolve()
        if path.parent.parent != self.root:
            raise self._damaged(f"the arrival {arrival_id} points outside the inbox")
        return Arrival(arrival_id, recipient, sender, received, size, sha256, fmt, path)

    def arrivals(self, recipient: str) -> list[Arrival]:
        """What arrived for ``recipient``, oldest first."""
        with self._connection() as db:
            rows = db.execute("SELECT * FROM arrivals WHERE recipient = ? "
                              "ORDER BY received, rowid", (recipient,)).fetchall()
        return [self._arrival(row) for row in rows]

    def find(self, arrival_id: str) -> Arrival | None:
        """The arrival with this id, whoever it was sent to, or None."""
        with self._connection() as db:
            row = db.execute("SELECT * FROM arrivals WHERE id = ?", (arrival_id,)).fetchone()
        return self._arrival(row) if row else None

    def read(self, arrival: Arrival) -> bytes:
        """The stored bytes; :class:`InboxDamaged` if they are gone or no longer match."""
        try:
            data = arrival.path.read_bytes()
        except OSError as exc:
            raise self._damaged(f"{arrival.path}: {exc.strerror}") from None
        if hashlib.sha256(data).hexdigest() != arrival.sha256:
            raise InboxDamaged(f"{arrival.path}: the stored image no longer matches its "
                               "SHA-256; it was changed on disk")
        return data

    def remove(self, arrival: Arrival) -> None:
        """Delete an arrival: its row, then its file."""
        with self._connection() as db:
            db.execute("DELETE FROM arrivals WHERE id = ?", (arrival.id,))
        arrival.path.unlink(missing_ok=True)
