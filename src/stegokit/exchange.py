"""The client-server exchange: deliver a stego image to another stegokit server's inbox.

The protocol is one HTTP request (docs/exchange.md)::

    POST /exchange/v1/send?to=RECIPIENT&from=SENDER
    Content-Type: application/octet-stream
    Content-Length: N

    <the image file, byte for byte>

answered by JSON: ``201`` with the stored arrival (its ``sha256`` among others), else an
error status with ``{"error": "..."}``. The client checks that the server stored the same
SHA-256 it sent. Over HTTPS the server's certificate is verified against the system's
certificate authorities, plus ``cafile`` when given (a self-signed server's certificate).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from .errors import InputError, StegokitError
from .safetext import escape_controls

if TYPE_CHECKING:
    import http.client
    import ssl

SEND_PATH = "/exchange/v1/send"
DEFAULT_TIMEOUT_S = 60.0
#: The longest server message shown.
SERVER_TEXT_LIMIT = 300


class ExchangeError(StegokitError):
    """The image could not be delivered."""


class Unreachable(ExchangeError):
    """The server could not be reached (connection, TLS, timeout)."""


class Refused(ExchangeError):
    """The server answered and refused the image; ``status`` is its HTTP status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Delivery:
    """What the server stored: its id for the image, and the SHA-256 both sides agree on."""

    server: str
    recipient: str
    id: str
    sha256: str
    size: int
    received: str


def _origin(server: str) -> tuple[str, str, int, str]:
    """``(scheme, host, port, prefix)`` of a server URL; :class:`InputError` if it is none."""
    parts = urlsplit(server.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{server!r} is not a server URL (like https://host:8765)")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InputError(f"{server!r}: give the server's address only, without a query, "
                         "fragment or user name")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InputError(f"{server!r}: the port is not a number from 1 to 65535") from None
    return parts.scheme, parts.hostname, port, parts.path.rstrip("/")


def _tls_context(cafile: Path | None) -> ssl.SSLContext:
    """Certificates verified, host names checked; ``cafile`` trusted besides the system's."""
    import ssl

    context = ssl.create_default_context()
    if cafile is not None:
        try:
            context.load_verify_locations(cafile=str(cafile))
        except (OSError, ssl.SSLError) as exc:
            raise InputError(f"{cafile}: cannot load the CA file ({exc})") from None
    return context


def _connection(scheme: str, host: str, port: int, timeout: float,
                cafile: Path | None) -> http.client.HTTPConnection:
    import http.client

    if scheme == "https":
        return http.client.HTTPSConnection(host, port, timeout=timeout,
                                           context=_tls_context(cafile))
    if cafile is not None:
        raise InputError("--cafile is for https:// servers; this one is http://")
    return http.client.HTTPConnection(host, port, timeout=timeout)


def _explain(exc: OSError, where: str, timeout: float) -> str:
    import socket
    import ssl

    if isinstance(exc, ssl.SSLCertVerificationError):
        return (f"the TLS certificate of {where} is not trusted ({exc.verify_message}); "
                "for a self-signed server use --cafile with its certificate")
    if isinstance(exc, ssl.SSLError):
        return f"TLS failure with {where} ({exc.reason or exc})"
    if isinstance(exc, TimeoutError):
        return f"{where} did not answer within {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return f"cannot connect to {where}: connection refused (is stegokit serve running?)"
    if isinstance(exc, socket.gaierror):
        return f"cannot find the host of {where}"
    if isinstance(exc, ConnectionError):
        return f"{where} closed the connection"
    return f"cannot reach {where} ({exc.strerror or exc})"


def _server_text(body: bytes) -> str:
    """The server's error message (JSON ``error``, else the body) as one printable line."""
    try:
        text = json.loads(body)["error"]
        if not isinstance(text, str):
            raise TypeError
    except (ValueError, TypeError, KeyError):
        text = body.decode("utf-8", errors="replace")
    text = " ".join(text.split())
    if len(text) > SERVER_TEXT_LIMIT:
        text = text[:SERVER_TEXT_LIMIT] + "…"
    return escape_controls(text)


def _delivery(server: str, body: bytes, sent_sha256: str,
              sent_size: int) -> Delivery:
    try:
        answer = json.loads(body)
        delivery = Delivery(server, str(answer["recipient"]), str(answer["id"]),
                            str(answer["sha256"]), int(answer["size"]), str(answer["received"]))
    except (ValueError, TypeError, KeyError):
        raise ExchangeError(f"{server} accepted the image but its answer is not a stegokit "
                            "server's") from None
    if delivery.sha256 != sent_sha256 or delivery.size != sent_size:
        raise ExchangeError(f"{server} stored {delivery.size:,} bytes with SHA-256 "
                            f"{delivery.sha256}, not the {sent_size:,} bytes sent: the image "
                            "was changed on the way; send it again")
    return delivery


def _post(connection: http.client.HTTPConnection, url: str, data: bytes) -> tuple[int, bytes]:
    """POST the bytes; the status and body of the answer."""
    # The server may answer early (too large, unknown recipient) and close: read its answer.
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        connection.request("POST", url, body=data,
                           headers={"Content-Type": "application/octet-stream",
                                    "Accept": "application/json"})
    response = connection.getresponse()
    return response.status, response.read()


def send(path: Path, server: str, to: str, sender: str | None = None, *,
         cafile: Path | None = None, timeout: float = DEFAULT_TIMEOUT_S) -> Delivery:
    """Deliver the file at ``path``, byte for byte, to ``to``'s inbox on ``server``.

    :class:`Unreachable` when no answer comes, :class:`Refused` when the server says no,
    :class:`ExchangeError` when it answers something else than what was sent.
    """
    import http.client

    from .keyring import check_email

    scheme, host, port, prefix = _origin(server)
    to = check_email(to)
    query = {"to": to} | ({"from": check_email(sender)} if sender else {})
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the image ({exc.strerror})") from None
    digest = hashlib.sha256(data).hexdigest()
    where = f"{scheme}://{host}:{port}"
    connection = _connection(scheme, host, port, timeout, cafile)
    try:
        status, body = _post(connection, f"{prefix}{SEND_PATH}?{urlencode(query)}", data)
    except OSError as exc:
        raise Unreachable(_explain(exc, where, timeout)) from None
    except http.client.HTTPException as exc:
        raise Unreachable(f"{where} did not answer in HTTP ({type(exc).__name__})") from None
    finally:
        connection.close()
    if status != 201:
        raise Refused(f"{where} refused the image ({status}): {_server_text(body)}", status)
    return _delivery(where, body, digest, len(data))
