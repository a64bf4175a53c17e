"""What the commands share: output, exit codes, secret input, JSON output.

Plain lines go out with ``typer.echo`` and ``typer.secho``; rich is imported only by the
commands that print tables or markup (:func:`console`), and the spinner of
:func:`working` only on a terminal, so the common commands start faster.

Every string that comes from a file, a payload, the keyring or a server is printed through
:func:`safe` (plain lines), :func:`escape` (rich markup), :func:`show_text` (a hidden
message), :func:`print_json`, :func:`error_line` or :func:`notice`, which make control
characters visible (:mod:`stegokit.safetext`): a hidden message cannot drive the terminal.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import json
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import InputError, OutputError, OutputExistsError, StegokitError
from ..safetext import count_controls, escape_controls, escape_json_controls

if TYPE_CHECKING:
    from rich.console import Console


@functools.cache
def console() -> Console:
    """The rich console on stdout, for tables and markup."""
    from rich.console import Console

    return Console(highlight=False)


def safe(text: str) -> str:
    """One line of ``text`` with its control characters (newlines too) made visible."""
    return escape_controls(text)


def escape(text: str) -> str:
    """``text`` as one line, control characters and rich markup escaped, for :func:`console`."""
    from rich.markup import escape as escape_markup

    return escape_markup(safe(text))


def working(message: str) -> contextlib.AbstractContextManager:
    """A spinner with ``message`` while slow work runs, on a terminal only."""
    if not sys.stdout.isatty():
        return contextlib.nullcontext()
    return console().status(message)


class ExitStatus(enum.IntEnum):
    """Exit codes, documented in the README."""

    SUCCESS = 0
    ERROR = 1
    USAGE = 2
    NO_PAYLOAD = 3
    AUTHENTICATION = 4
    INTERRUPTED = 130


def error_message(exc: StegokitError) -> str:
    """An error's line, in the command line's words (the library names keywords, not
    options: an existing output says ``force=True`` there, ``--force`` here)."""
    if isinstance(exc, OutputExistsError):
        return f"{exc.path} exists; use --force to overwrite it"
    return str(exc)


def wants_json(args: list[str]) -> bool:
    """Whether the command line asks for ``--json`` (options end at ``--``)."""
    return "--json" in (args[: args.index("--")] if "--" in args else args)


def plural(count: int, unit: str) -> str:
    """``1 byte``, ``2 bytes``, ``1,024 bytes``."""
    return f"{count:,} {unit}" + ("" if count == 1 else "s")


def error_line(message: str) -> None:
    """One line on stderr: ``stegokit: error: ...``."""
    typer.secho("stegokit: error:", fg="red", bold=True, err=True, nl=False)
    typer.echo(f" {safe(message)}", err=True)


def notice(message: str) -> None:
    """One line on stderr: ``note: ...``."""
    typer.secho("note:", fg="yellow", err=True, nl=False)
    typer.echo(f" {safe(message)}", err=True)


def show_text(text: str) -> None:
    """Print a hidden message on stdout.

    Piped or redirected, the text goes out exactly as it is. On a terminal, control
    characters other than newline and tab are shown escaped (``\\x1b``, ``\\u009b``), with
    one notice on stderr pointing to ``-o FILE`` for the exact text.
    """
    if not sys.stdout.isatty():
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        return
    escaped = count_controls(text, keep_lines=True)
    typer.echo(escape_controls(text, keep_lines=True))
    if escaped:
        notice(f"the message holds {escaped} control character(s) that could drive the "
               "terminal, shown escaped (like \\x1b); save it with -o FILE for the exact text")


def _finite(value):
    """``value`` with every non-finite float, at any depth, made None."""
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return None if isinstance(value, float) and not math.isfinite(value) else value


def print_json(data: dict, *, one_line: bool = False) -> None:
    """One JSON object on stdout (``one_line``: on one line, as in JSON lines); non-finite
    floats (a PSNR of identical images) become null.

    Control characters in strings are escaped, C1 (U+0080-U+009F) included.
    """
    data = _finite(data)
    encoded = json.dumps(data, ensure_ascii=False, indent=None if one_line else 2)
    sys.stdout.write(escape_json_controls(encoded) + "\n")


AskPassphrase = Annotated[bool, typer.Option(
    "-p", "--passphrase",
    help="Ask for a passphrase at a hidden prompt (also: --passphrase-file, or the "
    "STEGOKIT_PASSPHRASE environment variable). Secrets are never taken as option values.",
)]
PassphraseFile = Annotated[Path | None, typer.Option(
    "--passphrase-file", help="Read the passphrase from the first line of this file.",
    dir_okay=False,
)]
Force = Annotated[bool, typer.Option(
    "--force", "-f", help="Overwrite an existing output file (never one of the inputs).")]
KeepMetadata = Annotated[bool, typer.Option(
    "--keep-metadata", help="Keep all of the cover's metadata. By default the GPS position, "
    "camera and lens serial numbers, owner name, maker notes, unique ID and XMP are left out.")]

_SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def _parse_size(text: str | None) -> int | None:
    """``--max-payload``'s value: bytes, or a number with K, M or G (powers of 1024)."""
    if text is None:
        return None
    raw = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = raw[-1:] if raw[-1:] in _SIZE_UNITS else ""
    number = raw[: len(raw) - len(unit)]
    if not number.isdigit() or int(number) == 0:
        raise typer.BadParameter(f"{text!r} is not a size (examples: 200M, 1G, 5000000)")
    return int(number) * _SIZE_UNITS[unit]


