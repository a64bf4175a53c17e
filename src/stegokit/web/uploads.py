"""Forms and uploads: streamed to files in a private folder that is removed after the request.

:func:`workspace` makes a folder for one request under the stegokit data folder
(``web-tmp/``, mode 0700) and removes it, whatever happens; :func:`read_form` streams the
request body into it, file by file, and refuses a body over the size limit (413) while
reading it, before the whole is received. Nothing of an upload is held in memory or written
elsewhere (no spooling to the system's temporary folder).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import unicodedata
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

from .. import userdir
from .refusals import Refused

TEMP_FOLDER = "web-tmp"
#: Default for the most bytes one request may send (uploads and fields together).
MAX_REQUEST_BYTES = 64 * 1024 * 1024
#: The most bytes of a form without files (sign-in, contacts...).
MAX_PLAIN_FORM_BYTES = 1024 * 1024
MAX_FIELDS = 32
MAX_FILES = 4
MAX_FIELD_BYTES = 1024 * 1024
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f-\x9f]')


def safe_filename(name: str | None, fallback: str = "file") -> str:
    """A file name safe to write or offer for download: the last path component, no
    control, reserved or path characters, no leading dots, at most 100 characters (the
    extension kept); ``fallback`` when nothing is left."""
    if not name:
        return fallback
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base)
                   if unicodedata.category(c)[0] != "C")
    base = _UNSAFE.sub("_", base).strip().lstrip(".").strip()
    if len(base) > 100:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 99 - len(ext)] + "." + ext) if dot and len(ext) <= 10 else base[:100]
    return base or fallback


@dataclass(frozen=True)
class Upload:
    """An uploaded file: where it lies now, its safe name, its size in bytes."""

    path: Path
    filename: str
    size: int


@dataclass
class Form:
    """The fields (text) and files of a submitted form."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        """The first value of a text field (``default`` if absent)."""
        values = self.fields.get(name)
        return values[0] if values else default

    def file(self, name: str) -> Upload | None:
        """An uploaded file, or None if none was chosen."""
        return self.files.get(name)


def temp_root() -> Path:
    """The folder that holds the requests' workspaces (created 0700 if missing)."""
    root = userdir.ensure_data_dir() / TEMP_FOLDER
    root.mkdir(mode=0o700, exist_ok=True)
    return root


def sweep(max_age_s: float = 3600.0) -> int:
    """Remove workspaces older than ``max_age_s`` (left by a server that was killed);
    returns how many. Another server's current work on the same data folder is younger."""
    import time

    root = userdir.data_dir() / TEMP_FOLDER
    if not root.is_dir():
        return 0
    removed = 0
    for folder in root.iterdir():
        try:
            if time.time() - folder.lstat().st_mtime <= max_age_s:
                continue
            if folder.is_dir() and not folder.is_symlink():
                shutil.rmtree(folder)
            else:
                folder.unlink()
        except OSError:
            continue
        removed += 1
    return removed


@asynccontextmanager
async def workspace() -> AsyncIterator[Path]:
    """A private folder for one request's uploads and outputs, removed at the end."""
    folder = temp_root() / secrets.token_hex(8)
    folder.mkdir(mode=0o700)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _too_large(limit: int) -> Refused:
    return Refused(413, f"the upload is too large: this server takes at most {limit:,} bytes "
                        "per request")


