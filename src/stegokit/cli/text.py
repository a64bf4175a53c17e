"""``embed-text`` and ``extract-text``."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import InputError, OutputError, OutputExistsError
from .common import (
    AskPassphrase,
    Force,
    JsonOut,
    KeepMetadata,
    MaxPayload,
    PassphraseFile,
    check_secret_options,
    format_psnr,
    notice,
    plural,
    print_json,
    refuse_overwriting_inputs,
    removed_metadata,
    safe,
    show_text,
)
from .keys import OpenAsOption, ToOption, opening_secrets, record_embed, sealing_secrets
from .progress import showing

if TYPE_CHECKING:
    from ..container import Payload

app = typer.Typer()


#: What a person typing a message at a terminal is told (``--message-file -``).
TYPING_PROMPT = ("Type the message, then press Enter and Ctrl-D (Ctrl-Z and Enter on "
                 "Windows) to end it:")


def _text_payload(text: str, source: str) -> Payload:
    from ..container import Payload

    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        byte = ord(exc.object[exc.start]) & 0xFF  # undecodable bytes arrive as surrogates
        raise InputError(
            f"{source} holds bytes that are not UTF-8 text (0x{byte:02x} at character "
            f"{exc.start + 1}): give UTF-8 text, or hide raw bytes with --file"
        ) from None
    return Payload.from_text(text)


def _read_message(message: str | None, message_file: Path | None, file: Path | None,
                  allow_empty: bool) -> Payload:
    from ..api import file_payload

    given = [x for x in (message, message_file, file) if x is not None]
    if len(given) != 1:
        raise typer.BadParameter("give the message with exactly one of -m, --message-file, --file")
    if message is not None:
        source = "the -m text"
        payload = _text_payload(message, source)
    elif file is not None:
        source, payload = str(file), file_payload(file)
    else:
        source = "stdin" if str(message_file) == "-" else str(message_file)
        payload = _text_payload(_read_text(message_file, source), source)
    if not payload.data and not allow_empty:
        raise InputError(f"{source} is empty: there is nothing to hide (--allow-empty hides "
                         "an empty message anyway)")
    return payload


def _read_text(message_file: Path, source: str) -> str:
    """The UTF-8 text of ``--message-file`` (``-``: stdin, with a prompt on a terminal)."""
    if str(message_file) == "-":
        if sys.stdin.isatty():
            typer.echo(TYPING_PROMPT, err=True)
        raw = sys.stdin.buffer.read()
    else:
        try:
            raw = message_file.read_bytes()
        except OSError as exc:
            raise InputError(f"{message_file}: cannot read ({exc.strerror})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{source}: not UTF-8 text; hide binary files with --file") from None


class Method(str, enum.Enum):
    lsb = "lsb"
    neural = "neural"


class FindMethod(str, enum.Enum):
    auto = "auto"
    lsb = "lsb"
    neural = "neural"


#: ``--method`` when reading: which codec to look for.
FindMethodOption = Annotated[FindMethod, typer.Option(
    "--method", help="auto: the LSB codec, then the neural codec.")]


def check_output(output: Path, force: bool, *, lossless: bool = True) -> None:
    """Fail early, before any slow work, if the output cannot be written."""
    from .. import images

    images.output_format(output, lossless=lossless)
    if output.exists() and not force:
        raise OutputExistsError(str(output))


def check_neural_options(method: str, *, ask: bool = False, passphrase_file: Path | None = None,
                         other: str | None = None, bits: int = 1, stealth: bool = False) -> None:
    """Refuse options the neural codec has no use for, before any prompt or slow work."""
    if method != "neural":
        return
    if ask or passphrase_file is not None or other:
        raise typer.BadParameter("the neural codec carries no encryption: leave out -p, "
                                 "--passphrase-file, --to and --user (or use --method lsb)")
    if bits != 1:
        raise typer.BadParameter("--bits is for --method lsb: the neural codec has no bit depth")
    if stealth:
        raise typer.BadParameter("--stealth is for --method lsb")


@app.command("embed-text")
def embed_text(
    cover: Annotated[Path, typer.Argument(help="The cover image (any format Pillow reads).")],
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="Where to write the stego image: .png, .bmp, .tiff or .webp "
        "(and .jpg with --method neural).")],
    message: Annotated[str | None, typer.Option(
        "-m", "--message", help="The text to hide.")] = None,
    method: Annotated[Method, typer.Option(
        "--method", help="lsb: exact, large payloads, lossless files only. neural: up to 20 "
        "bytes of text that survive JPEG and resizing (no encryption).")] = Method.lsb,
    quality: Annotated[int, typer.Option(
        "--quality", min=1, max=100, help="JPEG quality when --method neural writes a .jpg.")] = 95,
    message_file: Annotated[Path | None, typer.Option(
        "--message-file", help="Read the text to hide from this file ('-' for stdin).")] = None,
    file: Annotated[Path | None, typer.Option(
        "--file", help="Hide any file (its name is stored too).", dir_okay=False)] = None,
    bits: Annotated[int, typer.Option(
        "--bits", "-b", min=1, max=4,
        help="Low bits used per value (each colour value of each pixel): 1 hides best, "
        "4 holds four times more.")] = 1,
    allow_empty: Annotated[bool, typer.Option(
        "--allow-empty", help="Hide an empty message instead of refusing it.")] = False,
    stealth: Annotated[bool, typer.Option(
        "--stealth", help="The adaptive layout (HILL costs + syndrome-trellis codes) only, "
        "and refuse payloads above 0.05 bits per value.")] = False,
    passphrase: AskPassphrase = False,
    passphrase_file: PassphraseFile = None,
    to: ToOption = None,
    force: Force = False,
    keep_metadata: KeepMetadata = False,
    json_out: JsonOut = False,
) -> None:
    """Hide a text message or a file in an image.

    The cover is never modified. With a passphrase the payload is encrypted (AES-256-CBC +
    HMAC-SHA256, key from Argon2id) and scattered in a key-dependent order. The cover's GPS
    position and camera serial numbers are left out of the stego image (--keep-metadata).

    Example: stegokit embed-text photo.jpg -o card.png -m "meet at noon" -p

    Example: stegokit embed-text photo.jpg -o postcard.jpg -m "survives JPEG" --method neural
    """
    from .. import api, reports

    check_neural_options(method.value, ask=passphrase, passphrase_file=passphrase_file,
                         other=to, bits=bits, stealth=stealth)
    check_secret_options(passphrase, passphrase_file, to, "--to a recipient")
    refuse_overwriting_inputs(output, cover, message_file, file)
    check_output(output, force, lossless=method is Method.lsb)
    payload = _read_message(message, message_file, file, allow_empty)
    secret, recipient = sealing_secrets(passphrase, passphrase_file, to)
    with showing(not json_out) as progress:
        result = api.embed_text(cover, payload, method=method.value, bits=bits, stealth=stealth,
                                passphrase=secret, recipient=recipient, progress=progress)
        removed = result.save(output, force=force, quality=quality,
                              keep_metadata=keep_metadata, progress=progress)
    record_embed(result.method, to, output)
    for line in result.notices:
        notice(line)
    if json_out:
        print_json(reports.embed_report(result, payload, output, removed))
        return
    what = f"{plural(len(payload.data), 'byte')} of {payload.kind}"
    lock = "encrypted" if result.encrypted else "not encrypted"
    how = f"{plural(bits, 'bit')} per value" if result.method == "lsb" else "survives JPEG"
    typer.echo(
        f"Hid {what} in {safe(str(output))} ({result.method}, {how}, {lock}): "
        f"{plural(result.changed, 'value')} changed, PSNR {format_psnr(result.psnr)}, "
        f"{result.stored_bytes / max(result.capacity, 1):.1%} of capacity."
        f"{removed_metadata(removed)}"
    )


@app.command("extract-text")
def extract_text(
    stego: Annotated[Path, typer.Argument(help="The image that carries the message.")],
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Write the payload's exact bytes to this file.")] = None,
    passphrase: AskPassphrase = False,
    passphrase_file: PassphraseFile = None,
    user: OpenAsOption = None,
    method: FindMethodOption = FindMethod.auto,
    max_payload: MaxPayload = None,
    force: Force = False,
    json_out: JsonOut = False,
) -> None:
    """Recover a hidden message or file; the method and bit depth are detected.

    Prints text on stdout. A file payload is written with -o FILE, or to stdout with -o -
    (never on a terminal).
    With a passphrase or --user, only a message sealed with it is shown: a plain message
    or the neural codec's (which anyone can write) is refused with exit code 4.
    Exit code 3: no hidden message; 4: wrong passphrase or damaged data.

    Example: stegokit extract-text card.png -p

    Example: stegokit extract-text postcard.jpg
    """
    from .. import api, images, reports

    check_neural_options(method.value, ask=passphrase, passphrase_file=passphrase_file,
                         other=user)
    check_secret_options(passphrase, passphrase_file, user, "--user")
    to_stdout = output is not None and str(output) == "-"
    if to_stdout and sys.stdout.isatty():
        raise OutputError("-o - writes the payload's raw bytes to stdout, which is a "
                          "terminal here: give a file name, or redirect stdout")
    if to_stdout and json_out:
        raise typer.BadParameter("-o - and --json both write to stdout: give -o a file name")
    output = None if to_stdout else output
    refuse_overwriting_inputs(output, stego)
    if output is not None and output.exists() and not force:
        raise OutputExistsError(str(output))
    secret, key = opening_secrets(passphrase, passphrase_file, user)
    with showing(not json_out) as progress:
        found = api.extract_text(stego, passphrase=secret, private_key=key,
                                 method=method.value, max_payload=max_payload,
                                 progress=progress)
    payload = found.payload
    for line in found.notices:
        notice(line)
    if output is not None:
        images.write_atomic(output, payload.data, force=force)
    if json_out:
        print_json(reports.extract_report(found, output))
    elif output is not None:
        typer.echo(f"Wrote {plural(len(payload.data), 'byte')} ({payload.kind}) to "
                   f"{safe(str(output))}.")
    elif to_stdout:
        sys.stdout.buffer.write(payload.data)
        sys.stdout.buffer.flush()
    elif payload.kind == "text":
        show_text(payload.text)
    else:
        name = f" {payload.name}" if payload.name else ""
        raw = "" if sys.stdout.isatty() else ", or write its raw bytes to stdout with -o -"
        raise OutputError(f"the message is a file{name} ({plural(len(payload.data), 'byte')}): "
                          f"save it with -o FILE{raw}")
