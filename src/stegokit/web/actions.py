"""What every tool page shares: the form round trip, secrets from the form, kept results.

:func:`form_page` runs one action: the signed-in user, the form streamed into a private
folder, the CSRF check, then the page's work (one library call, in a worker thread) and the
page again with its result, or with one error message and a 4xx status.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from starlette.concurrency import run_in_threadpool

from ..errors import InputError, StegokitError
from . import sessions, uploads
from .refusals import Refused
from .render import error_page, message_of, page, status_of

#: Fields never echoed back into a page.
SECRET_FIELDS = frozenset({"passphrase", "passphrase2", "password", "password2",
                           sessions.CSRF_FIELD})
#: Shorter passphrases get the CLI's warning.
WEAK_PASSPHRASE = 12
#: Image formats a browser shows, by Pillow's name, with their media type.
SHOWN_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif",
                 "WEBP": "image/webp", "BMP": "image/bmp"}

Work = Callable[[sessions.SignedIn, uploads.Form, Path], dict]


def echoed(form: uploads.Form) -> dict[str, str]:
    """The form's fields to fill the form again with, secrets left out."""
    return {name: values[0] for name, values in form.fields.items()
            if name not in SECRET_FIELDS and values}


async def form_page(request, template: str, context: dict, work: Work):
    """GET: the empty form. POST: ``work(user, form, folder)`` and the page with its result.

    The folder and every upload in it are removed before the response is sent.
    """
    user = sessions.require_user(request)
    context = {"values": {}, **context}
    if request.method == "GET":
        return page(request, template, context)
    async with uploads.workspace() as folder:
        form = None
        try:
            form = await uploads.read_form(request, folder,
                                           max_bytes=request.app.state.max_upload_bytes)
            sessions.check_csrf(request, form.get(sessions.CSRF_FIELD))
            context["values"] = echoed(form)
            result = await run_in_threadpool(work, user, form, folder)
        except Refused as exc:
            return error_page(request, exc.message, exc.status, template, context)
        except StegokitError as exc:
            return error_page(request, message_of(exc, folder), status_of(exc), template,
                              context)
    if result.get("notices"):  # notices name uploads by their temporary paths too
        result["notices"] = [message_of(line, folder) for line in result["notices"]]
    return page(request, template, {**context, **result})


def required_file(form: uploads.Form, name: str, what: str) -> uploads.Upload:
    """An uploaded file the action needs; 400 if none was chosen."""
    upload = form.file(name)
    if upload is None:
        raise Refused(400, f"choose {what}")
    return upload


def choice(form: uploads.Form, name: str, allowed: tuple[str, ...], default: str) -> str:
    """A field that must be one of ``allowed``."""
    value = form.get(name, default) or default
    if value not in allowed:
        raise Refused(400, f"{name} must be one of {', '.join(allowed)}")
    return value


def bits_field(form: uploads.Form, name: str = "bits", default: int | None = 1) -> int | None:
    """A number of bits per value, 1 to 4 (None when optional and left empty)."""
    raw = form.get(name).strip()
    if not raw:
        return default
    if raw not in ("1", "2", "3", "4"):
        raise InputError("--bits must be 1, 2, 3 or 4")
    return int(raw)


def sealing(form: uploads.Form) -> tuple[str | None, bytes | None, str | None, list[str]]:
    """``(passphrase, recipient key, recipient e-mail, notices)`` chosen in a hiding form.

    ``lock`` is ``none``, ``passphrase`` (typed twice) or ``contact`` (field ``to``).
    """
    from ..keyring import Keyring

    lock = choice(form, "lock", ("none", "passphrase", "contact"), "none")
    if lock == "passphrase":
        passphrase = form.get("passphrase")
        if not passphrase:
            raise InputError("the passphrase is empty")
        if passphrase != form.get("passphrase2"):
            raise Refused(400, "the two passphrases differ")
        notes = []
        if len(passphrase) < WEAK_PASSPHRASE:
            notes.append(f"this passphrase has {len(passphrase)} characters: anyone who gets "
                         f"the image can try guesses offline; {WEAK_PASSPHRASE} or more "
                         "(several random words) resist far longer")
        return passphrase, None, None, notes
    if lock == "contact":
        to = form.get("to").strip()
        if not to:
            raise Refused(400, "choose a contact to seal to")
        with Keyring.open() as keyring:
            return None, keyring.recipient_key(to), to, []
    return None, None, None, []


def opening(form: uploads.Form, user: sessions.SignedIn) -> tuple[str | None, bytes | None]:
    """``(passphrase, private key)`` chosen in a revealing form: ``unlock`` is ``none``,
    ``passphrase`` or ``key`` (the signed-in user's own key)."""
    unlock = choice(form, "unlock", ("none", "passphrase", "key"), "none")
    if unlock == "passphrase":
        passphrase = form.get("passphrase")
        if not passphrase:
            raise InputError("the passphrase is empty")
        return passphrase, None
    if unlock == "key":
        return None, user.private_key
    return None, None


def keep_upload(user: sessions.SignedIn, upload: uploads.Upload, source_format: str | None
                ) -> str | None:
    """Keep an uploaded image to show it again, if a browser can show its format."""
    media = SHOWN_FORMATS.get(source_format or "")
    return user.keep(upload.path.read_bytes(), media, upload.filename) if media else None


def record(user: sessions.SignedIn, method: str, recipient: str | None, name: str,
           data: bytes) -> str | None:
    """Note an embed in the user's history (never the message); a notice if it failed."""
    import hashlib

    from ..keyring import Keyring

    try:
        with Keyring.open() as keyring:
            keyring.record(keyring.user(user.email), method=method, recipient=recipient,
                           output=f"web: {name}", sha256=hashlib.sha256(data).hexdigest())
    except (StegokitError, OSError) as exc:
        return f"not recorded in the history: {exc}"
    return None


def stem(upload: uploads.Upload) -> str:
    """The uploaded file's name without its extension."""
    return Path(upload.filename).stem or "image"
