"""The tool pages: Hide, Reveal, Hide image, Reveal image, Capacity, Analyze, and the
download of their results (``/files/TOKEN``). Each action is one library call."""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..errors import StegokitError
from . import people, sessions, uploads
from .actions import (
    bits_field,
    choice,
    form_page,
    keep_upload,
    opening,
    record,
    required_file,
    sealing,
    stem,
)
from .refusals import Refused
from .render import message_of, status_of
from .uploads import safe_filename

#: The stego image's download format per method: (extension, Pillow format, media type).
OUTPUTS = {"png": (".png", "image/png"), "jpeg": (".jpg", "image/jpeg")}


def _contacts_for(user: sessions.SignedIn) -> list[dict]:
    """Who a message can be sealed to: contacts and local users (never a damaged key)."""
    from ..keyring import Keyring

    with Keyring.open() as keyring:
        people_ = [*keyring.contacts(), *keyring.users()]
    return [{"name": p.name, "email": p.email} for p in people_ if p.key_intact]


# --- Hide ---

def _hide(user, form, folder) -> dict:
    from .. import api, reports
    from ..container import Payload

    cover = required_file(form, "cover", "a cover image")
    method = choice(form, "method", ("lsb", "neural"), "lsb")
    bits = bits_field(form)
    kind = choice(form, "kind", ("text", "file"), "text")
    if kind == "file":
        payload = api.file_payload(required_file(form, "payload", "a file to hide").path)
    else:
        payload = Payload.from_text(form.get("message").replace("\r\n", "\n"))
    output = choice(form, "format", tuple(OUTPUTS), "png" if method == "lsb" else "jpeg")
    passphrase, recipient, to, notes = sealing(form)
    suffix, media = OUTPUTS[output]
    name = f"{stem(cover)}-stego{suffix}"
    result = api.embed_text(cover.path, payload, method=method, bits=bits,
                            passphrase=passphrase, recipient=recipient)
    removed = result.save(folder / name)
    data = (folder / name).read_bytes()
    notes += [*result.notices, *filter(None, [record(user, result.method, to, name, data)])]
    return {
        "report": reports.embed_report(result, payload, name, removed),
        "stego_url": user.keep(data, media, name),
        "cover_url": keep_upload(user, cover, result.picture.source_format),
        "notices": notes,
    }


async def hide(request):
    user = sessions.require_user(request)
    from ..codecs.neural_ecc import CAPACITY

    context = {"title": "Hide", "contacts": await run_in_threadpool(_contacts_for, user),
               "neural_bytes": CAPACITY}
    return await form_page(request, "hide.html", context, _hide)


# --- Reveal ---

def _reveal(user, form, folder) -> dict:
    from .. import api, reports
    from ..safetext import count_controls, escape_controls

    stego = required_file(form, "stego", "an image to read")
    passphrase, key = opening(form, user)
    found = api.extract_text(stego.path, passphrase=passphrase, private_key=key)
    payload = found.payload
    report = reports.extract_report(found)
    notes = list(found.notices)
    shown = None
    if payload.kind == "text":
        shown = escape_controls(payload.text, keep_lines=True)
        hidden = count_controls(payload.text, keep_lines=True)
        if hidden:
            notes.append(f"the message holds {hidden} control character(s), shown escaped "
                         "(like \\x1b); download it for the exact text")
        name, media = "message.txt", "text/plain; charset=utf-8"
    else:
        name = safe_filename(payload.name, "hidden-file.bin")
        media = "application/octet-stream"
    return {"report": report, "text": shown, "filename": name,
            "file_url": user.keep(payload.data, media, name), "notices": notes}


async def reveal(request):
    return await form_page(request, "reveal.html", {"title": "Reveal"}, _reveal)


# --- Hide image / Reveal image ---

def _hide_image(user, form, folder) -> dict:
    from .. import imageapi

    cover = required_file(form, "cover", "a cover image")
    secret = required_file(form, "secret", "an image to hide")
    mode = choice(form, "mode", imageapi.MODES, imageapi.AUTO)
    bits = bits_field(form, default=None)
    passphrase, recipient, to, notes = sealing(form)
    name = f"{stem(cover)}-stego.png"
    result = imageapi.hide_image(cover.path, secret.path, mode=mode, bits=bits,
                                 resize=form.get("resize") == "on", passphrase=passphrase,
                                 recipient=recipient)
    removed = result.save(folder / name)
    data = (folder / name).read_bytes()
    notes += [*result.notices, *filter(None, [record(user, f"image-{result.mode}", to, name,
                                                     data)])]
    if removed:
        notes.append(f"removed from the metadata: {', '.join(removed)}")
    return {"result": result, "name": name, "stego_url": user.keep(data, "image/png", name),
            "cover_url": keep_upload(user, cover, result.picture.source_format),
            "notices": notes}


