"""What the commands share: consoles, exit codes, secret input, JSON output."""

from __future__ import annotations

import enum
import json
import math
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import InputError

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


class ExitStatus(enum.IntEnum):
    """Exit codes, documented in the README."""

    SUCCESS = 0
    ERROR = 1
    USAGE = 2
    NO_PAYLOAD = 3
    AUTHENTICATION = 4
    INTERRUPTED = 130


def error_line(message: str) -> None:
    """One line on stderr: ``stegokit: error: ...``."""
    err_console.print(f"[bold red]stegokit: error:[/] {escape(message)}", soft_wrap=True)


def notice(message: str) -> None:
    err_console.print(f"[yellow]note:[/] {escape(message)}", soft_wrap=True)


def print_json(data: dict) -> None:
    """JSON on stdout; non-finite floats (a PSNR of identical images) become null."""
    clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
             for k, v in data.items()}
    sys.stdout.write(json.dumps(clean, ensure_ascii=False, indent=2) + "\n")


AskPassphrase = Annotated[bool, typer.Option(
    "-p", "--passphrase",
    help="Ask for a passphrase at a hidden prompt (also: --passphrase-file, or the "
    "STEGOKIT_PASSPHRASE environment variable). Secrets are never taken as option values.",
)]
PassphraseFile = Annotated[Path | None, typer.Option(
    "--passphrase-file", help="Read the passphrase from the first line of this file.",
    dir_okay=False,
)]
Force = Annotated[bool, typer.Option("--force", "-f", help="Overwrite an existing output file.")]
JsonOut = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]


def read_passphrase(ask: bool, path: Path | None, *, confirm: bool) -> str | None:
    """The passphrase from a file, the environment or a hidden prompt; None if none given."""
    if path is not None:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read the passphrase file ({exc})") from None
        if not lines or not lines[0]:
            raise InputError(f"{path}: the passphrase file is empty")
        return lines[0]
    from_env = os.environ.get("STEGOKIT_PASSPHRASE")
    if from_env:
        return from_env
    if ask:
        return typer.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm)
    return None


def format_psnr(value: float) -> str:
    return "identical" if not math.isfinite(value) else f"{value:.1f} dB"
