"""``hide-image`` and ``reveal-image``."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import OutputExistsError
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
)
from .keys import OpenAsOption, ToOption, opening_secrets, record_embed, sealing_secrets
from .progress import showing
from .text import check_output

if TYPE_CHECKING:
    from .. import imageapi

app = typer.Typer()


class Mode(str, enum.Enum):
    auto = "auto"
    lossless = "lossless"
    nibble = "nibble"
    planes = "planes"


def _what(result: imageapi.HideResult) -> str:
    if result.mode == "lossless":
        return f"lossless ({result.secret_format} file of {result.stored_bytes:,} bytes)"
    if result.mode == "nibble":
        return "nibble (two 4-bit halves per secret byte)"
    layout = (f"packed as a {result.secret_format} file of {result.stored_bytes:,} bytes"
              if result.packed else "fixed-rate")
    return f"planes (top {result.k} bit planes, {layout})"


@app.command("hide-image")
def hide_image(
    cover: Annotated[Path, typer.Argument(help="The cover image (any format Pillow reads).")],
    secret: Annotated[Path, typer.Argument(help="The image to hide (L, LA, RGB or RGBA).")],
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="Where to write the stego image: .png, .bmp, .tiff or .webp.")],
    mode: Annotated[Mode, typer.Option(
        "--mode", case_sensitive=False,
        help="auto: lossless if it fits at 4 bits or fewer, else planes. lossless: the "
        "secret's PNG/WebP file, exact. nibble: the classic two 4-bit halves per byte, "
        "exact. planes: the secret's top --bits bit planes, for a secret as large as the "
        "cover.")] = Mode.auto,
    bits: Annotated[int | None, typer.Option(
        "--bits", "-b", min=1, max=4,
        help="planes: bit planes of the secret kept (default 4). lossless: the most low "
        "bits per value to use (default 4).")] = None,
    resize: Annotated[bool, typer.Option(
        "--resize", help="planes/auto: scale a secret too large for the cover down to fit.")
    ] = False,
    passphrase: AskPassphrase = False,
    passphrase_file: PassphraseFile = None,
    to: ToOption = None,
    force: Force = False,
    keep_metadata: KeepMetadata = False,
    json_out: JsonOut = False,
) -> None:
    """Hide a whole image inside a cover image.

    The cover and the secret are never modified. With a passphrase the secret is encrypted
    (AES-256 + HMAC-SHA256, key from Argon2id) and scattered in a key-dependent order.
    reveal-image needs no mode flags: the hidden header says what was done.

    Example: stegokit hide-image photo.jpg postcard.jpg -o album.png -p
    """
    from .. import imageapi, reports

    check_secret_options(passphrase, passphrase_file, to, "--to a recipient")
    refuse_overwriting_inputs(output, cover, secret)
    check_output(output, force)
    key, recipient = sealing_secrets(passphrase, passphrase_file, to)
    with showing(not json_out) as progress:
        result = imageapi.hide_image(cover, secret, mode=mode.value, bits=bits, resize=resize,
                                     passphrase=key, recipient=recipient, progress=progress)
        removed = result.save(output, force=force, keep_metadata=keep_metadata,
                              progress=progress)
    record_embed(f"image-{result.mode}", to, output)
    for line in result.notices:
        notice(line)
    width, height = result.secret_size
    if json_out:
        print_json(reports.hide_report(result, mode.value, output, removed))
        return
    if result.resized_from:
        notice(f"resized the secret from {result.resized_from[0]}×{result.resized_from[1]} "
               f"to {width}×{height} to fit")
    chose = f"{mode.value} chose " if mode is Mode.auto else ""
    lock = "encrypted" if result.encrypted else "not encrypted"
    revealed = ("every pixel exact" if result.exact
                else f"PSNR {format_psnr(result.secret_psnr)}")
    typer.echo(
        f"Hid {safe(secret.name)} ({width}×{height} {result.secret_mode}) in {safe(str(output))}: "
        f"{chose}{_what(result)}, {plural(result.bits, 'bit')} per value, {lock}.\n"
        f"Cover PSNR {format_psnr(result.cover_psnr)}; the revealed secret: {revealed}."
        f"{removed_metadata(removed)}"
    )


@app.command("reveal-image")
def reveal_image(
    stego: Annotated[Path, typer.Argument(help="The image that carries the secret image.")],
    output: Annotated[Path, typer.Option(
        "-o", "--output",
        help="Where to write the secret image (PNG without an extension; JPEG only for "
        "planes, whose secret is approximate anyway).")],
    passphrase: AskPassphrase = False,
    passphrase_file: PassphraseFile = None,
    user: OpenAsOption = None,
    max_payload: MaxPayload = None,
    force: Force = False,
    json_out: JsonOut = False,
) -> None:
    """Recover a hidden image; the mode, bit depth and encryption are detected.

    With a passphrase or --user, only an image sealed with it is revealed (a plain one is
    refused with exit code 4). Exit code 3: no hidden message; 4: wrong passphrase or
    damaged data.

    Example: stegokit reveal-image album.png -o revealed.png -p
    """
    from .. import imageapi, reports

    check_secret_options(passphrase, passphrase_file, user, "--user")
    refuse_overwriting_inputs(output, stego)
    imageapi.output_format(output, exact=False)
    if output.exists() and not force:
        raise OutputExistsError(str(output))
    key, secret_key = opening_secrets(passphrase, passphrase_file, user)
    with showing(not json_out) as progress:
        found = imageapi.reveal_image(stego, passphrase=key, private_key=secret_key,
                                      max_payload=max_payload, progress=progress)
        found.save(output, force=force, progress=progress)
    if json_out:
        print_json(reports.reveal_report(found, output))
        return
    height, width = found.pixels.shape[:2]
    how = "exact" if found.exact else f"top {found.k} bit planes, approximate"
    typer.echo(f"Revealed a {width}×{height} {found.picture.mode} image ({found.mode}, "
                  f"{how}) to {safe(str(output))}.")