async def _body(request, limit: int) -> AsyncIterator[bytes]:
    """The request body in chunks; :class:`Refused` (413) past ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise _too_large(limit)
        yield chunk


async def read_form(request, folder: Path | None = None, *,
                    max_bytes: int = MAX_REQUEST_BYTES) -> Form:
    """Parse a submitted form; files are streamed into ``folder`` (one sub-folder per field).

    URL-encoded forms take no files and at most :data:`MAX_PLAIN_FORM_BYTES`. Refused
    (:class:`Refused`): a body over ``max_bytes`` (413), another content type (415), a
    malformed body, too many fields or files, a field over :data:`MAX_FIELD_BYTES` (400).
    """
    from python_multipart.multipart import parse_options_header

    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind == b"application/x-www-form-urlencoded":
        raw = b"".join([chunk async for chunk in _body(request, MAX_PLAIN_FORM_BYTES)])
        form = Form()
        try:
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True,
                              max_num_fields=MAX_FIELDS)
        except (UnicodeDecodeError, ValueError):
            raise Refused(400, "the form is malformed or has too many fields") from None
        for name, value in pairs:
            form.fields.setdefault(name, []).append(value)
        return form
    if kind != b"multipart/form-data" or folder is None:
        raise Refused(415, "send this form as multipart/form-data (a file upload form)"
                      if folder is not None else
                      "send this form as application/x-www-form-urlencoded")
    boundary = options.get(b"boundary")
    if not boundary:
        raise Refused(400, "the form is malformed (no multipart boundary)")
    parser = _MultipartReader(folder, boundary)
    async for chunk in _body(request, max_bytes):
        parser.feed(chunk)
    return parser.finish()


class _MultipartReader:
    """Feeds python-multipart's streaming parser; writes file parts straight to disk."""

    def __init__(self, folder: Path, boundary: bytes) -> None:
        from python_multipart.multipart import MultipartParser

        self.folder = folder
        self.form = Form()
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._name = ""
        self._data = bytearray()
        self._file = None
        self._upload: tuple[Path, str] | None = None
        self._size = 0
        self._fields = 0
        self._parser = MultipartParser(boundary, {
            "on_part_begin": self._begin,
            "on_part_data": self._part_data,
            "on_part_end": self._end,
            "on_header_field": self._field,
            "on_header_value": self._value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done,
        })

    def feed(self, chunk: bytes) -> None:
        from python_multipart.exceptions import FormParserError

        try:
            self._parser.write(chunk)
        except FormParserError:
            self._close()
            raise Refused(400, "the form is malformed (a broken multipart body)") from None
        except BaseException:
            self._close()
            raise

    def finish(self) -> Form:
        from python_multipart.exceptions import FormParserError

        try:
            self._parser.finalize()
        except FormParserError:
            raise Refused(400, "the form is malformed (a broken multipart body)") from None
        finally:
            self._close()
        return self.form

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _begin(self) -> None:
        self._disposition, self._data, self._size = b"", bytearray(), 0

    def _field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name, self._header_value = b"", b""

    def _headers_done(self) -> None:
        from python_multipart.multipart import parse_options_header

        _, options = parse_options_header(self._disposition)
        if b"name" not in options:
            raise Refused(400, "the form is malformed (a part without a name)")
        self._name = options[b"name"].decode("utf-8", "replace")
        self._fields += 1
        if self._fields > MAX_FIELDS:
            raise Refused(400, f"the form has more than {MAX_FIELDS} fields")
        self._upload = None
        if b"filename" in options:
            raw = options[b"filename"].decode("utf-8", "replace")
            if not raw:  # a file input left empty
                self._upload = (Path(os.devnull), "")
                return
            if (len(self.form.files) >= MAX_FILES or self._name in self.form.files
                    or not re.fullmatch(r"[\w-]{1,40}", self._name)):
                raise Refused(400, f"the form sends more than {MAX_FILES} files, one field "
                              "twice, or a bad field name")
            where = self.folder / self._name
            where.mkdir(mode=0o700, exist_ok=True)
            name = safe_filename(raw, "upload")
            path = where / name
            self._file = open(path, "xb")  # noqa: SIM115 (closed in _end or _close)
            self._upload = (path, name)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        piece = data[start:end]
        if self._upload is not None:
            self._size += len(piece)
            if self._file is not None:
                self._file.write(piece)
            return
        if len(self._data) + len(piece) > MAX_FIELD_BYTES:
            raise Refused(413, f"a form field is over {MAX_FIELD_BYTES:,} bytes")
        self._data += piece

    def _end(self) -> None:
        if self._upload is None:
            text = bytes(self._data).decode("utf-8", "replace")
            self.form.fields.setdefault(self._name, []).append(text)
            return
        self._close()
        path, name = self._upload
        if name and self._name not in self.form.files:
            self.form.files[self._name] = Upload(path, name, self._size)
