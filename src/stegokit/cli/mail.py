"""``mail``: send a stego image as an e-mail attachment over SMTP."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import InputError, StegokitError
from ..mail import (
    DEFAULT_TIMEOUT_S,
    SECURITIES,
    SmtpSettings,
    build_message,
    check_settings,
    default_port,
    send,
)
from .common import Force, JsonOut, console, escape, print_json, refuse_overwriting_inputs, working
from .keys import SMTP_PASSWORD_ENV, read_password

if TYPE_CHECKING:
    from ..keyring import Keyring, SmtpAccount, User

app = typer.Typer()


def _sender(keyring: Keyring | None, from_: str | None) -> tuple[str, User | None]:
    """The From address and, if it is a local user, that user."""
    from email.utils import formataddr

    from ..keyring import check_email

    user = None
    if keyring is not None:
        user = keyring.default_user() if from_ is None else keyring.find_user(from_)
    if user is not None:
        return formataddr((user.name, user.email)), user
    if from_ is None:
        raise InputError("give --from ADDRESS (or log in: stegokit user login EMAIL)")
    return check_email(from_), None


def _settings(account: SmtpAccount | None, host: str | None, port: int | None,
              security: str | None, username: str | None, timeout: float,
              cafile: Path | None) -> tuple[SmtpSettings, SmtpAccount | None]:
    """Flags and environment variables over the stored account, and the account still used.

    An account for another host than ``--smtp-host`` is ignored altogether.
    """
    if account is not None and host and host != account.host:
        account = None
    host = host or (account.host if account else None)
    if not host:
        raise InputError("no SMTP server: use stegokit user smtp set, --smtp-host or "
                         "STEGOKIT_SMTP_HOST")
    if security is not None and security.lower() not in SECURITIES:
        raise InputError(f"--smtp-security must be one of {', '.join(SECURITIES)}")
    security = security.lower() if security else (account.security if account else "starttls")
    if port is None:
        same = account is not None and account.security == security
        port = account.port if same else default_port(security)
    if username is None and account is not None:
        username = account.username
    settings = SmtpSettings(host, port, security, username or None, None, timeout, cafile)
    return settings, account


def _password(keyring: Keyring | None, user: User | None, account: SmtpAccount | None,
              settings: SmtpSettings) -> str | None:
    """The SMTP password: the environment, else the stored one, else a hidden prompt."""
    if not settings.username:
        return None
    from_env = os.environ.get(SMTP_PASSWORD_ENV)
    if from_env:
        return from_env
    if (user is not None and account is not None and account.sealed_password is not None
            and account.username == settings.username):
        from ..keyring import KeyringDamaged, open_smtp_password

        private = keyring.unlock(user.email, read_password(f"Password for {user.email}"))
        try:
            return open_smtp_password(account, private)
        except StegokitError:  # the user's own key, just unlocked: the stored copy is damaged
            raise KeyringDamaged(f"{keyring.path}: the stored SMTP password is damaged; set "
                                 "it again with stegokit user smtp set") from None
    return read_password(f"SMTP password for {settings.username}", env=SMTP_PASSWORD_ENV)


@app.command("mail")
def mail(
    stego: Annotated[Path, typer.Argument(help="The stego image to send (sent as a file).")],
    to: Annotated[list[str], typer.Option("--to", metavar="ADDRESS",
                                          help="Recipient (repeat for several).")],
    subject: Annotated[str | None, typer.Option(
        "--subject", help="Default: the file's name.")] = None,
    body: Annotated[str, typer.Option("--body", help="The text of the message.")] = "",
    from_: Annotated[str | None, typer.Option(
        "--from", metavar="USER",
        help="Sender: a local user (with their SMTP account) or an address; "
        "default: the logged-in user.")] = None,
    smtp_host: Annotated[str | None, typer.Option(
        "--smtp-host", envvar="STEGOKIT_SMTP_HOST", show_envvar=True)] = None,
    smtp_port: Annotated[int | None, typer.Option(
        "--smtp-port", envvar="STEGOKIT_SMTP_PORT", show_envvar=True, min=1, max=65535)] = None,
    smtp_security: Annotated[str | None, typer.Option(
        "--smtp-security", envvar="STEGOKIT_SMTP_SECURITY", show_envvar=True,
        help="starttls (default), ssl (implicit TLS) or none.")] = None,
    smtp_user: Annotated[str | None, typer.Option(
        "--smtp-user", envvar="STEGOKIT_SMTP_USER", show_envvar=True,
        help=f"SMTP login; the password comes from {SMTP_PASSWORD_ENV}, the stored account "
        "or a hidden prompt.")] = None,
    cafile: Annotated[Path | None, typer.Option(
        "--cafile", exists=True, dir_okay=False,
        help="Also trust this CA certificate (PEM), for a private server.")] = None,
    timeout: Annotated[float, typer.Option(
        "--timeout", min=0.1, help="Seconds to wait for the server.")] = DEFAULT_TIMEOUT_S,
    eml: Annotated[Path | None, typer.Option(
        "--eml", metavar="FILE", help="Write the message to this .eml file instead of sending.")
    ] = None,
    force: Force = False,
    json_out: JsonOut = False,
) -> None:
    """E-mail a stego image as an attachment, its bytes untouched.

    Sends over STARTTLS or implicit TLS with certificate checks; a password is never sent
    unencrypted except to this machine. Send stego images as file attachments, as this does:
    services that recompress pictures (chat apps, social networks) destroy hidden data.

    Example: stegokit mail card.png --to bob@example.org --subject "holiday"

    Example: stegokit mail card.png --to bob@example.org --eml card.eml
    """
    from email.utils import make_msgid, parseaddr

    from .. import images
    from ..keyring import Keyring, check_email

    refuse_overwriting_inputs(eml, stego)
    try:
        data = stego.read_bytes()
    except OSError as exc:
        raise InputError(f"{stego}: cannot read the attachment ({exc.strerror})") from None
    keyring = Keyring.open_existing()
    with keyring or contextlib.nullcontext():
        sender, user = _sender(keyring, from_)
        recipients = [check_email(a) for a in to]
        message = build_message(
            data, stego.name, sender=sender, to=recipients,
            subject=stego.name if subject is None else subject, body=body,
            date=datetime.now(timezone.utc),
            message_id=make_msgid(domain=parseaddr(sender)[1].rsplit("@", 1)[-1]))
        summary = {"sender": sender, "to": recipients,
                   "subject": str(message["Subject"]), "attachment": stego.name,
                   "attachment_bytes": len(data), "message_id": str(message["Message-ID"])}
        if eml is not None:
            images.write_atomic(eml, message.as_bytes(), force=force)
            if json_out:
                print_json({**summary, "sent": False, "server": None, "security": None,
                            "output": str(eml)})
                return
            console().print(f"Wrote the message to {escape(str(eml))}.")
            return
        stored = keyring.smtp_account(user.email) if keyring and user else None
        settings, account = _settings(stored, smtp_host, smtp_port, smtp_security, smtp_user,
                                      timeout, cafile)
        check_settings(settings)
        settings = dataclasses.replace(
            settings, password=_password(keyring, user, account, settings))
    with working(f"Sending to {settings.address}…"):
        send(message, settings)
    if json_out:
        print_json({**summary, "sent": True, "server": settings.address,
                    "security": settings.security, "output": None})
        return
    console().print(f"Sent {escape(stego.name)} ({len(data):,} bytes) to {escape(', '.join(to))} "
                  f"via {escape(settings.address)} ({settings.security}).")
