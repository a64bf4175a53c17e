"""The web app of ``stegokit serve``: :func:`create_app` builds it (Starlette).

Every page is a plain HTML form that works without JavaScript; the shipped script adds
drag-and-drop, previews and the capacity of a chosen cover. Each action is one call into the
library, as the CLI makes it. Pages that act need a signed-in user (:mod:`.sessions`) and
the form's CSRF token; uploads are streamed to a private folder removed after the request
(:mod:`.uploads`); a library error is one message on the page with a 4xx status, and any
other failure is a plain "internal error" page, never a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import StegokitError
from . import account, sessions, tools, uploads
from .ratelimit import AttemptLimiter
from .refusals import Refused
from .render import STATIC, error_page, make_templates, message_of, status_of
from .uploads import MAX_REQUEST_BYTES

log = logging.getLogger("stegokit.web")

#: Sent with every response: no framing, no sniffing, no referrer, only this site's
#: scripts and styles (no CDN, nothing inline).
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data: blob:; "
                               "script-src 'self'; style-src 'self'; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


class _SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` to every HTTP response."""

    def __init__(self, app) -> None:
        self.app = app
        self.headers = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _InternalErrors:
    """ASGI middleware: an unexpected exception becomes a plain 500 page, and the log gets
    its type only (its text or a traceback could quote what was submitted)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            log.error("internal error on %s %s: %s", scope.get("method"), scope.get("path"),
                      type(exc).__name__)
            if started:
                return
            response = Response("stegokit: internal error (see the server's log)",
                                status_code=500, media_type="text/plain")
            await response(scope, receive, send)


async def _home(request):
    target = "/hide" if sessions.signed_in(request) else "/signin"
    return RedirectResponse(target, status_code=303)


async def _sign_in_required(request, exc):
    return account.signin_redirect(request)


async def _csrf_refused(request, exc):
    return error_page(request, "this form has expired or did not come from this site: "
                      "reload the page and send it again", 403)


async def _refused(request, exc: Refused):
    return error_page(request, exc.message, exc.status)


async def _library_error(request, exc: StegokitError):
    return error_page(request, message_of(exc), status_of(exc))


async def _http_error(request, exc: HTTPException):
    if exc.status_code == 404:
        return error_page(request, "no such page", 404)
    if exc.status_code == 405:
        return error_page(request, "this page does not take that method", 405)
    return error_page(request, str(exc.detail), exc.status_code)


def create_app(*, secret: bytes | None = None, secure_cookies: bool = False,
               max_upload_bytes: int = MAX_REQUEST_BYTES,
               session_lifetime_s: float = sessions.LIFETIME_S,
               session_idle_s: float = sessions.IDLE_S,
               clock: Callable[[], float] | None = None,
               extra_routes: list[BaseRoute] | None = None) -> Starlette:
    """The web app.

    Parameters
    ----------
    secret : bytes, optional
        Signs the session cookies and CSRF tokens (default: random, so sessions end when
        the server stops).
    secure_cookies : bool
        Mark the cookie Secure (``stegokit serve`` does over HTTPS).
    max_upload_bytes : int
        The most bytes one request may send; more is refused (413) while it arrives.
    session_lifetime_s, session_idle_s : float
        A session ends this long after sign-in, or after this long without a request.
    clock : callable, optional
        ``time.time`` by default (tests move it forward).
    extra_routes : list, optional
        More routes (tests).
    """
    import time

    store = sessions.SessionStore(secret, lifetime_s=session_lifetime_s,
                                  idle_s=session_idle_s, secure=secure_cookies,
                                  clock=clock or time.time)
    routes: list[BaseRoute] = [
        Route("/", _home),
        *account.routes(),
        *tools.routes(),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    # ---- EXTRA ROUTES: other faces of the app add their routes here (e.g. the exchange's
    # ---- receive endpoint and Inbox page: ``*exchange.routes()``).
    from . import exchange  # the client-server exchange (docs/exchange.md)

    routes += exchange.routes()
    routes += extra_routes or []
    # ---- end of EXTRA ROUTES
    app = Starlette(
        routes=routes,
        middleware=[Middleware(_SecurityHeaders),
                    Middleware(sessions.SessionMiddleware, store=store),
                    Middleware(_InternalErrors)],
        exception_handlers={
            sessions.SignInRequired: _sign_in_required,
            sessions.CsrfRefused: _csrf_refused,
            Refused: _refused,
            StegokitError: _library_error,
            HTTPException: _http_error,
        },
    )
    uploads.sweep()
    app.state.sessions = store
    app.state.limiter = AttemptLimiter()
    app.state.registrations = AttemptLimiter(max_failures=20)
    app.state.templates = make_templates()
    app.state.max_upload_bytes = max_upload_bytes
    return app
