"""The exchange endpoint other stegokit users ``send`` to, and the signed-in user's Inbox.

``POST /exchange/v1/send?to=EMAIL[&from=EMAIL]`` (protocol in docs/exchange.md) takes one
image for a user of this server's keyring. In order: the client's rate limit (429), the
recipient (400 without one, 404 if no such user), the declared type (415) and size (413),
then the body, streamed into the inbox (:mod:`stegokit.inbox`) with its size bounded (413)
and its format checked by content without decoding (415); a malformed sender is 400, a full
inbox 507, a damaged keyring or inbox 500 (the details go to the server's log only).
Every answer is JSON; an error is ``{"error": "..."}`` in the CLI's words. The endpoint
reads no cookie and changes no session, so it takes no CSRF token; it takes only bodies
declared ``application/octet-stream`` or ``image/*``, which a page of another site cannot
make a browser send unasked (415 otherwise). The rate limit bounds what one client address
can store or probe.

The Inbox page (``/inbox``) lists what arrived for the signed-in user; each image opens with
the user's key in one click (a POST with the CSRF token), downloads byte for byte, or is
deleted. An image of another user is refused (403), whatever its id.

Limits come from the environment, read when the app is made: ``STEGOKIT_INBOX_LIMITS`` =
``max_image_bytes,max_files,max_total_bytes`` (per recipient) and ``STEGOKIT_EXCHANGE_RATE``
= ``uploads,seconds`` per client address.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..errors import InputError, StegokitError
from ..exchange import SEND_PATH
from ..inbox import Arrival, Inbox, InboxFull, Limits, NotAnImage, TooLarge
from . import sessions
from .ratelimit import AttemptLimiter
from .refusals import Refused
from .render import error_page, message_of, page, status_of
from .uploads import read_form

log = logging.getLogger("stegokit.web")

LIMITS_ENV = "STEGOKIT_INBOX_LIMITS"
RATE_ENV = "STEGOKIT_EXCHANGE_RATE"
#: Media types of the stored formats, for downloads.
MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "BMP": "image/bmp",
               "TIFF": "image/tiff", "WEBP": "image/webp", "GIF": "image/gif"}


@dataclass(frozen=True)
class ExchangeSettings:
    """The inbox's limits, and how many uploads one client address may make per window."""

    limits: Limits = field(default_factory=Limits)
    uploads_per_window: int = 120
    window_s: float = 60.0

    @classmethod
    def from_environment(cls) -> ExchangeSettings:
        """The defaults, changed by :data:`LIMITS_ENV` and :data:`RATE_ENV` if set."""
        settings = cls()
        limits, rate = os.environ.get(LIMITS_ENV), os.environ.get(RATE_ENV)
        try:
            if limits:
                sizes = [int(v) for v in limits.split(",")]
                if len(sizes) != 3 or min(sizes) < 1:
                    raise ValueError(limits)
                settings = cls(Limits(*sizes), settings.uploads_per_window, settings.window_s)
            if rate:
                uploads, seconds = rate.split(",")
                settings = cls(settings.limits, int(uploads), float(seconds))
                if settings.uploads_per_window < 1 or not settings.window_s > 0:
                    raise ValueError(rate)
        except ValueError:
            raise InputError(f"{LIMITS_ENV} is 'max_image_bytes,max_files,max_total_bytes' "
                             f"and {RATE_ENV} is 'uploads,seconds'") from None
        return settings


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _binary(content_type: str) -> bool:
    """Whether a body is declared as bytes or an image: types a web page cannot send to
    another site without the browser asking first (CORS), which this server never allows."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/octet-stream" or kind.startswith("image/")


def _recipient(address: str) -> str | None:
    """The keyring's spelling of a local user's address, or None if there is no such user."""
    from ..keyring import Keyring

    keyring = Keyring.open_existing()
    if keyring is None:
        return None
    with keyring:
        user = keyring.find_user(address)
    return user.email if user else None


class Exchange:
    """The receiving endpoint and the Inbox page over this server's inbox."""

    def __init__(self, settings: ExchangeSettings) -> None:
        self.settings = settings
        # Each upload counts as one attempt of its client address.
        self.uploads = AttemptLimiter(settings.uploads_per_window, settings.window_s)

    def inbox(self) -> Inbox:
        return Inbox.open(self.settings.limits)

    # --- receiving ---

    async def receive(self, request: Request) -> JSONResponse:
        client = f"upload:{request.client.host if request.client else '?'}"
        wait = self.uploads.wait_s([client])
        if wait:
            seconds = max(math.ceil(wait), 1)
            return _error(429, f"too many uploads from this address; try again in {seconds} s",
                          {"Retry-After": str(seconds)})
        self.uploads.fail([client])
        try:
            return await self._receive(request)
        except TooLarge as exc:
            return _error(413, str(exc))
        except NotAnImage as exc:
            return _error(415, str(exc))
        except InboxFull as exc:
            return _error(507, str(exc))
        except InputError as exc:  # the sender's address
            return _error(400, str(exc))
        except StegokitError as exc:  # a damaged keyring or inbox: not the sender's business
            log.error("the exchange cannot store an image: %s", exc)
            return _error(500, "this server cannot store images now: tell its owner")

    async def _receive(self, request: Request) -> JSONResponse:
        to = request.query_params.get("to", "").strip()
        if not to:
            return _error(400, "say who the image is for: ?to=EMAIL")
        recipient = await run_in_threadpool(_recipient, to)
        if recipient is None:
            return _error(404, f"no user {to} on this server: check the address with its "
                          "owner")
        if not _binary(request.headers.get("content-type", "")):
            return _error(415, "send the image as application/octet-stream (the image's "
                          "bytes as the request's body)")
        limit = self.settings.limits.max_image_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return _error(413, f"the image is larger than this inbox accepts ({limit:,} "
                          "bytes)")
        arrival = await self._store(request, recipient)
        return JSONResponse(arrival.as_dict(), status_code=201)

    async def _store(self, request: Request, recipient: str) -> Arrival:
        inbox = await run_in_threadpool(self.inbox)
        with inbox.receiving(recipient, request.query_params.get("from")) as upload:
            async for chunk in request.stream():
                upload.write(chunk)
            return await run_in_threadpool(upload.commit)

    # --- the Inbox page ---

    def _rows(self, user: sessions.SignedIn) -> list[Arrival]:
        store = Inbox.open_existing()
        return store.arrivals(user.email) if store else []

    def _own(self, user: sessions.SignedIn, arrival_id: str) -> tuple[Inbox, Arrival]:
        """The user's arrival with this id; 404 if none, 403 if it is another user's."""
        store = Inbox.open_existing()
        arrival = store.find(arrival_id) if store else None
        if arrival is None:
            raise Refused(404, "no such image in the inbox")
        if arrival.recipient.casefold() != user.email.casefold():
            raise Refused(403, "this image was sent to another user: it is not yours to open")
        return store, arrival

    async def page(self, request: Request, extra: dict | None = None, status: int = 200):
        user = sessions.require_user(request)
        context = {"title": "Inbox", "arrivals": await run_in_threadpool(self._rows, user),
                   "opened": None, **(extra or {})}
        if context.get("error"):
            return error_page(request, context.pop("error"), status, "inbox.html", context)
        return page(request, "inbox.html", context, status)

    def _open(self, user: sessions.SignedIn, arrival_id: str) -> dict:
        from .. import api, reports
        from ..safetext import count_controls, escape_controls
        from .uploads import safe_filename

        store, arrival = self._own(user, arrival_id)
        store.read(arrival)  # its SHA-256 checked first: a changed file is never opened
        found = api.extract_text(arrival.path, private_key=user.private_key)
        payload, notes = found.payload, list(found.notices)
        text = None
        if payload.kind == "text":
            text = escape_controls(payload.text, keep_lines=True)
            if count_controls(payload.text, keep_lines=True):
                notes.append("the message holds control characters, shown escaped (like "
                             "\\x1b); download it for the exact text")
            name, media = "message.txt", "text/plain; charset=utf-8"
        else:
            name, media = safe_filename(payload.name, "hidden-file.bin"), \
                "application/octet-stream"
        return {"opened": {"id": arrival.id, "report": reports.extract_report(found),
                           "text": text, "filename": name,
                           "file_url": user.keep(payload.data, media, name)},
                "notices": notes}

    async def open(self, request: Request):
        user = sessions.require_user(request)
        form = await read_form(request)
        sessions.check_csrf(request, form.get(sessions.CSRF_FIELD))
        try:
            result = await run_in_threadpool(self._open, user,
                                             request.path_params["arrival_id"])
        except StegokitError as exc:
            return await self.page(request, {"error": message_of(exc)}, status_of(exc))
        return await self.page(request, result)

    async def download(self, request: Request) -> Response:
        user = sessions.require_user(request)

        def read() -> tuple[Arrival, bytes]:
            store, arrival = self._own(user, request.path_params["arrival_id"])
            return arrival, store.read(arrival)

        arrival, data = await run_in_threadpool(read)
        return Response(data, media_type=MEDIA_TYPES[arrival.format], headers={
            "content-disposition": f'attachment; filename="{arrival.file_name}"',
            "cache-control": "no-store"})

    async def delete(self, request: Request):
        user = sessions.require_user(request)
        form = await read_form(request)
        sessions.check_csrf(request, form.get(sessions.CSRF_FIELD))

        def remove() -> None:
            store, arrival = self._own(user, request.path_params["arrival_id"])
            store.remove(arrival)

        await run_in_threadpool(remove)
        return RedirectResponse("/inbox", status_code=303)

    def routes(self) -> list[Route]:
        return [
            Route(SEND_PATH, self.receive, methods=["POST"]),
            Route("/inbox", self.page),
            Route("/inbox/{arrival_id}/open", self.open, methods=["POST"]),
            Route("/inbox/{arrival_id}/download", self.download),
            Route("/inbox/{arrival_id}/delete", self.delete, methods=["POST"]),
        ]


def routes() -> list[Route]:
    """The exchange's routes, with limits from the environment."""
    return Exchange(ExchangeSettings.from_environment()).routes()
