"""The ``stegokit`` command line: a thin Typer layer over the library.

``main()`` runs the app; the :class:`_Guarded` group turns every :class:`StegokitError` into
one line on stderr and its exit code (see :class:`ExitStatus`), and under ``--json`` also
into ``{"error": {"code", "kind", "message"}}`` on stdout (usage errors too).
``--debug`` or ``STEGOKIT_DEBUG=1`` shows the traceback instead.
"""

from __future__ import annotations

import os
import signal

import typer
from typer.core import TyperGroup

from .. import __version__
from ..errors import StegokitError
from ..reports import error_kind, error_object
from . import analyze, batch, capacity, demo, exchange, image, serve, text
from .common import ExitStatus, error_line, error_message, print_json, wants_json
from .mail import app as mail_app
from .users import app as history_app
from .users import contact_app, user_app

_JSON = "stegokit.json"


def _debugging(ctx: typer.Context) -> bool:
    return bool(ctx.params.get("debug")) or os.environ.get("STEGOKIT_DEBUG") == "1"


def _fail(ctx: typer.Context, code: int, kind: str, message: str) -> None:
    """The error line on stderr, the error object on stdout under --json, the exit code."""
    error_line(message)
    if ctx.meta.get(_JSON):
        print_json({"error": error_object(code, kind, message)}, one_line=True)
    ctx.exit(code)


class _Guarded(TyperGroup):
    """A group that maps errors raised by any subcommand to exit codes."""

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
    rich_markup_mode="markdown",  # help paragraphs reflow to the terminal's width
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


app.add_typer(demo.app)
app.add_typer(text.app)
app.add_typer(capacity.app)
app.add_typer(analyze.app)
app.add_typer(image.app)
app.add_typer(user_app, name="user")
app.add_typer(contact_app, name="contact")
app.add_typer(history_app)
app.add_typer(mail_app)
app.add_typer(exchange.app)
app.add_typer(batch.app)
app.add_typer(serve.app)


def _terminate(signum, frame) -> None:
    raise SystemExit(128 + signum)


def main() -> None:
    """Entry point of the ``stegokit`` console script.

    SIGTERM unwinds like Ctrl-C, so a half-written output is removed on the way out.
    """
    signal.signal(signal.SIGTERM, _terminate)
    app()
