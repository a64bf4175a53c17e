"""The keyring pages: Contacts (add by pasted public key, list, remove), Send by e-mail
(with the user's stored SMTP account) and History."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse
from starlette.routing import Route

from ..errors import InputError, StegokitError
from ..keyring import Keyring
from . import sessions
from .actions import echoed, form_page, required_file
from .refusals import Refused
from .render import error_page, message_of, page, status_of
from .uploads import read_form

# --- Contacts ---


def _contact_rows() -> list[dict]:
    with Keyring.open() as keyring:
        return [{"name": c.name, "email": c.email,
                 "key": c.key_text if c.key_intact else None, "created": c.created}
                for c in keyring.contacts()]


def _own_key(email: str) -> str | None:
    with Keyring.open() as keyring:
        me = keyring.find_user(email)
    return me.key_text if me and me.key_intact else None


def _add_contact(name: str, email: str, key: str):
    with Keyring.open() as keyring:
        return keyring.add_contact(name, email, key.strip())


def _remove_contact(email: str):
    with Keyring.open() as keyring:
        return keyring.remove_contact(email)


async def contacts(request):
    """GET: the list and the form. POST: add a contact (name, e-mail, public key)."""
    user = sessions.require_user(request)
    context = {"title": "Contacts", "values": {},
               "own_key": await run_in_threadpool(_own_key, user.email)}
    if request.method == "POST":
        form = await read_form(request)
        sessions.check_csrf(request, form.get(sessions.CSRF_FIELD))
        context["values"] = echoed(form)
        try:
            added = await run_in_threadpool(_add_contact, form.get("name"), form.get("email"),
                                            form.get("key"))
        except StegokitError as exc:
            context["contacts"] = await run_in_threadpool(_contact_rows)
            return error_page(request, message_of(exc), status_of(exc), "contacts.html",
                              context)
        context["values"] = {}
        context["notices"] = [f"Added {added.name} <{added.email}>."]
    context["contacts"] = await run_in_threadpool(_contact_rows)
    return page(request, "contacts.html", context)


async def remove_contact(request):
    """POST: remove the contact ``email``, then back to the list."""
    sessions.require_user(request)
    form = await read_form(request)
    sessions.check_csrf(request, form.get(sessions.CSRF_FIELD))
    try:
        await run_in_threadpool(_remove_contact, form.get("email"))
    except StegokitError as exc:
        context = {"title": "Contacts", "values": {}, "own_key": None,
                   "contacts": await run_in_threadpool(_contact_rows)}
        return error_page(request, message_of(exc), status_of(exc), "contacts.html", context)
    return RedirectResponse("/contacts", status_code=303)


# --- Send by e-mail ---


def _account(user: sessions.SignedIn):
    with Keyring.open() as keyring:
        return keyring.smtp_account(user.email)


def _send(user, form, folder) -> dict:
    import re
    from datetime import datetime, timezone
    from email.utils import formataddr, make_msgid

    from ..keyring import KeyringDamaged, check_email, open_smtp_password
    from ..mail import SmtpSettings, build_message, check_settings, send

    stego = required_file(form, "stego", "the stego image to send")
    to = [check_email(a) for a in re.split(r"[\s,;]+", form.get("to")) if a]
    if not to:
        raise InputError("give at least one recipient address")
    account = _account(user)
    if account is None:
        raise InputError(f"{user.email} has no SMTP account: set one below (or stegokit user "
                         "smtp set)")
    password = None
    if account.sealed_password is not None:
        try:
            password = open_smtp_password(account, user.private_key)
        except StegokitError:
            raise KeyringDamaged("the stored SMTP password is damaged; set it again") from None
    settings = SmtpSettings(account.host, account.port, account.security, account.username,
                            password)
    check_settings(settings)
    data = stego.path.read_bytes()
    subject = form.get("subject") or stego.filename
    message = build_message(data, stego.filename, sender=formataddr((user.name, user.email)),
                            to=to, subject=subject, body=form.get("body").replace("\r\n", "\n"),
                            date=datetime.now(timezone.utc),
                            message_id=make_msgid(domain=user.email.rsplit("@", 1)[-1]))
    send(message, settings)
    return {"notices": [f"Sent {stego.filename} ({len(data):,} bytes) to {', '.join(to)} via "
                        f"{settings.address} ({settings.security})."], "values": {}}


async def mail(request):
    """GET: the form and the stored SMTP account. POST: send the uploaded image."""
    user = sessions.require_user(request)
    context = {"title": "Send by e-mail", "account": await run_in_threadpool(_account, user)}
    return await form_page(request, "mail.html", context, _send)


def _set_account(user: sessions.SignedIn, form) -> None:
    from ..mail import SECURITIES, default_port

    security = form.get("security", "starttls").lower()
    if security not in SECURITIES:
        raise InputError(f"--security must be one of {', '.join(SECURITIES)}")
    port_text = form.get("port").strip()
    if port_text and not port_text.isdigit():
        raise InputError("give an SMTP host and a port between 1 and 65535")
    with Keyring.open() as keyring:
        keyring.set_smtp(user.email, host=form.get("host"),
                         port=int(port_text) if port_text else default_port(security),
                         security=security, username=form.get("username").strip() or None,
                         password=form.get("password") or None)


async def mail_account(request):
    """POST: store the user's SMTP account (the password sealed to their key)."""
    user = sessions.require_user(request)
    form = await read_form(request)
    sessions.check_csrf(request, form.get(sessions.CSRF_FIELD))
    try:
        await run_in_threadpool(_set_account, user, form)
    except (StegokitError, Refused) as exc:
        status = exc.status if isinstance(exc, Refused) else status_of(exc)
        context = {"title": "Send by e-mail", "values": echoed(form),
                   "account": await run_in_threadpool(_account, user)}
        return error_page(request, message_of(exc), status, "mail.html", context)
    return RedirectResponse("/mail", status_code=303)


# --- History ---


def _history(user: sessions.SignedIn) -> list:
    with Keyring.open() as keyring:
        return keyring.history(keyring.user(user.email))


async def history(request):
    user = sessions.require_user(request)
    return page(request, "history.html", {"title": "History",
                                          "entries": await run_in_threadpool(_history, user)})


def routes() -> list[Route]:
    return [
        Route("/contacts", contacts, methods=["GET", "POST"]),
        Route("/contacts/remove", remove_contact, methods=["POST"]),
        Route("/mail", mail, methods=["GET", "POST"]),
        Route("/mail/account", mail_account, methods=["POST"]),
        Route("/history", history),
    ]
