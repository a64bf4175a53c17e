"""Sign-in sessions and CSRF tokens.

Every visitor holds one cookie, ``stegokit_session``: a random session id, the time it
expires and an HMAC-SHA256 of both under the server's secret (random per process unless
given), so that a forged, altered or expired cookie is ignored and replaced. The cookie is
HttpOnly, SameSite=Strict, Secure over HTTPS, and expires (Max-Age). Nothing secret is in
it: the signed-in user, with the private key unlocked by their password at sign-in, lives in
this process's memory under the session id, and is forgotten at sign-out, at expiry, after
an idle time, or when the server stops. Signing in and out give a new session id (no
session fixation).

The CSRF token of a form is an HMAC of the session id: a page of another site can neither
read it nor send the cookie (SameSite=Strict), and a token is worthless with another
session.

Pages use:

- :func:`signed_in` (the :class:`SignedIn` user of a request, or None);
- :func:`require_user` (the user, else :class:`SignInRequired`, which the app answers
  with a redirect to the sign-in page);
- :func:`csrf_token` (the token every form carries as ``csrf_token``) and
  :func:`check_csrf` (:class:`CsrfRefused`, answered 403, unless the token is right).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

COOKIE = "stegokit_session"
CSRF_FIELD = "csrf_token"
#: A session ends this long after sign-in, whatever happens.
LIFETIME_S = 8 * 3600
#: ... or after this long without a request.
IDLE_S = 3600
#: Results (stego images, revealed files) kept per session for download, newest last.
KEPT_FILES = 12


class SignInRequired(Exception):
    """The page needs a signed-in user (answered with a redirect to /signin)."""


class CsrfRefused(Exception):
    """A form came without this session's CSRF token (answered 403)."""


@dataclass(frozen=True)
class KeptFile:
    """A result held in memory for download: bytes, media type and a safe file name."""

    data: bytes
    media_type: str
    filename: str


@dataclass
class SignedIn:
    """A signed-in user: keyring id, name, e-mail and the unlocked private key.

    ``files`` holds the session's results for download (:meth:`keep`).
    """

    user_id: int
    name: str
    email: str
    private_key: bytes = field(repr=False)
    expires: float = 0.0
    last_seen: float = 0.0
    files: OrderedDict[str, KeptFile] = field(default_factory=OrderedDict, repr=False)

    def keep(self, data: bytes, media_type: str, filename: str) -> str:
        """Hold a result for download; returns its URL (``/files/TOKEN``). ``filename`` must
        already be safe (:func:`stegokit.web.uploads.safe_filename`).

        Only the :data:`KEPT_FILES` newest are kept; they go with the session.
        """
        token = secrets.token_urlsafe(18)
        self.files[token] = KeptFile(data, media_type, filename)
        while len(self.files) > KEPT_FILES:
            self.files.popitem(last=False)
        return f"/files/{token}"


