"""The batch report: one JSON object per line, appended as each file finishes.

A rerun reads it back to skip the files already done (:func:`finished`). Lines are flushed
one by one, so an interrupted batch loses at most a line being written, which is ignored.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import IO

from ..errors import OutputError


def dumps(record: dict) -> str:
    """One record as one line of JSON; non-finite floats (PSNR of identical images) are null."""
    clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
             for k, v in record.items()}
    return json.dumps(clean, ensure_ascii=False)


def read(path: str | os.PathLike) -> list[dict]:
    """The records of a report (none if it does not exist); broken lines are skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise OutputError(f"{os.fspath(path)}: cannot read the report ({exc.strerror})") from None
    records = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def finished(records: list[dict]) -> dict[str, str | None]:
    """``job key -> output`` of every record that says done."""
    return {r["job"]: r.get("output") for r in records
            if r.get("status") == "done" and isinstance(r.get("job"), str)}


def open_for_append(path: str | os.PathLike) -> IO[str]:
    """The report opened to add records, starting on a fresh line."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("ab+") as raw:
            if raw.tell() > 0:
                raw.seek(-1, os.SEEK_END)
                if raw.read(1) != b"\n":
                    raw.write(b"\n")  # the end of a line cut by an interruption
        return target.open("a", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{os.fspath(path)}: cannot write the report ({exc.strerror})") from None
