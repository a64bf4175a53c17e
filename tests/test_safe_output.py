"""Terminal escape injection: hidden text, stored names and server replies never drive the terminal.

Hidden messages go to a real pseudo-terminal (a stegokit process whose stdout is a pty), where
control characters must come out escaped with one notice; piped output stays exact; ``--json``
escapes C1 controls; file names from payloads, keyring fields and SMTP replies are escaped.
"""

from __future__ import annotations

import json
import os
import pty
import socket
import sqlite3
import subprocess
import sys
import tty
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from keyring_support import isolate, run, subprocess_env, write_cover

import stegokit
from stegokit.keyring import FILE_NAME, Keyring
from stegokit.safetext import escape_controls

OSC52 = "\x1b]52;c;cm0gLXJmIH4=\x07"        # write "rm -rf ~" to the clipboard
OSC0 = "\x1b]0;innocent title\x07"           # set the window title
CLEAR = "\x1b[2J\x1b[H"                      # clear the screen, cursor home
OVERWRITE = "pay 10 EUR\rpay 9999 EUR"       # CR: the second half hides the first
C1_CSI = "\u009b2J"                          # clear the screen with the 8-bit CSI
REVERSED = "open \u202etxt.exe"              # RLO: shown as "open exe.txt"
HOSTILE = f"first line\n{OSC52}{OSC0}{CLEAR}{OVERWRITE}\t{C1_CSI} {REVERSED} last"
RAW_SEQUENCES = ("\x1b]52;", "\x1b]0;", "\x1b[2J", "EUR\rpay", "\u009b", "\u202e")
SHOWN = ("\\x1b]52;c;cm0gLXJmIH4=\\x07", "\\x1b]0;innocent title\\x07", "\\x1b[2J\\x1b[H",
         "pay 10 EUR\\x0dpay 9999 EUR", "\\u009b2J", "open \\u202etxt.exe")


@pytest.fixture(autouse=True)
def home(monkeypatch, tmp_path):
    return isolate(monkeypatch, tmp_path)


@pytest.fixture
def cover(tmp_path) -> Path:
    return write_cover(tmp_path / "cover.png")


def hide(cover: Path, out: Path, message, filename: str | None = None) -> Path:
    stegokit.embed_text(cover, message, filename=filename).save(out)
    return out


def on_terminal(home: Path, *args: str) -> tuple[int, str, str]:
    """Run ``stegokit ARGS`` with stdout on a pseudo-terminal (raw: no LF -> CRLF)."""
    master, slave = pty.openpty()
    tty.setraw(slave)
    process = subprocess.Popen([sys.executable, "-m", "stegokit", *args], stdout=slave,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                               env=subprocess_env(home))
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    code = process.wait(timeout=120)
    stderr = process.stderr.read().decode()
    process.stderr.close()
    return code, b"".join(chunks).decode("utf-8", errors="replace"), stderr


