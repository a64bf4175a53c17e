"""``capacity``: how much each method holds in a cover."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from .. import api
from .common import JsonOut, console, print_json

app = typer.Typer()


@app.command("capacity")
def capacity(
    cover: Annotated[Path, typer.Argument(help="The cover image.")],
    json_out: JsonOut = False,
) -> None:
    """Show the exact number of bytes each method and bit depth can hide in COVER.

    Figures are for incompressible data (text usually compresses, so more of it fits).
    """
    report = api.capacity(cover)
    if json_out:
        print_json(report.to_dict())
        return
    table = Table(title=f"{cover.name}: {report.width}×{report.height} {report.mode}")
    table.add_column("method")
    table.add_column("bits per value", justify="right")
    table.add_column("plain bytes", justify="right")
    table.add_column("encrypted bytes", justify="right")
    for bits, plain in report.lsb.items():
        table.add_row("lsb", str(bits), f"{plain:,}", f"{report.lsb_encrypted[bits]:,}")
    console.print(table)
