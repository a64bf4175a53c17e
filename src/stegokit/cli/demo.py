"""``demo``: a full round trip on the bundled sample photo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import AuthenticationError
from .common import console, format_psnr

app = typer.Typer()

MESSAGE = "Meet me at the old bridge at noon. Bring the map! 🗺️"
PASSPHRASE = "correct horse battery staple"
SHORT = "meet at the old mill"


def sample_path() -> Path:
    """The bundled sample cover (a public-domain NASA photo, 384×384)."""
    from importlib import resources

    return Path(str(resources.files("stegokit") / "data" / "sample.png"))


@app.command("demo")
def demo(
    keep: Annotated[Path | None, typer.Option(
        "--keep", help="Keep the files made by the demo in this folder.",
        file_okay=False)] = None,
) -> None:
    """Hide and recover a message in a bundled photo, showing each step.

    Three round trips: plain, encrypted with a passphrase, and through JPEG with the neural
    codec."""
    import tempfile

    from .. import api

    cover = sample_path()
    with tempfile.TemporaryDirectory(prefix="stegokit-demo-") as scratch:
        folder = keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        report = api.capacity(cover)
        console().print(f"[bold]1.[/] Cover: {cover.name}, {report.width}×{report.height}; "
                      f"it can hide {report.lsb[1]:,} bytes at 1 bit per value.")

        plain = folder / "demo-plain.png"
        result = api.embed_text(cover, MESSAGE)
        result.save(plain, force=True)
        console().print(f"[bold]2.[/] Hid {len(MESSAGE.encode())} bytes in {plain}: "
                      f"{result.changed} values changed, PSNR {format_psnr(result.psnr)}.")
        found = api.extract_text(plain)
        console().print(f"[bold]3.[/] Extracted: {found.text!r} "
                      f"({'identical' if found.text == MESSAGE else 'DIFFERENT'}).")

        sealed = folder / "demo-encrypted.png"
        result = api.embed_text(cover, MESSAGE, passphrase=PASSPHRASE, bits=2)
        result.save(sealed, force=True)
        console().print(f"[bold]4.[/] Encrypted with a passphrase at 2 bits per value into "
                      f"{sealed}: PSNR {format_psnr(result.psnr)}.")
        found = api.extract_text(sealed, passphrase=PASSPHRASE)
        console().print(f"[bold]5.[/] With the passphrase: {found.text!r}.")
        try:
            api.extract_text(sealed, passphrase="a wrong guess")
        except AuthenticationError as exc:
            console().print(f"[bold]6.[/] With a wrong passphrase: refused ({exc}).")
        robust = folder / "demo-neural.jpg"
        result = api.embed_text(cover, SHORT, method="neural")
        result.save(robust, force=True, quality=75)
        found = api.extract_text(robust)
        console().print(f"[bold]7.[/] The neural codec hid {SHORT!r} in a JPEG at quality 75 "
                      f"({robust.name}, PSNR {format_psnr(result.psnr)}); LSB data would not "
                      f"survive that. Read back: {found.text!r} ({found.method}).")
        if keep:
            console().print(f"Files kept in {folder}.")
