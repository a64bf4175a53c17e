"""``analyze``: how detectable is this image?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import OutputError
from .common import Force, JsonOut, console, escape, notice, print_json, refuse_overwriting_inputs
from .progress import showing

app = typer.Typer()


@app.command("analyze")
def analyze(
    image: Annotated[Path, typer.Argument(help="The image to examine.")],
    planes: Annotated[Path | None, typer.Option(
        "--planes", help="Write a picture of the image and its low bit planes (PNG).")] = None,
    force: Force = False,
    json_out: JsonOut = False,
) -> None:
    """Look for hidden data: stegokit payloads readable without a key, LSB replacement
    (chi-square, RS and SPA attacks) and low bit planes replaced by random data.

    Also reports file traits that single out some tools' output. A plain stegokit message,
    hidden image or neural-codec message is recognised for certain. An encrypted stegokit
    payload cannot be told apart from a clean image without its key (the format is designed
    so): only the statistics can point at it, when it replaces the low four bits of nearly
    every value (an encrypted nibble hide-image, or --bits 4 filling the cover). "clean"
    means that none of these tests found anything, not that nothing is hidden: ±1 embedding
    (stegokit's default) is not seen by these classic attacks, though modern
    machine-learning detectors can find it.

    Example: stegokit analyze card.png --planes card-planes.png
    """
    from rich.table import Table

    from .. import analysis, images, reports

    refuse_overwriting_inputs(planes, image)
    if planes is not None:  # before the analysis, which takes seconds on a large image
        images.output_format(planes)
        if planes.exists() and not force:
            raise OutputError(f"{planes} exists; use --force to overwrite it")
    with showing(not json_out) as progress:
        found = reports.examine(image, progress=progress)
    report, traits = found.report, found.traits
    if planes is not None:
        images.save(images.Picture(analysis.bitplane_picture(found.picture.pixels)), planes,
                    force=force)
    if json_out:
        print_json(found.to_dict())
        return
    for line in found.picture.notices:
        notice(line)
    table = Table(title=f"{escape(image.name)}: estimated embedding rate per channel")
    table.add_column("channel")
    table.add_column("RS", justify="right")
    table.add_column("SPA", justify="right")
    table.add_column("chi-square p", justify="right")
    for name, rs, spa, p in zip(report.channels, report.rs, report.spa,
                                report.chi_square.pvalues, strict=True):
        table.add_row(name, f"{rs:.3f}", f"{spa:.3f}", f"{p:.3f}")
    console().print(table)
    correlation = ", ".join(f"{c:.3f}" for c in report.plane_correlation)
    console().print(f"Bit planes 0-{len(report.plane_correlation) - 1}: neighbour correlation "
                    f"{correlation} (random data: 0)")
    for reason in report.reasons:
        console().print(f"• {escape(reason)}")
    for finding in traits.findings:
        console().print(f"• {escape(finding)}")
    colour = {"clean": "green", "suspicious": "yellow"}.get(report.verdict, "red")
    console().print(f"Verdict: [bold {colour}]{report.verdict}[/] "
                    f"(estimated rate {report.rate:.3f} bits per value)")
    if planes is not None:
        console().print(f"Bit planes written to {escape(str(planes))}.")
