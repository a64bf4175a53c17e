"""The exchange endpoint other stegokit users ``send`` to, and the signed-in user's Inbox page.

``POST /exchange/v1/send?to=EMAIL[&from=EMAIL]`` (protocol in docs/exchange.md) takes one
image for a user of this server's keyring. In order: the client's rate limit (429), the
recipient (404 if no such user), the declared size (413), then the body, streamed into the
inbox with its size bounded (413) and its format checked by content without decoding
(415); a full inbox is 507. Every answer is JSON; an error is ``{"error": "..."}`` in the
CLI's words. The endpoint takes no cookies and changes no session, so it needs no CSRF
token; the rate limit bounds what one client can store or probe.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..errors import InputError, StegokitError
from ..exchange import SEND_PATH
from ..inbox import Inbox, InboxFull, Limits, NotAnImage, TooLarge
from .ratelimit import RateLimiter


@dataclass(frozen=True)
class ExchangeSettings:
    """The inbox's limits and how many uploads one client address may make per window."""

    limits: Limits = field(default_factory=Limits)
    uploads_per_window: int = 120
    window_s: float = 60.0


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _recipient(address: str) -> str | None:
    """The keyring's spelling of a local user's address, or None if there is no such user."""
    from ..keyring import Keyring

    keyring = Keyring.open_existing()
    if keyring is None:
        return None
    with keyring:
        user = keyring.find_user(address)
    return user.email if user else None


class ExchangeEndpoint:
    """Receives images into the inbox of this server's data folder."""

    def __init__(self, settings: ExchangeSettings) -> None:
        self.settings = settings
        self.limiter = RateLimiter(settings.uploads_per_window, settings.window_s)

    def inbox(self) -> Inbox:
        return Inbox.open(self.settings.limits)

    async def receive(self, request: Request) -> JSONResponse:
        client = request.client.host if request.client else "unknown"
        wait = self.limiter.wait_needed(client)
        if wait:
            return _error(429, f"too many uploads from {client}; try again in {wait:.0f} s",
                          {"Retry-After": str(max(int(wait + 0.999), 1))})
        to = request.query_params.get("to", "").strip()
        if not to:
            return _error(400, "say who the image is for: ?to=EMAIL")
        recipient = await run_in_threadpool(_recipient, to)
        if recipient is None:
            return _error(404, f"no user {to} on this server: check the address with its "
                          "owner (stegokit user list there)")
        limit = self.settings.limits.max_image_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return _error(413, f"the image is larger than this inbox accepts ({limit:,} "
                          "bytes)")
        try:
            arrival = await self._store(request, recipient)
        except TooLarge as exc:
            return _error(413, str(exc))
        except NotAnImage as exc:
            return _error(415, str(exc))
        except InboxFull as exc:
            return _error(507, str(exc))
        except InputError as exc:  # the sender's address
            return _error(400, str(exc))
        except StegokitError as exc:
            return _error(500, str(exc))
        return JSONResponse(arrival.as_dict(), status_code=201)

    async def _store(self, request: Request, recipient: str):
        inbox = await run_in_threadpool(self.inbox)
        sender = request.query_params.get("from")
        with inbox.receiving(recipient, sender) as upload:
            async for chunk in request.stream():
                upload.write(chunk)
            return await run_in_threadpool(upload.commit)

    def routes(self) -> list[Route]:
        return [Route(SEND_PATH, self.receive, methods=["POST"])]