MaxPayload = Annotated[int | None, typer.Option(
    "--max-payload", metavar="SIZE", parser=_parse_size,
    help="The most bytes a compressed hidden payload may expand to (e.g. 500M, 2G). By "
    "default 64 MiB, and at most 64 times what the image can carry, so that a small hostile "
    "image cannot fill the disk or memory.",
)]
JsonOut = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]


def refuse_overwriting_inputs(output: Path | None, *inputs: Path | None) -> None:
    """Refuse an output that is one of the inputs: the same path, or a hard or symbolic link.

    Inputs are never overwritten, not even with ``--force``.
    """
    if output is None:
        return
    try:
        target = output.stat()
    except OSError:
        return  # nothing there yet: no input can be overwritten
    for source in inputs:
        if source is None:
            continue
        try:
            same = os.path.samestat(target, source.stat())
        except OSError:
            continue
        if same:
            raise OutputError(
                f"{output} is the input {source} (the same file): inputs are never "
                "overwritten, not even with --force; choose another output file")


def removed_metadata(removed: tuple[str, ...]) -> str:
    """The sentence saying what was left out of the metadata, or nothing."""
    return f" Removed from the metadata: {', '.join(removed)}." if removed else ""


def has_terminal() -> bool:
    """Whether a person can answer a prompt: stdin is a terminal, or the process has one."""
    if sys.stdin is not None and sys.stdin.isatty():
        return True
    try:
        os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))
    except OSError:
        return False
    return True


def ask_secret(prompt: str, *, confirm: bool, instead: str) -> str:
    """A secret typed at a hidden prompt; without a terminal, an error naming ``instead``
    (the environment variable or option that gives the secret without one)."""
    if not has_terminal():
        raise InputError(f"{prompt}: there is no terminal to ask at; {instead}")
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm)


def confirm(question: str, *, instead: str) -> None:
    """Ask a yes/no question (no: :class:`typer.Abort`); without a terminal, an error
    naming ``instead`` (the option that answers yes)."""
    if not has_terminal():
        raise InputError(f"there is no terminal to confirm at: {instead}")
    typer.confirm(question, abort=True)


def check_secret_options(ask: bool, passphrase_file: Path | None,
                         other: str | None = None, other_option: str = "") -> None:
    """Refuse conflicting secret options before anything is asked or read."""
    if ask and passphrase_file is not None:
        raise typer.BadParameter("give -p (a prompt) or --passphrase-file, not both")
    if other and (ask or passphrase_file is not None):
        raise typer.BadParameter(f"seal or open with a passphrase or {other_option}, not both")


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
        return ask_secret("Passphrase", confirm=confirm, instead="give it with "
                          "--passphrase-file FILE or the STEGOKIT_PASSPHRASE environment variable")
    return None


def format_psnr(value: float) -> str:
    return "identical" if not math.isfinite(value) else f"{value:.1f} dB"
