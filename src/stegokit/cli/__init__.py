"""The ``stegokit`` command line: a thin Typer layer over the library.

``main()`` runs the app; the :class:`_Guarded` group turns every :class:`StegokitError` into
one line on stderr and its exit code (see :class:`ExitStatus`), and under ``--json`` also
into ``{"error": {"code", "kind", "message"}}`` on stdout (usage errors too).
``--debug`` or ``STEGOKIT_DEBUG=1`` shows the traceback instead.

Subcommands are loaded when named (:data:`COMMANDS`): ``stegokit extract-text`` imports and
builds that command only, not the fifteen others and their options.
"""

from __future__ import annotations

import importlib
import os
import signal
from collections.abc import Iterator, Mapping

import typer
from typer.core import TyperCommand, TyperGroup

from .. import __version__
from ..errors import StegokitError
from ..reports import error_kind, error_object
from .common import ExitStatus, error_line, error_message, print_json, wants_json

_JSON = "stegokit.json"
_MARKUP = "markdown"  # help paragraphs reflow to the terminal's width

#: Every subcommand, in the order ``--help`` lists them: its module in this package and the
#: Typer app there that holds it. A group's app is the group; other apps may hold several.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("demo", "app"),
    "embed-text": ("text", "app"),
    "extract-text": ("text", "app"),
    "capacity": ("capacity", "app"),
    "analyze": ("analyze", "app"),
    "hide-image": ("image", "app"),
    "reveal-image": ("image", "app"),
    "user": ("users", "user_app"),
    "contact": ("users", "contact_app"),
    "history": ("users", "app"),
    "mail": ("mail", "app"),
    "send": ("exchange", "app"),
    "inbox": ("exchange", "app"),
    "batch": ("batch", "app"),
    "serve": ("serve", "app"),
}
_GROUPS = {"user", "contact", "batch"}


def _load(name: str) -> TyperCommand | TyperGroup:
    """Import and build the subcommand ``name``, with the root's help style."""
    module, attribute = COMMANDS[name]
    holder = getattr(importlib.import_module(f".{module}", __name__), attribute)
    group = typer.main.get_group(holder)
    command = group if name in _GROUPS else group.commands[name]
    command.name = name
    _set_markup(command)
    return command


def _set_markup(command: TyperCommand | TyperGroup) -> None:
    command.rich_markup_mode = _MARKUP
    for child in getattr(command, "commands", {}).values():
        _set_markup(child)


class _Subcommands(Mapping):
    """The root's subcommands by name, each built the first time it is looked up."""

    def __init__(self) -> None:
        self._built: dict[str, TyperCommand | TyperGroup] = {}

    def __getitem__(self, name: str) -> TyperCommand | TyperGroup:
        if name not in COMMANDS:
            raise KeyError(name)
        if name not in self._built:
            self._built[name] = _load(name)
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


def _debugging(ctx: typer.Context) -> bool:
    return bool(ctx.params.get("debug")) or os.environ.get("STEGOKIT_DEBUG") == "1"


def _fail(ctx: typer.Context, code: int, kind: str, message: str) -> None:
    """The error line on stderr, the error object on stdout under --json, the exit code."""
    error_line(message)
    if ctx.meta.get(_JSON):
        print_json({"error": error_object(code, kind, message)}, one_line=True)
    ctx.exit(code)


class _Guarded(TyperGroup):
    """A group that maps errors raised by any subcommand to exit codes, and loads each
    subcommand when it is named."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.commands = _Subcommands()

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        ctx.meta[_JSON] = wants_json(args)  # the whole command line, subcommands included
        return super().parse_args(ctx, args)

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except StegokitError as exc:
            if _debugging(ctx):
                raise
            _fail(ctx, exc.exit_code, error_kind(exc), error_message(exc))
        except typer.TyperException as exc:  # Click's usage errors: it prints them itself
            if ctx.meta.get(_JSON):
                kind = "usage" if exc.exit_code == ExitStatus.USAGE else "input"
                print_json({"error": error_object(exc.exit_code, kind, exc.format_message())},
                           one_line=True)
            raise
        except typer.Abort:  # Ctrl-D or Ctrl-C at a prompt
            _fail(ctx, ExitStatus.ERROR, "aborted", "aborted at the prompt")
        except KeyboardInterrupt:
            _fail(ctx, ExitStatus.INTERRUPTED, "interrupted", "interrupted")
        except typer.Exit:
            raise
        except Exception as exc:
            if _debugging(ctx):
                raise
            if isinstance(exc, UnicodeEncodeError) and exc.reason == "surrogates not allowed":
                # an argument with bytes that are not UTF-8 (Python keeps them as surrogates)
                _fail(ctx, ExitStatus.ERROR, "input", "an argument holds bytes that are not "
                      "UTF-8 text: give it as UTF-8 text")
            _fail(ctx, ExitStatus.ERROR, "internal",
                  f"internal error: {exc!r} (run with --debug to see the traceback)")


app = typer.Typer(
    cls=_Guarded,
    name="stegokit",
    no_args_is_help=True,
    rich_markup_mode=_MARKUP,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"stegokit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks (or STEGOKIT_DEBUG=1)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Hide text, files and images inside images, and find them again.

    Exit codes: 0 success, 1 error, 2 usage, 3 no hidden message, 4 authentication failed.
    """


def _terminate(signum, frame) -> None:
    raise SystemExit(128 + signum)


def main() -> None:
    """Entry point of the ``stegokit`` console script.

    SIGTERM unwinds like Ctrl-C, so a half-written output is removed on the way out.
    """
    signal.signal(signal.SIGTERM, _terminate)
    app()
