"""Register, sign in and sign out with the keyring's users (the CLI's password hashing).

Signing in unlocks the user's private key with their password; the key stays in the
server's memory with the session (:mod:`.sessions`). Failed sign-ins are counted per client
address and per e-mail (:mod:`.ratelimit`); past the limit the page answers 429. A wrong
password and an unknown e-mail get the same answer, after the same work.
"""

from __future__ import annotations

import functools
from urllib.parse import quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse
from starlette.routing import Route

from .. import crypto
from ..errors import AuthenticationError, StegokitError
from ..keyring import Keyring, password_kdf
from . import sessions
from .refusals import Refused
from .render import error_page, message_of, page, status_of
from .uploads import read_form

WRONG = "authentication failed: wrong e-mail or password"


def _next_path(value: str) -> str:
    """Where to go after signing in: a path on this site only, else the Hide page."""
    parts = urlsplit(value or "")
    if value.startswith("/") and not value.startswith("//") and not parts.netloc \
            and "\\" not in value:
        return value
    return "/hide"


@functools.cache
def _decoy_hash() -> str:
    """A password hash that matches nothing, to spend the same time on unknown e-mails."""
    return crypto.hash_password("stegokit decoy", params=password_kdf())


def _unlock(email: str, password: str) -> sessions.SignedIn:
    """The user and their private key if the password is theirs, else AuthenticationError."""
    with Keyring.open() as keyring:
        user = keyring.find_user(email.strip())
        if user is None:
            crypto.verify_password(_decoy_hash(), password)
            raise AuthenticationError(WRONG)
        try:
            key = keyring.unlock(user.email, password)
        except AuthenticationError:
            raise AuthenticationError(WRONG) from None
    return sessions.SignedIn(user.id, user.name, user.email, key)


def _register(name: str, email: str, password: str) -> sessions.SignedIn:
    with Keyring.open() as keyring:
        keyring.check_new_email(email)
        user = keyring.register(name, email, password)
        key = keyring.unlock(user.email, password)
    return sessions.SignedIn(user.id, user.name, user.email, key)


def _client(request) -> str:
    return f"client:{request.client.host if request.client else '?'}"


async def signin(request):
    """GET: the sign-in form. POST: check the password, start the session, redirect."""
    next_path = _next_path(request.query_params.get("next", ""))
    context = {"title": "Sign in", "next": next_path, "email": ""}
    if request.method == "GET":
        return page(request, "signin.html", context)
    form = await read_form(request)
    sessions.check_csrf(request, form.get(sessions.CSRF_FIELD))
    email = form.get("email").strip()
    context.update(email=email, next=_next_path(form.get("next")))
    limiter = request.app.state.limiter
    keys = [_client(request), f"email:{email.lower()}"]
    wait = limiter.wait_s(keys)
    if wait > 0:
        return error_page(request, f"too many failed sign-ins: try again in {int(wait) + 1} s",
                          429, "signin.html", context)
    try:
        user = await run_in_threadpool(_unlock, email, form.get("password"))
    except AuthenticationError as exc:
        limiter.fail(keys)
        return error_page(request, str(exc), 403, "signin.html", context)
    except StegokitError as exc:
        return error_page(request, message_of(exc), status_of(exc), "signin.html", context)
    limiter.clear(keys[1])
    sessions.start_session(request, user)
    return RedirectResponse(context["next"], status_code=303)


async def register(request):
    """GET: the registration form. POST: a new keyring user with a new key pair."""
    context = {"title": "Register", "name": "", "email": ""}
    if request.method == "GET":
        return page(request, "register.html", context)
    form = await read_form(request)
    sessions.check_csrf(request, form.get(sessions.CSRF_FIELD))
    context.update(name=form.get("name"), email=form.get("email"))
    limiter = request.app.state.registrations
    keys = [_client(request)]
    wait = limiter.wait_s(keys)
    if wait > 0:
        return error_page(request, f"too many registrations: try again in {int(wait) + 1} s",
                          429, "register.html", context)
    password = form.get("password")
    try:
        if password != form.get("password2"):
            raise Refused(400, "the two passwords differ")
        if not password:
            raise Refused(400, "the password is empty")
        limiter.fail(keys)  # every registration counts: each costs a key derivation
        user = await run_in_threadpool(_register, form.get("name"), form.get("email"),
                                       password)
    except Refused as exc:
        return error_page(request, exc.message, exc.status, "register.html", context)
    except StegokitError as exc:
        return error_page(request, message_of(exc), status_of(exc), "register.html", context)
    sessions.start_session(request, user)
    return RedirectResponse("/hide", status_code=303)


async def signout(request):
    """POST only: forget the session and the unlocked key."""
    form = await read_form(request)
    sessions.check_csrf(request, form.get(sessions.CSRF_FIELD))
    sessions.end_session(request)
    return RedirectResponse("/signin", status_code=303)


def signin_redirect(request) -> RedirectResponse:
    """The redirect a signed-out visitor gets from a page that needs a user."""
    return RedirectResponse(f"/signin?next={quote(request.url.path)}", status_code=303)


def routes() -> list[Route]:
    return [
        Route("/signin", signin, methods=["GET", "POST"]),
        Route("/register", register, methods=["GET", "POST"]),
        Route("/signout", signout, methods=["POST"]),
    ]
