"""Progress reports from slow library calls, for a face (the CLI) to show.

The slow API functions take an optional ``progress`` callable, called as
``progress(stage, done, total)``: ``stage`` is a short human name ("Reading the cover"),
``total`` the units of work the stage has (0 when it cannot be measured, such as decoding a
PNG inside Pillow) and ``done`` how many are finished. Each stage is announced once with
``done`` 0 and ends with ``done == total``; stages follow one another (a stage that starts
ends the one before), and ``done`` never goes back. The library never imports a renderer:
``stegokit.cli.progress`` draws a bar with rich.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

__all__ = ["Progress", "stage", "steps"]

#: ``progress(stage, done, total)``; None: nobody is watching.
Progress = Callable[[str, int, int], None]

T = TypeVar("T")


def stage(progress: Progress | None, name: str) -> None:
    """Announce a stage whose work cannot be measured (``total`` 0)."""
    if progress is not None:
        progress(name, 0, 0)


def steps(progress: Progress | None, name: str, items: Iterable[T], total: int) -> Iterator[T]:
    """Yield ``items`` (``total`` of them), reporting each one finished as a unit of ``name``.

    The stage is announced before the first item and ends at ``total`` even when fewer items
    came (an empty layout), so that every stage reaches its total.
    """
    if progress is None:
        yield from items
        return
    total = max(total, 1)
    progress(name, 0, total)
    done = 0
    for item in items:
        yield item
        done = min(done + 1, total)
        progress(name, done, total)
    if done < total:
        progress(name, total, total)
