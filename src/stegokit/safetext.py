"""Text that is safe to show on a terminal: control characters made visible.

A terminal obeys escape sequences in what it prints: ESC (C0) and CSI U+009B (C1) start
sequences that set the window title, write the clipboard (OSC 52), clear the screen or move
the cursor; CR and BS overwrite what was printed. Hidden text, names stored in payloads or in
the keyring, and servers' error messages come from others, so every such string goes through
:func:`escape_controls` before it is printed: each C0 control (U+0000-U+001F), DEL (U+007F)
and C1 control (U+0080-U+009F) becomes a visible escape, ``\\x1b`` for C0 and DEL, ``\\u009b``
for C1. Newline and tab are kept in multi-line text (hidden messages) and escaped in one-line
text (names, error lines).

Unicode's explicit bidirectional controls (embeddings and overrides U+202A-U+202E, isolates
U+2066-U+2069) are escaped too, in every mode: printed raw they reorder what follows them on
the line, so that ``report\\u202egpj.exe`` shows as ``reportexe.jpg`` (the "Trojan Source"
trick, CVE-2021-42574). The implicit marks (U+200E, U+200F, U+061C) that right-to-left text
uses are kept.
"""

from __future__ import annotations

import re

_BIDI = "\u202a-\u202e\u2066-\u2069"
_CONTROLS = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_CONTROLS_BUT_LINES = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
_C1_DEL_AND_BIDI = re.compile(f"[\x7f-\x9f{_BIDI}]")


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0x7F else f"\\u{code:04x}"


def escape_controls(text: str, *, keep_lines: bool = False) -> str:
    """``text`` with its C0, DEL, C1 and bidi controls written as ``\\x1b`` / ``\\u009b``.

    ``keep_lines`` keeps newline and tab (for multi-line text); other controls, CR
    included, are always escaped.
    """
    pattern = _CONTROLS_BUT_LINES if keep_lines else _CONTROLS
    return pattern.sub(_visible, text)


def count_controls(text: str, *, keep_lines: bool = False) -> int:
    """How many characters :func:`escape_controls` would escape."""
    pattern = _CONTROLS_BUT_LINES if keep_lines else _CONTROLS
    return len(pattern.findall(text))


def escape_json_controls(encoded: str) -> str:
    """JSON text with DEL, C1 and bidi controls written as ``\\u009b`` / ``\\u202e``.

    ``json.dumps`` escapes C0 controls itself but leaves the others raw unless
    ``ensure_ascii``; they can only occur inside JSON strings, where ``\\uXXXX`` is the same
    character, so the document still decodes to the same data.
    """
    return _C1_DEL_AND_BIDI.sub(lambda m: f"\\u{ord(m.group()):04x}", encoded)
