"""The progress display of slow commands: rich's bar, fed by the library's callbacks.

:func:`showing` gives the ``progress`` callable the library calls
(:mod:`stegokit.progress`) and draws it on stderr: one line per stage, a bar with its
percentage and time left where the stage can be measured (the carrier scan, the embedding,
hide-image's sweeps, analyze's estimators), a pulsing bar where it cannot (Pillow decoding or
encoding a file). Nothing is drawn under ``--json``, when stderr is not a terminal, or when
the work ends within :data:`SHOW_AFTER` seconds; the bar is erased when the work is done.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stegokit.progress import Progress

#: Seconds of work before the display appears (quick commands show nothing).
SHOW_AFTER = 1.0


class _Display:
    """Keeps rich's task per stage; starts drawing after ``SHOW_AFTER`` seconds."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
            TimeElapsedColumn(), TimeRemainingColumn(),
            console=Console(stderr=True, highlight=False), transient=True)
        self.tasks: dict[str, int] = {}
        self.current: str | None = None
        self.lock = threading.Lock()
        self.timer = threading.Timer(SHOW_AFTER, self._start)
        self.timer.daemon = True
        self.started = self.stopped = False

    def _start(self) -> None:
        with self.lock:
            if not self.stopped:
                self.bar.start()
                self.started = True

    def __call__(self, stage: str, done: int, total: int) -> None:
        with self.lock:
            if stage != self.current:
                self._finish_current()
                self.current = stage
                self.tasks[stage] = self.bar.add_task(stage, total=total or None)
            task = self.tasks[stage]
            if total:
                self.bar.update(task, completed=done, total=total)

    def _finish_current(self) -> None:
        if self.current is not None:
            task = self.tasks[self.current]
            total = self.bar.tasks[task].total or 1
            self.bar.update(task, completed=total, total=total)

    def close(self) -> None:
        self.timer.cancel()
        with self.lock:
            self.stopped = True
            if self.started:
                self.bar.stop()


@contextmanager
def showing(enabled: bool = True) -> Iterator[Progress | None]:
    """A ``progress`` callable for the library, drawn on a terminal; None when nothing is to
    be drawn (``enabled`` False, e.g. under ``--json``, or stderr is not a terminal)."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    display = _Display()
    display.timer.start()
    try:
        yield display
    finally:
        display.close()
