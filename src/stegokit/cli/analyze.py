"""``analyze``: how detectable is this image?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import Force, JsonOut, console, escape, print_json, refuse_overwriting_inputs, working

app = typer.Typer()


@app.command("analyze")
def analyze(
    image: Annotated[Path, typer.Argument(help="The image to examine.")],
    planes: Annotated[Path | None, typer.Option(
        "--planes", help="Write a picture of the image and its low bit planes (PNG).")] = None,
    force: Force = False,
    json_out: JsonOut = False,
) -> None:
    """Estimate how much LSB data an image carries (chi-square, RS and SPA attacks).

    Also reports file traits that single out some tools' output, and whether a stegokit
    message is readable without a key. "clean" means no LSB replacement was found, not that
    nothing is hidden: ±1 embedding at low rates (stegokit's default) is not seen by these
    classic attacks, though modern machine-learning detectors can find it.

    Example: stegokit analyze card.png --planes card-planes.png
    """
    from rich.table import Table

    from .. import analysis, images, reports

    refuse_overwriting_inputs(planes, image)
    with working("Analysing…"):
        found = reports.examine(image)
    report, traits, container = found.report, found.traits, found.container
    if planes is not None:
        images.save(images.Picture(analysis.bitplane_picture(found.picture.pixels)), planes,
                    force=force)
    if json_out:
        print_json(found.to_dict())
        return
    table = Table(title=f"{escape(image.name)}: estimated embedding rate per channel")
    table.add_column("channel")
    table.add_column("RS", justify="right")
    table.add_column("SPA", justify="right")
    table.add_column("chi-square p", justify="right")
    for name, rs, spa, p in zip(report.channels, report.rs, report.spa,
                                report.chi_square.pvalues, strict=True):
        table.add_row(name, f"{rs:.3f}", f"{spa:.3f}", f"{p:.3f}")
    console().print(table)
    for reason in report.reasons:
        console().print(f"• {escape(reason)}")
    for finding in (container, *traits.findings):
        if finding:
            console().print(f"• {escape(finding)}")
    colour = {"clean": "green", "suspicious": "yellow"}.get(report.verdict, "red")
    console().print(f"Verdict: [bold {colour}]{report.verdict}[/] "
                  f"(estimated rate {report.rate:.3f} bits per value)")
    if planes is not None:
        console().print(f"Bit planes written to {escape(str(planes))}.")
