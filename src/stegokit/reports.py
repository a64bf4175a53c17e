"""The JSON form of every command's result: one schema for ``--json`` and ``stegokit batch``.

:data:`SCHEMA` names every key any ``--json`` document may hold, with its JSON type and
meaning (docs/cli.md shows the same table); a failure is ``{"error": ERROR}`` with the keys
of :data:`ERROR_SCHEMA`. The builders below make the documents of the commands that hide and
recover data; the batch runner writes the same keys into each line of its report.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import InputError, StegokitError

if TYPE_CHECKING:
    from .analysis import Report
    from .api import CapacityReport, EmbedResult, Extraction
    from .container import Payload
    from .exchange import Delivery
    from .filetraits import FileTraits
    from .imageapi import HideResult, RevealResult
    from .images import Picture
    from .inbox import Arrival
    from .keyless import Found
    from .progress import Progress

#: Every key of a ``--json`` document: ``key -> (JSON types, meaning)``. Types are JSON's
#: (string, integer, number, boolean, array, object, null) joined by ``|``. A key that
#: does not apply to a result is there with ``null``, never left out or set to 0.
SCHEMA: dict[str, tuple[str, str]] = {
    # hiding and recovering (embed-text, extract-text, hide-image, reveal-image, batch)
    "output": ("string|null", "the file written (null: nothing was written)"),
    "method": ("string", "the codec: lsb or neural; in history also image-MODE (hide-image)"),
    "mode": ("string", "the hide-image layout: lossless, nibble or planes"),
    "requested_mode": ("string", "hide-image's --mode as given (auto, lossless, nibble, planes)"),
    "bits": ("integer|null", "low bits per value written (1-4); null for the neural codec"),
    "k": ("integer|null", "planes: the secret's top bit planes kept; null for other modes"),
    "packed": ("boolean", "hide-image: the secret travels as an image file, not a fixed-rate "
               "stream"),
    "encrypted": ("boolean", "sealed with a passphrase or to a recipient's key"),
    "kind": ("string", "the payload: text, file or image"),
    "payload_bytes": ("integer", "the payload's own size in bytes (before compression and "
                      "encryption)"),
    "stored_bytes": ("integer", "bytes stored in the image: the container after compression "
                     "and encryption, or the neural codec's message"),
    "capacity": ("integer", "the most bytes the cover holds with this method and bit depth"),
    "changed": ("integer", "colour values the hiding modified"),
    "rate": ("number|null", "embed-text: container bits per value (null for the neural "
             "codec); analyze: the estimated embedding rate, bits per value"),
    "psnr": ("number|null", "stego image against the cover, dB (null: identical)"),
    "cover_psnr": ("number|null", "hide-image: stego image against the cover, dB (null: "
                   "identical)"),
    "secret_psnr": ("number|null", "hide-image: the revealed secret against the original, dB "
                    "(null: exact)"),
    "exact": ("boolean", "the recovered data is identical to what was hidden"),
    "secret_width": ("integer", "the hidden image's width in pixels"),
    "secret_height": ("integer", "the hidden image's height in pixels"),
    "secret_image_mode": ("string", "the hidden image's colour mode (L, LA, RGB, RGBA)"),
    "secret_format": ("string|null", "the file format the hidden image travels in (PNG, "
                      "WEBP); null when it travels as raw bit planes"),
    "resized_from": ("array|null", "hide-image --resize: the secret's [width, height] before "
                     "it was scaled down; null when it was not"),
    "removed_metadata": ("array", "what was left out of the cover's metadata (GPS position, "
                         "serial numbers...)"),
    "text": ("string|null", "the hidden text (null: the payload is not text)"),
    "name": ("string|null", "a file payload's stored name; a user's or contact's name"),
    "notices": ("array", "what loading the image changed (16-bit values cut to 8...) and "
                "other notices the command prints on stderr"),
    # capacity and analyze
    "width": ("integer", "the examined image's width in pixels"),
    "height": ("integer", "the examined image's height in pixels"),
    "image_mode": ("string", "the examined image's colour mode (L, LA, RGB, RGBA)"),
    "lsb": ("object", "capacity: bits (\"1\"..\"4\") -> exact payload bytes, plain"),
    "lsb_encrypted": ("object", "capacity: bits -> exact payload bytes, encrypted"),
    "neural": ("integer", "capacity: bytes of text the neural codec carries (0: the image is "
               "under 128 px; it has no encrypted form)"),
    "hide_image": ("object", "capacity: the largest secret image per hide-image mode, plain "
                   "and encrypted"),
    "verdict": ("string", "analyze: clean, suspicious or likely stego"),
    "channels": ("array", "analyze: the channel names"),
    "rs": ("array", "analyze: RS estimate per channel"),
    "spa": ("array", "analyze: SPA estimate per channel"),
    "chi_square": ("object", "analyze: chi-square p-values and the sequential-run figures"),
    "reasons": ("array", "analyze: one sentence per finding behind the verdict"),
    "file": ("object", "analyze: the file's traits (format, chunks, text, findings...)"),
    "stegokit_container": ("string|null", "analyze: a sentence when a plain stegokit message "
                           "is readable without a key"),
    "readable_payload": ("object|null", "analyze: the stegokit data anyone can read without a "
                         "key (what extract-text or reveal-image would find); null: none"),
    "plane_correlation": ("array", "analyze: how much neighbouring values agree in bit planes "
                          "0-4 (near 0: the plane looks random)"),
    "random_planes": ("integer", "analyze: 4 when the low four bit planes look like random "
                      "data written over a photo, else 0"),
    # the keyring (user, contact, history)
    "email": ("string", "a user's or contact's e-mail address"),
    "public_key": ("string|null", "the one-line public key (null: the stored key fails its "
                   "check)"),
    "default": ("boolean", "this user is the logged-in (default) one"),
    "smtp": ("boolean", "this user has an SMTP account"),
    "created": ("string", "when the user or contact was added (ISO 8601, UTC)"),
    "users": ("array", "user list: the users, each with name, email, public_key, default, "
              "smtp, created"),
    "contacts": ("array", "contact list: the contacts, each with name, email, public_key, "
                 "created"),
    "removed": ("boolean", "the user, contact or SMTP account was deleted"),
    "user": ("string|null", "the local user's e-mail (null: nobody was logged in)"),
    "history": ("array", "history: the embeds, each with time, method, recipient, output, "
                "sha256"),
    "time": ("string", "history: when the embed was made (ISO 8601, UTC)"),
    "recipient": ("string|null", "history: the --to address (null: none); inbox: the user "
                  "the image was sent to"),
    "sha256": ("string", "the SHA-256 of the file, hex (history: the file written; send and "
               "inbox: the image delivered, as the server stored it)"),
    "host": ("string", "the SMTP server's host name"),
    "port": ("integer", "the SMTP server's port"),
    "security": ("string|null", "the SMTP connection: starttls, ssl or none (null: mail "
                 "--eml sent nothing)"),
    "username": ("string|null", "the SMTP login (null: none)"),
    "password_stored": ("boolean", "the SMTP password is stored, sealed to the user's key"),
    # mail
    "sender": ("string|null", "mail: the From address; send, inbox: the sender's address "
               "as given (null: none given)"),
    "to": ("array", "mail, send: the recipients' addresses"),
    "subject": ("string", "mail: the subject line"),
    "attachment": ("string", "mail: the attached file's name"),
    "attachment_bytes": ("integer", "mail: the attached file's size in bytes"),
    "message_id": ("string", "mail: the Message-ID header"),
    "sent": ("boolean", "mail: the message was handed to the SMTP server (false: --eml)"),
    "server": ("string|null", "mail: host:port it was sent through (null: --eml); send: the "
               "server's URL"),
    # send, inbox and serve (the client-server exchange, docs/exchange.md)
    "id": ("string", "send, inbox: the receiving server's id for the image"),
    "received": ("string", "send, inbox: when the server stored the image (ISO 8601, UTC)"),
    "file_bytes": ("integer", "send, inbox: the image file's size in bytes"),
    "format": ("string", "inbox: the image file's format (PNG, JPEG, ...)"),
    "arrivals": ("array", "inbox: the images that arrived, each with id, recipient, sender, "
                 "received, file_bytes, sha256, format, output"),
    "url": ("string", "serve: the address the web page is served on"),
    "tls": ("boolean", "serve: HTTPS (--tls-cert and --tls-key)"),
    # demo
    "cover": ("string", "demo: the bundled cover's file name"),
    "round_trips": ("array", "demo: one record per round trip (method, bits, encrypted, "
                    "output, psnr, exact)"),
    "wrong_passphrase_refused": ("boolean", "demo: a wrong passphrase was refused"),
    # batch (each report line; the last one is the summary)
    "task": ("string", "batch: embed, extract or analyze"),
    "job": ("string", "batch: the key a rerun matches to skip a finished file"),
    "input": ("string", "batch: the input file; send: the image file sent"),
    "status": ("string", "batch: done, failed, skipped; summary on the last line"),
    "error": ("object|null", "a failure: {code, kind, message} (null: none)"),
    "seconds": ("number|null", "batch: wall-clock seconds (one file, or the whole run; null: "
                "the file never ran)"),
    "worker": ("string|null", "batch: host:pid of the worker process (null: none ran it)"),
    "done": ("integer", "batch summary: files done"),
    "skipped": ("integer", "batch summary: files already done by an earlier run"),
    "failed": ("integer", "batch summary: files that failed"),
    "total": ("integer", "batch summary: files in the run"),
    "images_per_second": ("number|null", "batch summary: the processing rate"),
    "report": ("string", "batch summary: the JSON-lines report's path"),
}

#: Keys whose value is a list of records that follow :data:`SCHEMA` themselves.
RECORD_LISTS = ("users", "contacts", "history", "round_trips", "arrivals")

#: The ``error`` object printed (as ``{"error": ...}``) when a command fails under ``--json``.
ERROR_SCHEMA: dict[str, tuple[str, str]] = {
    "code": ("integer", "the exit code: 1 error, 2 usage, 3 no hidden message, 4 "
             "authentication failed, 130 interrupted"),
    "kind": ("string", "what failed, one word: input, output, output_exists, capacity, format, "
             "no_payload, authentication, mail, model, keyring_damaged, usage, aborted, "
             "interrupted, internal"),
    "message": ("string", "the line printed on stderr after \"stegokit: error:\""),
}


def error_kind(exc: BaseException) -> str:
    """The ``kind`` of an error, from its class: NoPayloadError -> ``no_payload``."""
    name = type(exc).__name__.removesuffix("Error")
    if not isinstance(exc, StegokitError) or name == "Stegokit":
        return "error" if isinstance(exc, StegokitError) else "internal"
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def error_object(code: int, kind: str, message: str) -> dict:
    """The ``error`` object of :data:`ERROR_SCHEMA`."""
    return {"code": int(code), "kind": kind, "message": message}


def embed_report(result: EmbedResult, payload: Payload, output: str | os.PathLike,
                 removed: tuple[str, ...] | list[str] = ()) -> dict:
    """What ``embed-text --json`` prints for ``payload`` hidden by ``result`` in ``output``;
    ``removed`` names the metadata that saving left out."""
    lsb = result.method == "lsb"
    return {
        "output": os.fspath(output),
        "method": result.method,
        "bits": result.bits if lsb else None,
        "encrypted": result.encrypted,
        "kind": payload.kind,
        "payload_bytes": len(payload.data),
        "stored_bytes": result.stored_bytes,
        "capacity": result.capacity,
        "changed": result.changed,
        "rate": result.rate if lsb else None,
        "psnr": result.psnr,
        "removed_metadata": list(removed),
        "notices": list(result.notices),
    }


def extract_report(found: Extraction, output: str | os.PathLike | None = None) -> dict:
    """What ``extract-text --json`` prints; ``output`` is where the payload was written."""
    payload = found.payload
    return {"method": found.method, "bits": found.bits if found.method == "lsb" else None,
            "encrypted": found.encrypted, "kind": payload.kind,
            "payload_bytes": len(payload.data),
            "text": payload.text if payload.kind == "text" else None,
            "name": payload.name or None,
            "output": None if output is None else os.fspath(output),
            "notices": list(found.notices)}


def hide_report(result: HideResult, requested_mode: str, output: str | os.PathLike,
                removed: tuple[str, ...] | list[str] = ()) -> dict:
    """What ``hide-image --json`` prints."""
    width, height = result.secret_size
    return {
        "output": os.fspath(output),
        "mode": result.mode,
        "requested_mode": requested_mode,
        "bits": result.bits,
        "k": result.k,
        "packed": result.packed,
        "encrypted": result.encrypted,
        "cover_psnr": result.cover_psnr,
        "secret_psnr": result.secret_psnr,
        "exact": result.exact,
        "secret_width": width,
        "secret_height": height,
        "secret_image_mode": result.secret_mode,
        "secret_format": result.secret_format,
        "stored_bytes": result.stored_bytes,
        "changed": result.changed,
        "resized_from": list(result.resized_from) if result.resized_from else None,
        "removed_metadata": list(removed),
        "notices": list(result.notices),
    }


def reveal_report(found: RevealResult, output: str | os.PathLike) -> dict:
    """What ``reveal-image --json`` prints."""
    height, width = found.pixels.shape[:2]
    return {"output": os.fspath(output), "mode": found.mode, "bits": found.bits, "k": found.k,
            "encrypted": found.encrypted, "exact": found.exact, "secret_width": width,
            "secret_height": height, "secret_image_mode": found.picture.mode,
            "secret_format": found.data_format, "name": found.name or None}


def delivery_report(delivery: Delivery, stego: str | os.PathLike, sender: str | None) -> dict:
    """What ``send --json`` prints."""
    return {"input": os.fspath(stego), "server": delivery.server, "to": [delivery.recipient],
            "sender": sender, "id": delivery.id, "file_bytes": delivery.size,
            "sha256": delivery.sha256, "received": delivery.received}


def arrival_report(arrival: Arrival, output: str | os.PathLike | None) -> dict:
    """One of ``inbox --json``'s ``arrivals``; ``output``: where ``-o`` wrote it."""
    return {"id": arrival.id, "recipient": arrival.recipient, "sender": arrival.sender,
            "received": arrival.received, "file_bytes": arrival.size,
            "sha256": arrival.sha256, "format": arrival.format,
            "output": None if output is None else os.fspath(output)}


