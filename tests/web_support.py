"""Helpers for the web tests: the app under Starlette's test client, signed in, and small
real images as upload bodies."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
from conftest import photo, require
from PIL import Image

PASSWORD = "a fine password"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_ERROR = re.compile(r'<p class="error" role="alert" id="error">(.*?)</p>', re.S)


def web_client(**options):
    """A test client over a new app (``options`` go to ``create_app``)."""
    require("starlette")
    require("httpx2")
    from starlette.testclient import TestClient

    from stegokit.web.app import create_app

    return TestClient(create_app(**options), follow_redirects=False)


def same_server(client):
    """Another browser (its own cookies) on the same app as ``client``."""
    from starlette.testclient import TestClient

    return TestClient(client.app, follow_redirects=False)


def token(client, path: str = "/signin") -> str:
    """The CSRF token of the form on ``path``."""
    page = client.get(path)
    found = _TOKEN.search(page.text)
    assert found, page.text
    return found.group(1)


def errors(page) -> list[str]:
    """The error messages a page shows (HTML-escaped)."""
    return _ERROR.findall(page.text)


def register(client, email: str = "alice@example.org", name: str = "Alice",
             password: str = PASSWORD):
    """Register (and so sign in) through the page."""
    answer = client.post("/register", data={
        "csrf_token": token(client, "/register"), "name": name, "email": email,
        "password": password, "password2": password})
    assert answer.status_code == 303, answer.text
    return answer


def png_bytes(pixels: np.ndarray, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels.squeeze() if pixels.shape[2] == 1 else pixels).save(
        buffer, format=fmt, **options)
    return buffer.getvalue()


def small_photo(side: int = 160, name: str = "astronaut") -> np.ndarray:
    """A real photo, cropped to ``side`` x ``side`` (fast, and big enough for the neural
    codec's 128-pixel minimum)."""
    return np.ascontiguousarray(photo(name)[:side, :side])


def post_form(client, path: str, data: dict, files: dict, *, with_token: bool = True):
    """POST a multipart form to ``path`` with this session's CSRF token."""
    fields = dict(data)
    if with_token:
        fields["csrf_token"] = token(client, path)
    return client.post(path, data=fields, files=files)


def kept(client, page_text: str, element_id: str) -> bytes:
    """The bytes behind the link or image with ``element_id`` on a result page."""
    tag = re.search(rf'<[^>]*id="{element_id}"[^>]*>', page_text)
    assert tag, page_text
    url = re.search(r'(?:href|src)="(/files/[^"?]+)', tag.group())
    assert url, tag.group()
    answer = client.get(url.group(1) + "?download=1")
    assert answer.status_code == 200
    return answer.content


def temp_files(home: Path) -> list[Path]:
    """What is left in the web app's temporary folder."""
    root = home / "web-tmp"
    return sorted(root.rglob("*")) if root.exists() else []
