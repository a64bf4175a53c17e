"""The ``stegokit`` command line: a thin Typer layer over the library.

``main()`` runs the app; the :class:`_Guarded` group turns every :class:`StegokitError` into
one line on stderr and its exit code (see :class:`ExitStatus`). ``--debug`` or
``STEGOKIT_DEBUG=1`` shows the traceback instead.
"""

from __future__ import annotations

import os
import signal

import typer
from typer.core import TyperGroup

from .. import __version__
from ..errors import StegokitError
from . import analyze, batch, capacity, demo, exchange, image, serve, text
from .common import ExitStatus, error_line
from .mail import app as mail_app
from .users import app as history_app
from .users import contact_app, user_app


def _debugging(ctx: typer.Context) -> bool:
    return bool(ctx.params.get("debug")) or os.environ.get("STEGOKIT_DEBUG") == "1"


class _Guarded(TyperGroup):
    """A group that maps errors raised by any subcommand to exit codes."""

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except StegokitError as exc:
            if _debugging(ctx):
                raise
            error_line(str(exc))
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            error_line("interrupted")
            ctx.exit(ExitStatus.INTERRUPTED)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as exc:
            if _debugging(ctx):
                raise
            error_line(f"internal error: {exc!r} (run with --debug to see the traceback)")
            ctx.exit(ExitStatus.ERROR)


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


app.add_typer(text.app)
app.add_typer(image.app)
app.add_typer(capacity.app)
app.add_typer(analyze.app)
app.add_typer(demo.app)
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
