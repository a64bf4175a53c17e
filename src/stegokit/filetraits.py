"""File-level traits of an image file: what its bytes say about the program that wrote it.

Stego tools leave marks outside the pixels: a text chunk naming the tool, an unusual zlib
level, the IDAT chunk size of the library they save with, private chunks, or a whole file
appended after the image's end. This module reads them from the raw bytes with ``struct`` and
``zlib`` only (no Pillow): PNG chunks in full; for JPEG, comments and data after the end.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import asdict, dataclass

__all__ = ["FileTraits", "inspect_file"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SOI = b"\xff\xd8"

#: Chunk types of the PNG 1.2 / 3rd edition specification (anything else is private).
STANDARD_CHUNKS = frozenset(
    {"IHDR", "PLTE", "IDAT", "IEND", "tRNS", "cHRM", "gAMA", "iCCP", "sBIT", "sRGB", "cICP"}
    | {"mDCv", "cLLi", "tEXt", "zTXt", "iTXt", "bKGD", "hIST", "pHYs", "sPLT", "eXIf", "tIME"}
    | {"acTL", "fcTL", "fdAT"}
)

#: Text that names a steganography tool, in a text chunk's key or value.
TOOL_PATTERN = re.compile(r"steg|silent ?eye|openpuff|hidden ?data", re.IGNORECASE)

#: The zlib FLEVEL field (bits 6-7 of the FLG byte) and the deflate levels it stands for.
ZLIB_LEVELS = ("fastest (level 0-1)", "fast (level 2-5)", "default (level 6)", "maximum (7-9)")

#: IDAT chunk sizes that identify the writing library.
IDAT_WRITERS = {65536: "Pillow (Python)", 8192: "libpng (default buffer)"}

#: Leading bytes of data that is often appended to an image to hide it.
APPENDED_KINDS = (
    (b"PK\x03\x04", "ZIP archive"),
    (b"Rar!", "RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"%PDF", "PDF document"),
    (b"-----BEGIN PGP", "PGP armoured message"),
    (PNG_SIGNATURE, "PNG image"),
    (JPEG_SOI, "JPEG image"),
)

_TEXT_LIMIT = 65536  # decompress at most this much of a zTXt/iTXt chunk


@dataclass(frozen=True)
class FileTraits:
    """What :func:`inspect_file` found.

    Attributes
    ----------
    format : str
        "png", "jpeg" or "unknown".
    chunks : tuple of str
        PNG chunk types in file order, consecutive IDATs counted as one entry "IDAT x n";
        JPEG marker names; empty otherwise.
    text : tuple of (str, str)
        Text metadata: PNG tEXt/zTXt/iTXt (key, value) pairs, JPEG comments as ("COM", text).
    zlib_level : str or None
        The compression level class written in the first IDAT's zlib header.
    idat_size : int or None
        Size of the first IDAT chunk, which the writing library's buffer sets.
    trailing_bytes : int
        Bytes after the end of the image (PNG IEND, JPEG EOI).
    findings : tuple of str
        One sentence per trait a person should look at, most telling first.
    """

    format: str
    chunks: tuple[str, ...] = ()
    text: tuple[tuple[str, str], ...] = ()
    zlib_level: str | None = None
    idat_size: int | None = None
    trailing_bytes: int = 0
    findings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """Plain JSON-ready dict; ``text`` becomes a list of {"key", "value"} objects."""
        data = asdict(self)
        data["chunks"] = list(self.chunks)
        data["text"] = [{"key": key, "value": value} for key, value in self.text]
        data["findings"] = list(self.findings)
        return data


def inspect_file(data: bytes | bytearray | memoryview) -> FileTraits:
    """Read the file-level traits of an image file's bytes.

    Parameters
    ----------
    data : bytes-like
        The whole file, as read from disk. Not modified.

    Returns
    -------
    FileTraits
        Never raises on malformed input: damage (a truncated chunk, a bad CRC) is a finding.
    """
    data = bytes(data)
    if data.startswith(PNG_SIGNATURE):
        return _inspect_png(data)
    if data.startswith(JPEG_SOI):
        return _inspect_jpeg(data)
    return FileTraits(format="unknown", findings=("not a PNG or JPEG file: no checks made",))


# --------------------------------------------------------------------------- PNG


@dataclass(frozen=True)
class _Chunk:
    kind: str
    body: bytes
    crc_ok: bool


def _png_chunks(data: bytes) -> tuple[list[_Chunk], int, bool]:
    """The chunks up to IEND, the offset just after IEND (or where reading stopped), complete?"""
    chunks: list[_Chunk] = []
    pos = len(PNG_SIGNATURE)
    while pos + 12 <= len(data):
        length, raw_kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data):
            break
        body = data[pos + 8 : end - 4]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        kind = raw_kind.decode("latin-1")
        chunks.append(_Chunk(kind, body, zlib.crc32(raw_kind + body) == crc))
        pos = end
        if kind == "IEND":
            return chunks, pos, True
    return chunks, pos, False


def _decompress(body: bytes) -> str:
    try:
        raw = zlib.decompressobj().decompress(body, _TEXT_LIMIT)
    except zlib.error:
        return "<undecodable compressed text>"
    return raw.decode("utf-8", errors="replace")


def _text_entry(chunk: _Chunk) -> tuple[str, str]:
    key, _, rest = chunk.body.partition(b"\0")
    name = key.decode("latin-1")
    if chunk.kind == "tEXt":
        return name, rest.decode("latin-1")
    if chunk.kind == "zTXt":
        return name, _decompress(rest[1:])
    compressed = rest[:1] == b"\x01"
    _language, _, rest = rest[2:].partition(b"\0")
    _translated, _, text = rest.partition(b"\0")
    return name, _decompress(text) if compressed else text.decode("utf-8", errors="replace")


def _chunk_list(chunks: list[_Chunk]) -> tuple[str, ...]:
    """Chunk types in order, runs of the same type collapsed to "TYPE x n"."""
    runs: list[list] = []
    for chunk in chunks:
        if runs and runs[-1][0] == chunk.kind:
            runs[-1][1] += 1
        else:
            runs.append([chunk.kind, 1])
    return tuple(kind if n == 1 else f"{kind} x {n}" for kind, n in runs)


def _zlib_level(idat: bytes) -> str | None:
    if len(idat) < 2 or idat[0] & 0x0F != 8 or (idat[0] * 256 + idat[1]) % 31:
        return None
    return ZLIB_LEVELS[idat[1] >> 6]


def _inspect_png(data: bytes) -> FileTraits:
    chunks, end, complete = _png_chunks(data)
    text = tuple(_text_entry(c) for c in chunks if c.kind in ("tEXt", "zTXt", "iTXt"))
    idats = [c for c in chunks if c.kind == "IDAT"]
    level = _zlib_level(idats[0].body) if idats else None
    idat_size = len(idats[0].body) if len(idats) > 1 else None
    trailing = len(data) - end if complete else 0
    findings = [
        *_png_damage(chunks, complete),
        *_trailing_findings(data[end:] if complete else b""),
        *_text_findings(text),
        *_private_chunk_findings(chunks),
        *_writer_findings(level, idat_size),
    ]
    return FileTraits(
        format="png",
        chunks=_chunk_list(chunks),
        text=text,
        zlib_level=level,
        idat_size=idat_size,
        trailing_bytes=trailing,
        findings=tuple(findings),
    )


def _png_damage(chunks: list[_Chunk], complete: bool) -> list[str]:
    findings = [] if complete else ["the file ends before its IEND chunk (truncated or damaged)"]
    bad = sorted({c.kind for c in chunks if not c.crc_ok})
    if bad:
        findings.append(f"chunks with a wrong CRC (edited after writing?): {', '.join(bad)}")
    return findings


def _private_chunk_findings(chunks: list[_Chunk]) -> list[str]:
    private = [c for c in chunks if c.kind not in STANDARD_CHUNKS]
    return [
        f"non-standard chunk {c.kind!r} of {len(c.body)} bytes: may carry hidden data"
        for c in private
    ]


def _writer_findings(level: str | None, idat_size: int | None) -> list[str]:
    findings = []
    if level is not None and level.startswith("fastest"):
        findings.append(
            "IDAT compressed at the fastest zlib level: unusual for image editors (6 or 9); "
            "stego-lsb's command line and stegokit save PNGs at level 1"
        )
    if idat_size in IDAT_WRITERS:
        findings.append(
            f"IDAT split into {idat_size}-byte chunks: written by {IDAT_WRITERS[idat_size]}, "
            "as most Python stego tools are"
        )
    return findings


# --------------------------------------------------------------------------- shared


#: Text keys worth showing even when they name no stego tool.
_SHOWN_KEYS = ("Software", "COM")


def _text_findings(text: tuple[tuple[str, str], ...]) -> list[str]:
    tools, shown = [], []
    for key, value in text:
        if TOOL_PATTERN.search(key) or TOOL_PATTERN.search(value):
            tools.append(f"text {key!r} names a steganography tool: {value[:80]!r}")
        elif key in _SHOWN_KEYS:
            shown.append(f"text {key!r}: {value[:80]!r}")
    return tools + shown


def _appended_kind(tail: bytes) -> str:
    for magic, kind in APPENDED_KINDS:
        if tail.startswith(magic):
            return kind
    if tail.strip(b"\0") == b"":
        return "zero padding"
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in tail[:256])
    return "text" if printable == len(tail[:256]) else "unrecognised binary data"


def _trailing_findings(tail: bytes) -> list[str]:
    if not tail:
        return []
    kind = _appended_kind(tail)
    return [f"{len(tail)} bytes after the end of the image ({kind}): appended hidden data?"]


# --------------------------------------------------------------------------- JPEG

_JPEG_NAMES = {
    0xC0: "SOF0",
    0xC2: "SOF2",
    0xC4: "DHT",
    0xDB: "DQT",
    0xDD: "DRI",
    0xDA: "SOS",
    0xFE: "COM",
}


def _marker_name(marker: int) -> str:
    if 0xE0 <= marker <= 0xEF:
        return f"APP{marker - 0xE0}"
    return _JPEG_NAMES.get(marker, f"0x{marker:02X}")


def _jpeg_end(data: bytes, pos: int) -> int | None:
    """Offset just after EOI: the first FFD9 after the first scan (stuffed scan data has none)."""
    eoi = data.find(b"\xff\xd9", pos)
    return None if eoi < 0 else eoi + 2


def _inspect_jpeg(data: bytes) -> FileTraits:
    markers: list[str] = []
    comments: list[tuple[str, str]] = []
    pos = len(JPEG_SOI)
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        markers.append(_marker_name(marker))
        if marker == 0xFE:
            comments.append(("COM", data[pos + 4 : pos + 2 + length].decode("latin-1")))
        pos += 2 + length
        if marker == 0xDA:
            break
    end = _jpeg_end(data, pos)
    text = tuple(comments)
    if end is None:
        damage = ["the file ends before its EOI marker (truncated or damaged)"]
        end = len(data)
    else:
        damage, markers = [], [*markers, "EOI"]
    findings = [*damage, *_trailing_findings(data[end:]), *_text_findings(text)]
    return FileTraits(
        format="jpeg",
        chunks=tuple(markers),
        text=text,
        trailing_bytes=len(data) - end,
        findings=tuple(findings),
    )