async def hide_image(request):
    user = sessions.require_user(request)
    context = {"title": "Hide image", "contacts": await run_in_threadpool(_contacts_for, user)}
    return await form_page(request, "hide_image.html", context, _hide_image)


def _reveal_image(user, form, folder) -> dict:
    from .. import imageapi

    stego = required_file(form, "stego", "an image to read")
    passphrase, key = opening(form, user)
    found = imageapi.reveal_image(stego.path, passphrase=passphrase, private_key=key)
    name = f"{stem(stego)}-secret.png"
    found.save(folder / name)
    data = (folder / name).read_bytes()
    height, width = found.pixels.shape[:2]
    return {"found": found, "width": width, "height": height, "name": name,
            "secret_url": user.keep(data, "image/png", name)}


async def reveal_image(request):
    return await form_page(request, "reveal_image.html", {"title": "Reveal image"},
                           _reveal_image)


# --- Capacity and Analyze ---

def _capacity(user, form, folder) -> dict:
    from .. import api

    cover = required_file(form, "cover", "a cover image")
    report = api.capacity(cover.path)
    return {"capacity": report.to_dict(), "filename": cover.filename}


async def capacity(request):
    """The capacity page; with ``Accept: application/json`` (the Hide page's script) the
    report as JSON, or ``{"error": ...}`` with the status."""
    if request.method == "GET" or "application/json" not in request.headers.get("accept", ""):
        return await form_page(request, "capacity.html", {"title": "Capacity"}, _capacity)
    user = sessions.require_user(request)
    async with uploads.workspace() as folder:
        try:
            form = await uploads.read_form(request, folder,
                                           max_bytes=request.app.state.max_upload_bytes)
            sessions.check_csrf(request, form.get(sessions.CSRF_FIELD))
            found = await run_in_threadpool(_capacity, user, form, folder)
        except Refused as exc:
            return JSONResponse({"error": exc.message}, exc.status)
        except StegokitError as exc:
            return JSONResponse({"error": message_of(exc, folder)}, status_of(exc))
    return JSONResponse(found["capacity"])


def _analyze(user, form, folder) -> dict:
    from .. import analysis, images, reports

    image = required_file(form, "image", "an image to analyse")
    found = reports.examine(image.path)
    planes = images.encode(images.Picture(analysis.bitplane_picture(found.picture.pixels)),
                           "PNG")
    report = found.report
    channels = [{"name": n, "rs": rs, "spa": spa, "p": p} for n, rs, spa, p in zip(
        report.channels, report.rs, report.spa, report.chi_square.pvalues, strict=True)]
    findings = [f for f in (found.container, *found.traits.findings) if f]
    return {"report": report, "channels": channels, "findings": findings,
            "filename": image.filename,
            "planes_url": user.keep(planes, "image/png", f"{stem(image)}-planes.png")}


async def analyze(request):
    return await form_page(request, "analyze.html", {"title": "Analyze"}, _analyze)


# --- kept results ---

async def kept_file(request):
    """A result of this session: shown inline, or downloaded with ``?download=1``."""
    user = sessions.require_user(request)
    kept = user.files.get(request.path_params["token"])
    if kept is None:
        raise Refused(404, "this result is no longer kept: run the action again")
    name = kept.filename  # made safe when kept (uploads.safe_filename)
    how = "attachment" if request.query_params.get("download") else "inline"
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    headers = {
        "content-disposition": f"{how}; filename=\"{ascii_name}\"; "
                               f"filename*=UTF-8''{quote(name, safe='')}",
        "cache-control": "no-store",
    }
    return Response(kept.data, media_type=kept.media_type, headers=headers)


def routes() -> list[Route]:
    both = ["GET", "POST"]
    return [
        Route("/hide", hide, methods=both),
        Route("/reveal", reveal, methods=both),
        Route("/hide-image", hide_image, methods=both),
        Route("/reveal-image", reveal_image, methods=both),
        Route("/capacity", capacity, methods=both),
        Route("/analyze", analyze, methods=both),
        Route("/files/{token}", kept_file),
        *people.routes(),
    ]
