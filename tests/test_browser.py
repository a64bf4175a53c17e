"""A real browser on the web app: Debian's Chromium, headless, driven by Playwright through
its installed executable (Playwright's own browser download is never used).

The app runs under uvicorn in a thread on 127.0.0.1. One user registers, drops a photo on
the Hide page, hides a message with a passphrase, downloads the stego image, reveals it on
the Reveal page; then hides an image in another and reveals it. The screenshots of
docs/web.md are taken here: with STEGOKIT_WEB_SCREENSHOTS=1 they are written to docs/img/.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import photo, require
from PIL import Image

DOCS_IMG = Path(__file__).resolve().parents[1] / "docs" / "img"
MESSAGE = "The press conference moves to 14:00, room 3."
PASSPHRASE = "violet kettle harbour sunrise"


def chromium() -> str:
    """The system Chromium; a failure under CI=true, else a skip, when it is missing."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    message = "Chromium is not installed (apt-get install chromium chromium-driver)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}: required under CI=true", pytrace=False)
    pytest.skip(message)


class Server:
    """uvicorn serving ``app`` in a thread on a free loopback port."""

    def __init__(self, app) -> None:
        import uvicorn

        from stegokit.cli.serve import _listen

        self.sock = _listen("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run,
                                       kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(20)
        self.sock.close()


@pytest.fixture
def browser_page(tmp_path):
    """A headless Chromium page on the app, and where its screenshots go."""
    executable = chromium()
    sync_api = require("playwright.sync_api")
    require("uvicorn")
    from stegokit.web.app import create_app

    with Server(create_app()) as server, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=["--no-sandbox"])
        context = browser.new_context(accept_downloads=True,
                                      viewport={"width": 1200, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30_000)
        shots = tmp_path / "screenshots"
        shots.mkdir()
        yield page, server.url, shots
        context.close()
        browser.close()
    if os.environ.get("STEGOKIT_WEB_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        for shot in shots.iterdir():
            shutil.copyfile(shot, DOCS_IMG / shot.name)


def drop_file(page, zone_selector: str, path: Path, mime: str) -> None:
    """Drag a file from "outside" onto a drop zone (a DataTransfer built in the page)."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    page.evaluate(
        """([selector, data, name, mime]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: mime }));
            const zone = document.querySelector(selector);
            zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer,
                                                           bubbles: true, cancelable: true }));
            zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer,
                                                       bubbles: true, cancelable: true }));
        }""",
        [zone_selector, data, path.name, mime])


def submit(page) -> None:
    with page.expect_navigation():
        page.click("main form button[type=submit]:not([formaction])")


def download(page, selector: str, folder: Path) -> Path:
    with page.expect_download() as info:
        page.click(selector)
    saved = folder / info.value.suggested_filename
    info.value.save_as(saved)
    return saved


def test_register_hide_download_reveal_in_a_real_browser(browser_page, tmp_path):
    page, url, shots = browser_page
    cover = tmp_path / "harbour.jpg"
    Image.fromarray(photo("coffee")).save(cover, quality=92)

    page.goto(url + "register")
    page.fill("input[name=name]", "Alice")
    page.fill("input[name=email]", "alice@example.org")
    page.fill("input[name=password]", "a long test password")
    page.fill("input[name=password2]", "a long test password")
    page.screenshot(path=shots / "web-register.png")
    submit(page)
    assert page.url == url + "hide"

    drop_file(page, "label[data-drop]:has(#cover)", cover, "image/jpeg")
    # (wait_for_function would need 'unsafe-eval', which the page's CSP forbids)
    page.locator("#capacity", has_text="LSB holds").wait_for()
    page.wait_for_selector("label[data-drop]:has(#cover) img.preview", state="visible")
    page.fill("#message", MESSAGE)
    page.check("input[name=lock][value=passphrase]")
    page.fill("input[name=passphrase]", PASSPHRASE)
    page.fill("input[name=passphrase2]", PASSPHRASE)
    page.screenshot(path=shots / "web-hide-form.png", full_page=True)
    submit(page)
    page.wait_for_selector("#result")
    assert "dB" in page.inner_text("#psnr")
    page.screenshot(path=shots / "web-hide.png", full_page=True)
    stego = download(page, "#download", tmp_path)
    assert stego.name == "harbour-stego.png"
    assert stego.read_bytes().startswith(b"\x89PNG")

    page.goto(url + "reveal")
    page.set_input_files("#stego", str(stego))
    page.check("input[name=unlock][value=passphrase]")
    page.fill("input[name=passphrase]", PASSPHRASE)
    submit(page)
    assert page.inner_text("#message-text") == MESSAGE
    page.screenshot(path=shots / "web-reveal.png", full_page=True)

    page.goto(url + "reveal")
    page.set_input_files("#stego", str(stego))
    page.check("input[name=unlock][value=passphrase]")
    page.fill("input[name=passphrase]", "a wrong guess")
    submit(page)
    assert page.inner_text("#error").startswith("authentication failed")

    page.goto(url + "analyze")
    page.set_input_files("#image", str(stego))
    submit(page)
    page.wait_for_selector("#verdict")
    page.screenshot(path=shots / "web-analyze.png", full_page=True)


def test_hide_image_round_trip_in_a_real_browser(browser_page, tmp_path):
    page, url, shots = browser_page
    cover, secret = tmp_path / "cover.png", tmp_path / "secret.png"
    Image.fromarray(photo("chelsea")).save(cover)
    secret_pixels = np.ascontiguousarray(photo("astronaut")[::4, ::4])
    Image.fromarray(secret_pixels).save(secret)

    page.goto(url + "register")
    page.fill("input[name=name]", "Bob")
    page.fill("input[name=email]", "bob@example.org")
    page.fill("input[name=password]", "another test password")
    page.fill("input[name=password2]", "another test password")
    submit(page)

    page.goto(url + "hide-image")
    page.set_input_files("#cover", str(cover))
    page.set_input_files("#secret", str(secret))
    submit(page)
    page.wait_for_selector("#result")
    assert "every pixel exact" in page.inner_text("#result")
    page.screenshot(path=shots / "web-hide-image.png", full_page=True)
    stego = download(page, "#download", tmp_path)

    page.goto(url + "reveal-image")
    page.set_input_files("#stego", str(stego))
    submit(page)
    page.wait_for_selector("#revealed")
    page.screenshot(path=shots / "web-reveal-image.png", full_page=True)
    (tmp_path / "out").mkdir()
    revealed = download(page, "#download", tmp_path / "out")
    pixels = np.asarray(Image.open(io.BytesIO(revealed.read_bytes())))
    assert np.array_equal(pixels, secret_pixels)