def test_hidden_text_on_a_terminal_is_shown_escaped(home, cover, tmp_path):
    stego = hide(cover, tmp_path / "stego.png", HOSTILE)
    code, shown, stderr = on_terminal(home, "extract-text", str(stego))
    assert code == 0, stderr
    for raw in RAW_SEQUENCES:
        assert raw not in shown, repr(raw)
    for escaped in SHOWN:
        assert escaped in shown, escaped
    assert "first line\n" in shown and "\t\\u009b2J open" in shown  # newline and tab kept
    notes = [line for line in stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "shown escaped" in notes[0] and "-o FILE" in notes[0], stderr
    assert "\x1b" not in stderr


def test_plain_text_on_a_terminal_has_no_notice(home, cover, tmp_path):
    stego = hide(cover, tmp_path / "stego.png", "meet at noon\n\tby the bridge")
    code, shown, stderr = on_terminal(home, "extract-text", str(stego))
    assert code == 0 and "meet at noon\n\tby the bridge" in shown
    assert stderr == ""


def test_piped_text_and_output_files_stay_exact(cover, tmp_path):
    stego = hide(cover, tmp_path / "stego.png", HOSTILE)
    piped = run("extract-text", str(stego))
    assert piped.exit_code == 0
    assert piped.stdout == HOSTILE + "\n" and piped.stderr == ""
    out = tmp_path / "exact.txt"
    written = run("extract-text", str(stego), "-o", str(out))
    assert written.exit_code == 0 and out.read_bytes() == HOSTILE.encode()


def test_json_escapes_c0_and_c1_controls(cover, tmp_path):
    stego = hide(cover, tmp_path / "stego.png", HOSTILE)
    result = run("extract-text", str(stego), "--json")
    assert result.exit_code == 0
    for control in ("\x1b", "\r", "\x07", "\u009b", "\u202e"):
        assert control not in result.stdout, repr(control)
    assert "\\u009b2J" in result.stdout and "\\u202etxt" in result.stdout
    assert json.loads(result.stdout)["text"] == HOSTILE  # escaped, not altered


def test_a_file_name_stored_in_the_payload_is_escaped(home, cover, tmp_path):
    name = f"report{OSC0}{C1_CSI}.pdf"
    stego = hide(cover, tmp_path / "stego.png", b"%PDF-1.4 data", filename=name)
    code, shown, stderr = on_terminal(home, "extract-text", str(stego))
    assert code == 1 and "report" not in shown  # (only the spinner was drawn)
    (line,) = stderr.strip().splitlines()
    assert line.startswith("stegokit: error: the message is a file report")
    assert line.endswith(".pdf (13 bytes): save it with -o FILE")
    for raw in ("\x1b", "\x07", "\u009b"):
        assert raw not in line, repr(raw)
    as_json = run("extract-text", str(stego), "--json")
    assert as_json.exit_code == 0
    assert "\x1b" not in as_json.stdout and "\u009b" not in as_json.stdout
    assert json.loads(as_json.stdout)["name"].startswith("report")


def test_keyring_fields_are_escaped(home):
    with Keyring.open() as keyring:
        keyring.add_contact("Mallory", "mallory@example.org",
                            stegokit.crypto.generate_keypair()[1])
    db = sqlite3.connect(home / FILE_NAME)
    db.execute("UPDATE contacts SET name = ?", (f"Mal{OSC0}{CLEAR}{C1_CSI}lory",))
    db.commit()
    db.close()
    listed = run("contact", "list")
    assert listed.exit_code == 0
    for raw in ("\x1b", "\x07", "\u009b"):
        assert raw not in listed.stdout, repr(raw)
    assert "Mal\\x1b]0;innocent title\\x07\\x1b[2J\\x1b[H\\u009b2Jlory" in listed.stdout
    as_json = run("contact", "list", "--json")
    assert as_json.exit_code == 0 and "\u009b" not in as_json.stdout
    assert json.loads(as_json.stdout)["contacts"][0]["name"] == f"Mal{OSC0}{CLEAR}{C1_CSI}lory"


class HostileServer:
    """An SMTP server whose refusal carries terminal escape sequences."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return f"550 no{OSC0}{CLEAR} such{C1_CSI} mailbox"


def test_an_smtp_servers_reply_is_escaped(cover, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(HostileServer(), hostname="127.0.0.1", port=port,
                            enable_SMTPUTF8=True)
    controller.start()
    try:
        result = run("mail", str(cover), "--to", "bob@example.org", "--from",
                     "alice@example.org", "--smtp-host", "127.0.0.1", "--smtp-port",
                     str(port), "--smtp-security", "none", "--timeout", "10")
    finally:
        controller.stop()
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("stegokit: error: mail not sent:") and "550" in line
    for raw in ("\x1b", "\x07", "\u009b"):
        assert raw not in line, repr(raw)
    assert "no\\x1b]0;innocent title\\x07\\x1b[2J\\x1b[H such\\u009b2J mailbox" in line


@pytest.mark.parametrize("text, shown", [
    ("a\x1bb", "a\\x1bb"), ("a\x7fb", "a\\x7fb"), ("a\u0085b", "a\\u0085b"),
    ("a\nb\tc", "a\\x0ab\\x09c"), ("é ü 漢字 🗺️", "é ü 漢字 🗺️"),
    ("a\u2066b\u2069", "a\\u2066b\\u2069"), ("שלום\u200f world", "שלום\u200f world")])
def test_escape_controls(text, shown):
    assert escape_controls(text) == shown
