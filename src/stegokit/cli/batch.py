"""``batch embed``, ``batch extract``, ``batch analyze``: many files, one report.

The work is :func:`stegokit.batch.run`; this module reads the options, draws the progress
bar (on a terminal, without ``--json``) and the summary, and sets the exit code: 0 when every
file succeeded or was already done, 1 when any failed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import InputError
from .common import AskPassphrase, Force, MaxPayload, PassphraseFile, error_line, notice
from .keys import OpenAsOption, ToOption, opening_secrets, sealing_secrets
from .text import FindMethod, FindMethodOption, Method, check_neural_options

if TYPE_CHECKING:
    from ..batch import Run, Task

app = typer.Typer(name="batch", no_args_is_help=True, help=(
    "Embed, extract or analyze a folder of images in parallel, resumable, with a JSON-lines "
    "report; on a Dask cluster with --scheduler. See docs/batch.md."))

Source = Annotated[Path, typer.Argument(
    help="A folder (searched recursively), a file listing paths (one per line), or - for "
    "paths on stdin.")]
Glob = Annotated[str | None, typer.Option(
    "--glob", help="Pick a folder's files with this pattern (e.g. '**/*.png'); by default "
    "every image file.")]
Report = Annotated[Path | None, typer.Option(
    "--report", help="The JSON-lines report (default: stegokit-TASK.jsonl in the output "
    "folder, else here). A rerun with the same report skips the files already done.")]
Jobs = Annotated[int | None, typer.Option(
    "--jobs", "-j", min=1, help="Worker processes (default: the CPU count); lowered, with a "
    "notice, when the largest images would not fit in --memory-budget.")]
Scheduler = Annotated[str | None, typer.Option(
    "--scheduler", envvar="STEGOKIT_DASK_SCHEDULER", help="Run on the Dask cluster at this "
    "address (tcp://HOST:8786) instead; the files must be on storage every worker shares. "
    "Needs pip install 'stegokit[dask]'.")]
Budget = Annotated[int | None, typer.Option(
    "--memory-budget", metavar="MIB", min=1, help="Memory the local workers may use, in MiB "
    "(default: half of what is available).")]
Json = Annotated[bool, typer.Option(
    "--json", help="Print each record as a line of JSON on stdout, then a summary line; no "
    "progress bar.")]


def _source(source: Path, glob: str | None):
    """A folder as it is, else the paths of a list file or of stdin."""
    from .. import batch

    if str(source) == "-":
        return batch.read_list(sys.stdin.read())
    if source.is_dir():
        return source
    if glob is not None:
        raise typer.BadParameter("--glob picks files in a folder; SRC is not a folder")
    try:
        return batch.read_list(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: neither a folder nor a readable list of paths "
                         f"({exc})") from None


def _private_link(scheduler: str | None, secret: bool) -> None:
    from ..batch.executors import needs_private_link

    if scheduler and secret and needs_private_link(scheduler):
        raise InputError(f"the secret would cross the network unencrypted to {scheduler}: "
                         "use a tls:// scheduler (docs/batch.md), or run without --scheduler")


def _progress(total: int, skipped: int):
    """A rich progress bar on stderr: count, rate, elapsed and ETA."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task) -> Text:
            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{speed:.1f} img/s")

    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        Rate(), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                        console=Console(stderr=True, highlight=False))
    task_id = progress.add_task("images", total=total, completed=skipped)
    return progress, task_id


def _summary_table(summary: dict, report: str) -> None:
    from rich.table import Table

    from .common import console

    table = Table(title=f"report: {report}")
    for name in ("done", "skipped", "failed", "images/s"):
        table.add_column(name, justify="right")
    rate = summary["images_per_second"]
    table.add_row(str(summary["done"]), str(summary["skipped"]), str(summary["failed"]),
                  "-" if rate is None else f"{rate:.2f}")
    console().print(table)


def _go(task: Task, source: Path, *, glob: str | None, report: Path | None, jobs: int | None,
        scheduler: str | None, budget: int | None, json_out: bool, message: str | None = None,
        manifest: dict | None = None) -> None:
    from .. import batch
    from ..batch.report import dumps

    planned: Run = batch.run(task, _source(source, glob), report_path=report, message=message,
                             manifest=manifest, glob=glob, jobs=jobs, scheduler=scheduler,
                             memory_budget=-1 if budget is None else budget << 20)
    for line in planned.notices:
        notice(line)
    skipped = sum(r["status"] == "skipped" for r in planned.planned)
    show = not json_out and sys.stderr.isatty()
    progress, bar = _progress(planned.total, skipped) if show else (None, None)
    with planned:
        if progress is not None:
            progress.start()
        try:
            for record in planned:
                if json_out:
                    sys.stdout.write(dumps(record) + "\n")
                    sys.stdout.flush()
                elif record["status"] == "failed":
                    line = record["error"]["message"]
                    if record["input"] not in line:  # some messages do not name the file
                        line = f"{record['input']}: {line}"
                    if progress is not None:
                        progress.console.print(f"failed: {line}", markup=False,
                                               highlight=False)
                    else:
                        error_line(line)
                if progress is not None and record["status"] != "skipped":
                    progress.advance(bar)
        finally:
            if progress is not None:
                progress.stop()
    summary = planned.summary()
    if json_out:
        sys.stdout.write(dumps({"status": "summary", **summary,
                                "report": planned.report_path}) + "\n")
    else:
        _summary_table(summary, planned.report_path)
    if summary["failed"]:
        raise typer.Exit(1)