def capacity_report(report: CapacityReport) -> dict:
    """What ``capacity --json`` prints."""
    return {"width": report.width, "height": report.height, "image_mode": report.mode,
            "lsb": {str(bits): n for bits, n in report.lsb.items()},
            "lsb_encrypted": {str(bits): n for bits, n in report.lsb_encrypted.items()},
            "neural": report.neural, "hide_image": report.image}


@dataclass(frozen=True)
class Examination:
    """What ``analyze`` finds in one image file: the statistics (with the verdict, raised
    when a payload is readable without a key), the file's traits, and that payload."""

    picture: Picture
    report: Report
    traits: FileTraits
    readable: Found | None

    @property
    def container(self) -> str | None:
        """The sentence saying what stegokit data is readable without a key, or None."""
        return self.readable.sentence() if self.readable else None

    def to_dict(self) -> dict:
        """What ``analyze --json`` prints."""
        return {**self.report.to_dict(), "file": self.traits.to_dict(),
                "stegokit_container": self.container,
                "readable_payload": self.readable.to_dict() if self.readable else None,
                "notices": list(self.picture.notices)}


def examine(path: str | os.PathLike, progress: Progress | None = None) -> Examination:
    """Run the steganalysis of ``analyze`` on an image file; ``progress`` hears of the
    stages (:mod:`stegokit.progress`).

    Raises InputError for an unreadable image or one under 4×4 pixels.
    """
    from pathlib import Path

    from . import analysis, filetraits, images, keyless
    from .progress import stage

    stage(progress, "Reading the image")
    picture = images.load(path)
    if min(picture.pixels.shape[:2]) < 4:
        raise InputError(f"{os.fspath(path)}: too small to analyse (at least 4×4 pixels)")
    report = analysis.analyze(picture.pixels, progress=progress)
    stage(progress, "Looking for stegokit data")
    readable = keyless.find(picture.pixels)
    if readable is not None:
        report = report.with_finding(readable.sentence(), "likely stego")
    else:
        report = report.noting(keyless.UNSEEN)
    return Examination(picture, report, filetraits.inspect_file(Path(path).read_bytes()),
                       readable)
