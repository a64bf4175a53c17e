"""``embed-text`` and ``extract-text``."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import InputError, OutputError
from .common import (
    AskPassphrase,
    Force,
    JsonOut,
    KeepMetadata,
    MaxPayload,
    PassphraseFile,
    format_psnr,
    notice,
    print_json,
    refuse_overwriting_inputs,
    removed_metadata,
    safe,
    show_text,
)
from .progress import showing
from .users import OpenAsOption, ToOption, opening_secrets, record_embed, sealing_secrets

if TYPE_CHECKING:
    from ..container import Payload

app = typer.Typer()


def _read_message(message: str | None, message_file: Path | None, file: Path | None) -> Payload:
    from ..api import file_payload
    from ..container import Payload

    given = [x for x in (message, message_file, file) if x is not None]
    if len(given) != 1:
        raise typer.BadParameter("give the message with exactly one of -m, --message-file, --file")
    if message is not None:
        return Payload.from_text(message)
    if file is not None:
        return file_payload(file)
    raw = sys.stdin.buffer.read() if str(message_file) == "-" else None
    if raw is None:
        try:
            raw = message_file.read_bytes()
        except OSError as exc:
            raise InputError(f"{message_file}: cannot read ({exc.strerror})") from None
    try:
        return Payload.from_text(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(
            f"{message_file}: not UTF-8 text; hide binary files with --file"
        ) from None


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
        raise OutputError(f"{output} exists; use --force to overwrite it")


@app.command("embed-text")
def embed_text(
    cover: Annotated[Path, typer.Argument(help="The cover image (any format Pillow reads).")],
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="Where to write the stego image: .png, .bmp, .tiff or .webp "
        "(and .jpg with --method neural).")],
    message: Annotated[str | None, typer.Option(
        "-m", "--message", help="The text to hide.")] = None,
    method: Annotated[Method, typer.Option(
        "--method", help="lsb: exact, large payloads, lossless files only. neural: up to 32 "
        "bytes of text that survive JPEG and resizing.")] = Method.lsb,
    quality: Annotated[int, typer.Option(
        "--quality", min=1, max=100, help="JPEG quality when --method neural writes a .jpg.")] = 95,
    message_file: Annotated[Path | None, typer.Option(
        "--message-file", help="Read the text to hide from this file ('-' for stdin).")] = None,
    file: Annotated[Path | None, typer.Option(
        "--file", help="Hide any file (its name is stored too).", dir_okay=False)] = None,
    bits: Annotated[int, typer.Option(
        "--bits", "-b", min=1, max=4,
        help="Low bits used per colour value: 1 hides best, 4 holds four times more.")] = 1,
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

    Example: stegokit embed-text photo.jpg -o out.png -m "meet at noon" -p

    Example: stegokit embed-text photo.jpg -o out.jpg -m "survives JPEG" --method neural
    """
    from .. import api, reports

    refuse_overwriting_inputs(output, cover, message_file, file)
    payload = _read_message(message, message_file, file)
    check_output(output, force, lossless=method is Method.lsb)
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
    what = f"{len(payload.data)} bytes of {payload.kind}"
    lock = "encrypted" if result.encrypted else "not encrypted"
    how = f"{bits} bit(s) per value" if result.method == "lsb" else "survives JPEG"
    typer.echo(
        f"Hid {what} in {safe(str(output))} ({result.method}, {how}, {lock}): "
        f"{result.changed:,} values changed, PSNR {format_psnr(result.psnr)}, "
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

    Prints text on stdout. Files are written with -o (never dumped on a terminal).
    With a passphrase or --user, only a message sealed with it is shown: a plain message
    or the neural codec's (which anyone can write) is refused with exit code 4.
    Exit code 3: no hidden message; 4: wrong passphrase or damaged data.

    Example: stegokit extract-text out.png -p
    """
    from .. import api, images, reports

    refuse_overwriting_inputs(output, stego)
    if output is not None and output.exists() and not force:
        raise OutputError(f"{output} exists; use --force to overwrite it")
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
        typer.echo(f"Wrote {len(payload.data)} bytes ({payload.kind}) to {safe(str(output))}.")
    elif payload.kind == "text":
        show_text(payload.text)
    elif sys.stdout.isatty():
        name = f" {payload.name}" if payload.name else ""
        raise OutputError(
            f"the message is a file{name} ({len(payload.data)} bytes): save it with -o FILE"
        )
    else:
        sys.stdout.buffer.write(payload.data)
        sys.stdout.buffer.flush()
