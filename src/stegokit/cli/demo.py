"""``demo``: a full round trip on the bundled sample photo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import AuthenticationError
from .common import Force, JsonOut, console, escape, format_psnr, print_json, safe

app = typer.Typer()

MESSAGE = "Meet me at the old bridge at noon. Bring the map! 🗺️"
PASSPHRASE = "correct horse battery staple"
SHORT = "meet at the old mill"


def sample_path() -> Path:
    """The bundled sample cover (a public-domain NASA photo, 384×384)."""
    from importlib import resources

    return Path(str(resources.files("stegokit") / "data" / "sample.png"))


def _say(json_out: bool, line: str) -> None:
    if not json_out:
        console().print(line)


def _write_sample(path: Path, force: bool) -> None:
    from .. import images

    images.save(images.load(sample_path()), path, force=force, lossless=False)


@app.command("demo")
def demo(
    keep: Annotated[Path | None, typer.Option(
        "--keep", help="Keep the files made by the demo in this folder.",
        file_okay=False)] = None,
    sample: Annotated[Path | None, typer.Option(
        "--sample", metavar="FILE", dir_okay=False,
        help="Only write the bundled sample photo to FILE (.png, .jpg...), to try the other "
        "commands on.")] = None,
    force: Force = False,
    json_out: JsonOut = False,
) -> None:
    """Hide and recover a message in a bundled photo, showing each step.

    Three round trips: plain, encrypted with a passphrase, and through JPEG with the neural
    codec.

    Example: stegokit demo

    Example: stegokit demo --sample photo.jpg
    """
    if sample is not None:
        _write_sample(sample, force)
        if json_out:
            print_json({"cover": sample_path().name, "output": str(sample)})
        else:
            typer.echo(f"Wrote the sample photo to {safe(str(sample))}.")
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="stegokit-demo-") as scratch:
        folder = keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        trips, refused = _round_trips(folder, json_out)
    if json_out:
        kept = keep is not None
        print_json({"cover": sample_path().name,
                    "round_trips": [{**t, "output": t["output"] if kept else None}
                                    for t in trips],
                    "wrong_passphrase_refused": refused})
    elif keep:
        console().print(f"Files kept in {escape(str(folder))}.")


def _round_trips(folder: Path, json_out: bool) -> tuple[list[dict], bool]:
    """The demo's three round trips in ``folder``: what each did, and whether a wrong
    passphrase was refused."""
    from .. import api

    cover = sample_path()
    report = api.capacity(cover)
    _say(json_out, f"[bold]1.[/] Cover: {cover.name}, {report.width}×{report.height}; "
         f"it can hide {report.lsb[1]:,} bytes at 1 bit per value.")
    trips = []

    plain = folder / "demo-plain.png"
    result = api.embed_text(cover, MESSAGE)
    result.save(plain, force=True)
    _say(json_out, f"[bold]2.[/] Hid {len(MESSAGE.encode())} bytes in {escape(str(plain))}: "
         f"{result.changed} values changed, PSNR {format_psnr(result.psnr)}.")
    found = api.extract_text(plain)
    _say(json_out, f"[bold]3.[/] Extracted: {found.text!r} "
         f"({'identical' if found.text == MESSAGE else 'DIFFERENT'}).")
    trips.append(_trip(result, plain, found.text == MESSAGE))

    sealed = folder / "demo-encrypted.png"
    result = api.embed_text(cover, MESSAGE, passphrase=PASSPHRASE, bits=2)
    result.save(sealed, force=True)
    _say(json_out, f"[bold]4.[/] Encrypted with a passphrase at 2 bits per value into "
         f"{escape(str(sealed))}: PSNR {format_psnr(result.psnr)}.")
    found = api.extract_text(sealed, passphrase=PASSPHRASE)
    _say(json_out, f"[bold]5.[/] With the passphrase: {found.text!r}.")
    trips.append(_trip(result, sealed, found.text == MESSAGE))
    refused = False
    try:
        api.extract_text(sealed, passphrase="a wrong guess")
    except AuthenticationError as exc:
        refused = True
        _say(json_out, f"[bold]6.[/] With a wrong passphrase: refused ({exc}).")

    robust = folder / "demo-neural.jpg"
    result = api.embed_text(cover, SHORT, method="neural")
    result.save(robust, force=True, quality=75)
    found = api.extract_text(robust)
    _say(json_out, f"[bold]7.[/] The neural codec hid {SHORT!r} in a JPEG at quality 75 "
         f"({robust.name}, PSNR {format_psnr(result.psnr)}); LSB data would not "
         f"survive that. Read back: {found.text!r} ({found.method}).")
    trips.append(_trip(result, robust, found.text == SHORT))
    return trips, refused


def _trip(result, output: Path, exact: bool) -> dict:
    return {"method": result.method, "bits": result.bits if result.method == "lsb" else None,
            "encrypted": result.encrypted, "output": str(output), "psnr": result.psnr,
            "exact": exact}