class SessionStore:
    """Signed cookies and the signed-in sessions of one server process."""

    def __init__(self, secret: bytes | None = None, *, lifetime_s: float = LIFETIME_S,
                 idle_s: float = IDLE_S, secure: bool = False,
                 clock: Callable[[], float] = time.time) -> None:
        self._secret = secret or secrets.token_bytes(32)
        self.lifetime_s = lifetime_s
        self.idle_s = idle_s
        self.secure = secure
        self.clock = clock
        self._sessions: dict[str, SignedIn] = {}
        self._lock = threading.Lock()

    # --- cookies ---

    def _mac(self, label: bytes, text: str) -> str:
        digest = hmac.new(self._secret, label + text.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def new_cookie(self) -> tuple[str, str]:
        """A fresh session id and the signed cookie value naming it."""
        session_id = secrets.token_urlsafe(24)
        expires = int(self.clock() + self.lifetime_s)
        body = f"{session_id}.{expires}"
        return session_id, f"{body}.{self._mac(b'cookie', body)}"

    def read_cookie(self, value: str | None) -> str | None:
        """The session id of a cookie value if its signature holds and it has not expired."""
        if not value or value.count(".") != 2:
            return None
        session_id, expires, mac = value.split(".")
        body = f"{session_id}.{expires}"
        if not hmac.compare_digest(mac, self._mac(b"cookie", body)):
            return None
        if not expires.isdigit() or int(expires) <= self.clock():
            return None
        return session_id

    def set_cookie_header(self, value: str) -> str:
        """The ``Set-Cookie`` header value for a cookie value."""
        secure = "; Secure" if self.secure else ""
        return (f"{COOKIE}={value}; Path=/; Max-Age={int(self.lifetime_s)}; HttpOnly; "
                f"SameSite=Strict{secure}")

    def csrf_token(self, session_id: str) -> str:
        return self._mac(b"csrf", session_id)

    # --- signed-in sessions ---

    def user(self, session_id: str) -> SignedIn | None:
        """The signed-in user of a session, or None (expired and idle ones are dropped)."""
        now = self.clock()
        with self._lock:
            found = self._sessions.get(session_id)
            if found is None:
                return None
            if now >= found.expires or now - found.last_seen >= self.idle_s:
                del self._sessions[session_id]
                return None
            found.last_seen = now
            return found

    def add(self, session_id: str, user: SignedIn) -> None:
        now = self.clock()
        user.expires, user.last_seen = now + self.lifetime_s, now
        with self._lock:
            self._drop_expired(now)
            self._sessions[session_id] = user

    def remove(self, session_id: str) -> SignedIn | None:
        with self._lock:
            return self._sessions.pop(session_id, None)

    def _drop_expired(self, now: float) -> None:
        stale = [sid for sid, user in self._sessions.items()
                 if now >= user.expires or now - user.last_seen >= self.idle_s]
        for sid in stale:
            del self._sessions[sid]


class SessionMiddleware:
    """ASGI middleware: reads the session cookie into ``scope["state"]`` and sets a new one
    when the request had none (or a bad one) or the session id changed (sign-in, sign-out).
    """

    def __init__(self, app, store: SessionStore) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        sent = self.store.read_cookie(_cookie_value(scope))
        if sent is None:
            state["session_id"], state["session_cookie"] = self.store.new_cookie()
        else:
            state["session_id"], state["session_cookie"] = sent, None

        async def send_with_cookie(message) -> None:
            if message["type"] == "http.response.start" and state.get("session_cookie"):
                header = self.store.set_cookie_header(state["session_cookie"])
                message["headers"] = [*message.get("headers", []),
                                      (b"set-cookie", header.encode("latin-1"))]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _cookie_value(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header: as if none was sent
                return None
            if COOKIE in jar:
                return jar[COOKIE].value
    return None


def _store(request) -> SessionStore:
    return request.app.state.sessions


def signed_in(request) -> SignedIn | None:
    """The signed-in user of this request, or None."""
    return _store(request).user(request.state.session_id)


def require_user(request) -> SignedIn:
    """The signed-in user of this request; :class:`SignInRequired` if there is none."""
    user = signed_in(request)
    if user is None:
        raise SignInRequired()
    return user


def csrf_token(request) -> str:
    """The CSRF token that forms of this session must send back as ``csrf_token``."""
    return _store(request).csrf_token(request.state.session_id)


def check_csrf(request, submitted: str | None) -> None:
    """Refuse (:class:`CsrfRefused`) a form whose ``csrf_token`` is not this session's."""
    if not submitted or not hmac.compare_digest(submitted, csrf_token(request)):
        raise CsrfRefused()


def start_session(request, user: SignedIn) -> None:
    """Sign ``user`` in under a new session id (the old one is dropped)."""
    store = _store(request)
    store.remove(request.state.session_id)
    session_id, cookie = store.new_cookie()
    request.state.session_id, request.state.session_cookie = session_id, cookie
    store.add(session_id, user)


def end_session(request) -> SignedIn | None:
    """Sign out: forget the user and their key, and start a new anonymous session."""
    store = _store(request)
    user = store.remove(request.state.session_id)
    request.state.session_id, request.state.session_cookie = store.new_cookie()
    return user
