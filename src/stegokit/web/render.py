"""Pages: the Jinja2 templates (autoescaped), the navigation, and error pages.

:func:`page` renders a template with what every page needs (the signed-in user, the CSRF
token, the navigation); :func:`error_page` renders one message with a 4xx status. A library
error is shown as the CLI words it (:func:`message_of`), with the request's temporary
folder left out of file names.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

from ..errors import AuthenticationError, NoPayloadError, StegokitError
from ..safetext import escape_controls
from . import sessions

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

#: The navigation bar of a signed-in user: (path, label).
NAV = (
    ("/hide", "Hide"),
    ("/reveal", "Reveal"),
    ("/hide-image", "Hide image"),
    ("/reveal-image", "Reveal image"),
    ("/capacity", "Capacity"),
    ("/analyze", "Analyze"),
    ("/contacts", "Contacts"),
    ("/mail", "Send by e-mail"),
    ("/history", "History"),
    ("/inbox", "Inbox"),
)


def _psnr(value: float | None) -> str:
    """A PSNR as the CLI prints it: ``identical`` for an unchanged image."""
    if value is None or not math.isfinite(value):
        return "identical"
    return f"{value:.1f} dB"


def make_templates():
    """The Jinja2 environment over ``templates/``, HTML escaped everywhere."""
    import jinja2
    from starlette.templating import Jinja2Templates

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["psnr"] = _psnr
    env.filters["number"] = lambda n: f"{n:,}"
    return Jinja2Templates(env=env)


def page(request, template: str, context: dict | None = None, status: int = 200):
    """Render ``template`` with the user, CSRF token and navigation every page shows."""
    values = {"user": sessions.signed_in(request), "csrf_token": sessions.csrf_token(request),
              "nav": NAV, "error": None, "notices": (), "title": ""}
    values.update(context or {})
    response = request.app.state.templates.TemplateResponse(
        request, template, values, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(request, message: str, status: int, template: str = "error.html",
               context: dict | None = None):
    """One error message on ``template`` (the form again, by default a plain page)."""
    return page(request, template, {**(context or {}), "error": message,
                                    "title": (context or {}).get("title", "Error")}, status)


def status_of(error: StegokitError) -> int:
    """The HTTP status for a library error: 403 authentication failed, 422 no hidden
    message, 400 any other (bad input, capacity, format)."""
    if isinstance(error, AuthenticationError):
        return 403
    if isinstance(error, NoPayloadError):
        return 422
    return 400


def message_of(error: Exception | str, folder: Path | None = None) -> str:
    """The error's (or a notice's) one line as the CLI shows it, without the request's
    temporary folder (``/…/web-tmp/ab12/cover/photo.png`` reads ``photo.png``)."""
    text = str(error)
    if folder is not None:
        prefix = re.escape(os.fspath(folder) + os.sep)
        text = re.sub(prefix + r"(?:[\w-]+" + re.escape(os.sep) + r")?", "", text)
    return escape_controls(text)
