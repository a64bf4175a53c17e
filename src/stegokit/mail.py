"""Send a stego image by e-mail: build the message (a pure function), send it with smtplib.

The image travels as a base64 attachment, so its bytes arrive untouched. Services that
recompress pictures (chat apps, social networks, "optimize images" settings) destroy LSB
payloads: send stego images as file attachments only.

The ``email``, ``smtplib`` and ``ssl`` modules are imported by the functions that use them:
the keyring and every CLI command import this module for its constants.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError, StegokitError
from .safetext import escape_controls

if TYPE_CHECKING:
    import smtplib
    import ssl
    from email.message import EmailMessage

SECURITIES = ("starttls", "ssl", "none")
_DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
DEFAULT_TIMEOUT_S = 30.0
#: The most characters of a server's reply quoted in an error message.
SERVER_TEXT_LIMIT = 200


class MailError(StegokitError):
    """The message could not be sent (exit code 1)."""


def default_port(security: str) -> int:
    """The usual port for a security mode: 587 STARTTLS, 465 implicit TLS, 25 none."""
    return _DEFAULT_PORTS[security]


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach an SMTP server; ``cafile`` trusts a private CA besides the system's."""

    host: str
    port: int
    security: str = "starttls"
    username: str | None = None
    password: str | None = None
    timeout: float = DEFAULT_TIMEOUT_S
    cafile: Path | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (``localhost`` or a loopback address)."""
    import ipaddress

    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_settings(settings: SmtpSettings) -> None:
    """Refuse what is unsafe or impossible before connecting."""
    if settings.security not in SECURITIES:
        raise MailError(f"SMTP security must be one of {', '.join(SECURITIES)}")
    if settings.security == "none" and settings.username and not is_loopback(settings.host):
        raise MailError(
            f"refusing to send a password to {settings.host} over an unencrypted connection: "
            "use --smtp-security starttls or ssl"
        )
    if settings.timeout <= 0:
        raise MailError("the timeout must be positive")


def _check_header(field: str, value: str) -> None:
    """Refuse a header value with a line break or another control character.

    CR or LF would end the header and start another one (header injection).
    """
    if any(c in value for c in "\r\n"):
        raise InputError(f"the {field} contains a line break (CR or LF): a mail header "
                         "is one line")
    if escape_controls(value) != value:
        raise InputError(f"the {field} contains a control character: {escape_controls(value)}")


def build_message(data: bytes, filename: str, *, sender: str, to: list[str], subject: str,
                  body: str = "", date: datetime | None = None,
                  message_id: str | None = None) -> EmailMessage:
    """A message with ``data`` attached as ``filename`` (MIME type from its extension).

    Pure: the same arguments give the same message. The attachment is base64-encoded, so
    its bytes arrive exactly as given. A header value (subject, addresses, file name,
    message ID) with a line break or another control character is :class:`InputError`.
    """
    for field, value in (("subject", subject), ("sender", sender), ("file name", filename),
                         ("message ID", message_id or ""),
                         *(("recipient", address) for address in to)):
        _check_header(field, value)
    import mimetypes
    from email import policy
    from email.message import EmailMessage
    from email.utils import format_datetime

    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    if date is not None:
        message["Date"] = format_datetime(date)
    if message_id is not None:
        message["Message-ID"] = message_id
    message.set_content(body)
    kind = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    maintype, subtype = kind.split("/", 1)
    message.add_attachment(data, maintype=maintype, subtype=subtype,
                           filename=Path(filename).name)
    digest = hashlib.sha256(body.encode("utf-8") + b"\0" + data).hexdigest()[:40]
    message.set_boundary(f"==stegokit-{digest}")  # deterministic, and in neither part
    return message


def _context(settings: SmtpSettings) -> ssl.SSLContext:
    import ssl

    try:
        return ssl.create_default_context(
            cafile=str(settings.cafile) if settings.cafile else None)
    except (OSError, ssl.SSLError) as exc:
        raise MailError(f"{settings.cafile}: cannot load the CA file ({exc})") from None


def _connect(settings: SmtpSettings, context: ssl.SSLContext) -> smtplib.SMTP:
    import smtplib

    if settings.security == "ssl":
        client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                  context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    if settings.security == "starttls":
        client.starttls(context=context)
    return client


def _server_text(reply: bytes | str) -> str:
    """A server's reply as one printable line: lines joined, controls escaped, shortened."""
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", errors="replace")
    text = " ".join(reply.split())
    if len(text) > SERVER_TEXT_LIMIT:
        text = text[:SERVER_TEXT_LIMIT] + "…"
    return escape_controls(text)


def _explain(exc: BaseException, settings: SmtpSettings) -> str:
    import smtplib
    import socket
    import ssl

    where = settings.address
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(exc.__context__, OSError):
        exc = exc.__context__  # smtplib reports a read timeout as a disconnection
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (f"TLS certificate of {where} not trusted ({exc.verify_message}); for a "
                "private CA use --cafile")
    if isinstance(exc, ssl.SSLError):
        return f"TLS failure with {where} ({exc.reason or exc})"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return (f"{where} does not offer STARTTLS: use --smtp-security ssl (or none on a "
                "trusted network)")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"{where} rejected the SMTP user name or password"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(f"{addr} ({code} {_server_text(msg)})"
                            for addr, (code, msg) in exc.recipients.items())
        return f"{where} refused the recipient {refused}"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"{where} refused the sender {exc.sender} ({exc.smtp_code})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{where} answered {exc.smtp_code} {_server_text(exc.smtp_error)}"
    if isinstance(exc, TimeoutError):
        return f"{where} did not answer within {settings.timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return f"cannot connect to {where}: connection refused"
    if isinstance(exc, socket.gaierror):
        return f"cannot find the SMTP host {settings.host}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"{where} closed the connection"
    if isinstance(exc, OSError):
        return f"cannot connect to {where}: {exc.strerror or exc}"
    return f"SMTP error with {where}: {exc}"


def send(message: EmailMessage, settings: SmtpSettings) -> None:
    """Send ``message`` over SMTP; every failure is one :class:`MailError` line."""
    import smtplib

    check_settings(settings)
    context = _context(settings)
    try:
        with _connect(settings, context) as client:
            if settings.username:
                client.login(settings.username, settings.password or "")
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"mail not sent: {_explain(exc, settings)}") from None