@app.command("embed")
def embed(
    source: Source,
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="The folder for the stego images: each input's relative path "
        "and stem, .png (lsb) or .jpg (neural).")],
    message: Annotated[str | None, typer.Option(
        "-m", "--message", help="The text to hide in every image.")] = None,
    messages: Annotated[Path | None, typer.Option(
        "--messages", metavar="MANIFEST.csv", help="A CSV file with the columns file and "
        "message (or payload: a file to hide), one row per input.", dir_okay=False)] = None,
    payload_rate: Annotated[float | None, typer.Option(
        "--payload-rate", min=0.0, max=4.0, help="Hide random bytes at this many bits per "
        "value instead of a message (research sets; reproducible with --seed).")] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", min=0, help="Seed of the random payloads and embedding choices.")] = None,
    method: Annotated[Method, typer.Option("--method", help="lsb or neural.")] = Method.lsb,
    bits: Annotated[int, typer.Option("--bits", "-b", min=1, max=4,
                                      help="Low bits per value (lsb).")] = 1,
    stealth: Annotated[bool, typer.Option(
        "--stealth", help="Refuse payloads above 0.05 bits per value.")] = False,
    quality: Annotated[int, typer.Option(
        "--quality", min=1, max=100, help="JPEG quality of neural outputs.")] = 95,
    passphrase: AskPassphrase = False,
    passphrase_file: PassphraseFile = None,
    to: ToOption = None,
    glob: Glob = None,
    report: Report = None,
    jobs: Jobs = None,
    scheduler: Scheduler = None,
    memory_budget: Budget = None,
    force: Force = False,
    json_out: Json = False,
) -> None:
    """Hide a message in every image of SRC, writing the stego images under -o.

    Example: stegokit batch embed . --glob "*.jpg" -o marked/ -m "(c) ACME 2026" --method neural

    Example: stegokit batch embed . --glob "*.png" -o stego/ --payload-rate 0.1 --seed 7 -j 2
    """
    from .. import batch

    if sum(x is not None for x in (message, messages, payload_rate)) != 1:
        raise typer.BadParameter("give exactly one of -m, --messages, --payload-rate")
    if payload_rate is not None and method is not Method.lsb:
        raise typer.BadParameter("--payload-rate is for --method lsb")
    check_neural_options(method.value, ask=passphrase, passphrase_file=passphrase_file,
                         other=to, bits=bits, stealth=stealth)
    manifest = batch.read_manifest(messages) if messages is not None else None
    secret, recipient = sealing_secrets(passphrase, passphrase_file, to)
    _private_link(scheduler, secret is not None)
    task = batch.Embed(output_dir=str(output.resolve()), method=method.value, bits=bits,
                       stealth=stealth, quality=quality, payload_rate=payload_rate, seed=seed,
                       force=force, passphrase=secret, recipient=recipient)
    _go(task, source, glob=glob, report=report, jobs=jobs, scheduler=scheduler,
        budget=memory_budget, json_out=json_out, message=message, manifest=manifest)


@app.command("extract")
def extract(
    source: Source,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Write each payload under this folder (relative path and "
        "stem; .txt for text). Without it, texts are in the report.")] = None,
    passphrase: AskPassphrase = False,
    passphrase_file: PassphraseFile = None,
    user: OpenAsOption = None,
    method: FindMethodOption = FindMethod.auto,
    max_payload: MaxPayload = None,
    glob: Glob = None,
    report: Report = None,
    jobs: Jobs = None,
    scheduler: Scheduler = None,
    memory_budget: Budget = None,
    force: Force = False,
    json_out: Json = False,
) -> None:
    """Recover the hidden message of every image of SRC.

    A file without a message is a failed record with exit code 3 in the report.

    Example: stegokit batch extract marked/ --report check.jsonl
    """
    from .. import batch

    check_neural_options(method.value, ask=passphrase, passphrase_file=passphrase_file,
                         other=user)
    secret, key = opening_secrets(passphrase, passphrase_file, user)
    _private_link(scheduler, secret is not None or key is not None)
    task = batch.Extract(output_dir=None if output is None else str(output.resolve()),
                         method=method.value, max_payload=max_payload, force=force,
                         passphrase=secret, private_key=key)
    _go(task, source, glob=glob, report=report, jobs=jobs, scheduler=scheduler,
        budget=memory_budget, json_out=json_out)


@app.command("analyze")
def analyze(
    source: Source,
    glob: Glob = None,
    report: Report = None,
    jobs: Jobs = None,
    scheduler: Scheduler = None,
    memory_budget: Budget = None,
    json_out: Json = False,
) -> None:
    """Run the steganalysis of stegokit analyze on every image of SRC.

    Example: stegokit batch analyze . --report triage.jsonl -j 2
    """
    from .. import batch

    _go(batch.Analyze(), source, glob=glob, report=report, jobs=jobs, scheduler=scheduler,
        budget=memory_budget, json_out=json_out)
