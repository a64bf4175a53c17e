"""``capacity``: how much each method holds in a cover."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .common import JsonOut, console, escape, plural, print_json

if TYPE_CHECKING:
    from rich.table import Table

app = typer.Typer()


@app.command("capacity")
def capacity(
    cover: Annotated[Path, typer.Argument(help="The cover image.")],
    json_out: JsonOut = False,
) -> None:
    """Show the exact number of bytes each method and bit depth can hide in COVER.

    Figures are for incompressible data (text usually compresses, so more of it fits).
    Encrypted figures leave room for the key block, header and MAC.

    Example: stegokit capacity photo.jpg
    """
    from rich.table import Table

    from .. import api, reports

    report = api.capacity(cover)
    if json_out:
        print_json(reports.capacity_report(report))
        return
    table = Table(title=f"{escape(cover.name)}: {report.width}×{report.height} {report.mode}")
    table.add_column("method")
    table.add_column("bits per value", justify="right")
    table.add_column("plain bytes", justify="right")
    table.add_column("encrypted bytes", justify="right")
    for bits, plain in report.lsb.items():
        table.add_row("lsb", str(bits), f"{plain:,}", f"{report.lsb_encrypted[bits]:,}")
    neural = (f"{plural(report.neural, 'byte')} of text" if report.neural
              else "none (the short side is under 128 px)")
    table.add_row("neural (survives JPEG)", "", neural, "none")
    table.caption = ("The neural codec carries short text only, never encrypted; encrypted "
                     "bytes leave room for the key block, header and MAC.")
    console().print(table)
    console().print(_image_table(report.image))


def _image_table(image: dict) -> Table:
    """The largest secret image per hide-image mode, plain and encrypted."""
    from rich.table import Table

    plain, sealed = image["plain"], image["encrypted"]
    table = Table(title="hide-image: largest secret image")
    table.add_column("mode")
    table.add_column("bits per value", justify="right")
    table.add_column("plain", justify="right")
    table.add_column("encrypted", justify="right")
    for bits, size in plain["lossless_file_bytes"].items():
        table.add_row("lossless", bits, f"{size:,} bytes of PNG/WebP",
                      f"{sealed['lossless_file_bytes'][bits]:,} bytes")
    table.add_row("nibble", "4", f"{plain['nibble']['rgb_pixels']:,} RGB pixels",
                  f"{sealed['nibble']['rgb_pixels']:,} RGB pixels")
    for k, room in plain["planes"].items():
        table.add_row("planes", k, f"{room['rgb_pixels']:,} RGB pixels",
                      f"{sealed['planes'][k]['rgb_pixels']:,} RGB pixels")
    return table
