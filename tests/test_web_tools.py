"""The web app's tool pages through Starlette's test client: Hide, Reveal, Hide image,
Reveal image, Capacity, Analyze and the download of results."""

from __future__ import annotations

import html
import io
import json
import string

import numpy as np
import pytest
from PIL import Image
from web_support import (
    errors,
    kept,
    png_bytes,
    post_form,
    register,
    same_server,
    small_photo,
    temp_files,
    token,
    web_client,
)

import stegokit
from stegokit import crypto, keytext
from stegokit.container import Payload

MESSAGE = "meet at the old mill at noon"
#: Letters at random: about 24 KB once compressed, more than a 160 x 160 cover holds.
RANDOM_TEXT = "".join(np.random.default_rng(0).choice(list(string.ascii_letters), 40000))


@pytest.fixture
def client():
    client = web_client()
    register(client)
    return client


@pytest.fixture
def cover() -> bytes:
    return png_bytes(small_photo())


def hide(client, cover: bytes, **fields):
    data = {"kind": "text", "message": MESSAGE, "method": "lsb", "bits": "1", "lock": "none",
            **fields}
    return post_form(client, "/hide", data, {"cover": ("photo.png", cover, "image/png")})


def reveal(client, stego: bytes, name: str = "stego.png", **fields):
    return post_form(client, "/reveal", {"unlock": "none", **fields},
                     {"stego": (name, stego, "image/png")})


def test_hide_shows_both_images_psnr_and_a_png_download(client, cover, private_home):
    page = hide(client, cover)
    assert page.status_code == 200, errors(page)
    assert 'id="psnr"' in page.text and " dB" in page.text and 'id="changed"' in page.text
    stego = kept(client, page.text, "download")
    assert stego.startswith(b"\x89PNG")
    assert kept(client, page.text, "stego") == stego
    pixels = np.asarray(Image.open(io.BytesIO(stego)))
    changed = int(np.count_nonzero(pixels != small_photo()))
    assert f"{changed:,}</td>" in page.text
    assert stegokit.extract_text(pixels).text == MESSAGE
    assert temp_files(private_home) == []


def test_download_headers(client, cover):
    page = hide(client, cover)
    url = page.text.split('id="download" href="')[1].split('"')[0]
    answer = client.get(url)
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["content-disposition"].startswith(
        'attachment; filename="photo-stego.png"')
    assert answer.headers["cache-control"] == "no-store"
    other = same_server(client)
    register(other, email="bob@example.org")
    assert other.get(url).status_code == 404  # another session's results are not served
    assert client.get(url).status_code == 200


def test_hide_and_reveal_with_a_passphrase(client, cover):
    page = hide(client, cover, lock="passphrase", passphrase="correct horse battery",
                passphrase2="correct horse battery")
    assert page.status_code == 200, errors(page)
    assert "not encrypted" not in page.text
    stego = kept(client, page.text, "download")
    found = reveal(client, stego, unlock="passphrase", passphrase="correct horse battery")
    assert found.status_code == 200, errors(found)
    assert f'<pre class="message" id="message-text">{MESSAGE}</pre>' in found.text
    wrong = reveal(client, stego, unlock="passphrase", passphrase="wrong horse")
    assert wrong.status_code == 403
    assert len(errors(wrong)) == 1 and errors(wrong)[0].startswith("authentication failed")
    plain = reveal(client, stego)
    assert plain.status_code in (403, 422) and len(errors(plain)) == 1


def test_a_short_passphrase_gets_the_cli_warning_and_mismatches_are_refused(client, cover):
    page = hide(client, cover, lock="passphrase", passphrase="zq9#w", passphrase2="zq9#w")
    assert page.status_code == 200 and "this passphrase has 5 characters" in page.text
    assert "zq9" not in page.text  # secrets are never echoed into the page
    differ = hide(client, cover, lock="passphrase", passphrase="one", passphrase2="two")
    assert differ.status_code == 400 and errors(differ) == ["the two passphrases differ"]
    empty = hide(client, cover, lock="passphrase", passphrase="", passphrase2="")
    assert empty.status_code == 400 and errors(empty) == ["the passphrase is empty"]


def test_seal_to_myself_and_open_with_my_key(client, cover):
    page = hide(client, cover, lock="contact", to="alice@example.org")
    assert page.status_code == 200, errors(page)
    stego = kept(client, page.text, "download")
    found = reveal(client, stego, unlock="key")
    assert found.status_code == 200 and MESSAGE in found.text
    other = web_client()
    register(other, email="bob@example.org", name="Bob")
    refused = reveal(other, stego, unlock="key")
    assert refused.status_code == 403 and errors(refused)[0].startswith("authentication failed")


def test_seal_to_a_contact_added_by_pasting_a_key(client, cover):
    private, public = crypto.generate_keypair()
    added = client.post("/contacts", data={
        "csrf_token": token(client, "/contacts"), "name": "Bob", "email": "bob@example.org",
        "key": keytext.encode_public_key(public)})
    assert added.status_code == 200 and "Added Bob" in added.text
    assert '<option value="bob@example.org">' in client.get("/hide").text
    page = hide(client, cover, lock="contact", to="bob@example.org")
    stego = kept(client, page.text, "download")
    pixels = np.asarray(Image.open(io.BytesIO(stego)))
    assert stegokit.extract_text(pixels, private_key=private).text == MESSAGE
    unknown = hide(client, cover, lock="contact", to="carol@example.org")
    assert unknown.status_code == 400
    assert errors(unknown)[0].startswith("unknown recipient carol@example.org")


def test_hide_a_file_and_reveal_it_as_a_download(client, cover):
    page = post_form(client, "/hide", {"kind": "file", "method": "lsb", "lock": "none"},
                     {"cover": ("photo.png", cover, "image/png"),
                      "payload": ("report.pdf", b"%PDF-1.4 secret report", "application/pdf")})
    assert page.status_code == 200, errors(page)
    found = reveal(client, kept(client, page.text, "download"))
    assert found.status_code == 200 and "report.pdf" in found.text
    assert kept(client, found.text, "download") == b"%PDF-1.4 secret report"


@pytest.mark.parametrize(("stored", "offered"), [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\boot.ini", "boot.ini"),
    ("bad\x1b]0;title\x07name.txt", "bad]0;titlename.txt"),
    ('a"b<c>:d|e?.txt', "a_b_c__d_e_.txt"),
    (".hidden", "hidden"),
    ("", "hidden-file.bin"),
])
def test_revealed_files_are_offered_under_a_sanitised_name(client, stored, offered):
    stego = stegokit.embed_text(small_photo(), Payload(b"data", "file", stored)).pixels
    found = reveal(client, png_bytes(stego))
    assert found.status_code == 200, errors(found)
    url = found.text.split('id="download" href="')[1].split('"')[0]
    disposition = client.get(url).headers["content-disposition"]
    assert f'filename="{offered}"' in disposition
    assert "/" not in disposition.split("filename*=")[1].removeprefix("UTF-8''")


def test_revealed_text_is_escaped(client):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> \x1b[31m'
    stego = stegokit.embed_text(small_photo(), hostile).pixels
    found = reveal(client, png_bytes(stego))
    assert found.status_code == 200
    assert "<script>alert" not in found.text and "<img src=x" not in found.text
    shown = found.text.split('id="message-text">')[1].split("</pre>")[0]
    assert html.unescape(shown) == hostile.replace("\x1b", "\\x1b")
    assert "control character(s)" in found.text
    assert kept(client, found.text, "download-text").decode("utf-8") == hostile  # exact


def test_neural_hide_downloads_a_jpeg_that_reveals(client):
    cover = png_bytes(small_photo(192))
    page = hide(client, cover, method="neural", message="meet at noon")
    assert page.status_code == 200, errors(page)
    stego = kept(client, page.text, "download")
    assert stego.startswith(b"\xff\xd8")
    found = reveal(client, stego, name="stego.jpg")
    assert found.status_code == 200 and "meet at noon" in found.text


@pytest.mark.parametrize(("fields", "files", "status", "message"), [
    ({}, {"cover": ("notes.png", b"just some text", "image/png")}, 400,
     "notes.png: not an image stegokit reads"),
    ({}, {}, 400, "choose a cover image"),
    ({"bits": "9"}, None, 400, "--bits must be 1, 2, 3 or 4"),
    ({"method": "magic"}, None, 400, "method must be one of lsb, neural"),
    ({"format": "jpeg"}, None, 400, "JPEG would destroy the hidden data"),
    ({"message": RANDOM_TEXT, "bits": "1"}, None, 400, "this cover holds at most"),
    ({"method": "neural", "message": "x" * 40}, None, 400, "the neural codec carries at most"),
    ({"lock": "contact", "to": ""}, None, 400, "choose a contact to seal to"),
])
def test_hide_bad_input_is_one_message_with_a_4xx(client, cover, private_home, fields, files,
                                                 status, message):
    if files is None:
        files = {"cover": ("photo.png", cover, "image/png")}
    data = {"kind": "text", "message": MESSAGE, "method": "lsb", "lock": "none", **fields}
    page = post_form(client, "/hide", data, files)
    assert page.status_code == status
    shown = errors(page)
    assert len(shown) == 1 and message in html.unescape(shown[0]), shown
    assert str(private_home) not in page.text  # no temporary paths
    assert temp_files(private_home) == []


def test_a_file_too_large_for_the_cover(client):
    noise = np.random.default_rng(1).integers(0, 256, (160, 160, 3), np.uint8)
    page = post_form(client, "/hide", {"kind": "file", "lock": "none"},
                     {"cover": ("noise.png", png_bytes(noise), "image/png"),
                      "payload": ("blob.bin", np.random.default_rng(2).bytes(9000),
                                  "application/octet-stream")})
    assert page.status_code == 400
    assert "at 1 bit per value" in errors(page)[0]


def test_a_request_over_the_size_limit_is_refused(private_home):
    client = web_client(max_upload_bytes=20_000)
    register(client)
    big = png_bytes(small_photo(200))
    assert len(big) > 20_000
    page = post_form(client, "/hide", {"message": "hi"}, {"cover": ("big.png", big)})
    assert page.status_code == 413
    assert errors(page) == ["the upload is too large: this server takes at most 20,000 bytes "
                            "per request"]
    assert temp_files(private_home) == []


def test_a_streamed_body_is_cut_off_at_the_limit(private_home):
    """Without a Content-Length (chunked), the body is counted as it arrives."""
    client = web_client(max_upload_bytes=20_000)
    register(client)

    def chunks():
        for _ in range(100):
            yield b"x" * 1000

    page = client.post("/hide", content=chunks(),
                       headers={"content-type": "multipart/form-data; boundary=b"})
    assert page.status_code == 413
    assert temp_files(private_home) == []


def test_a_declared_size_over_the_limit_is_refused_before_reading(private_home):
    """A Content-Length over the limit is answered 413 without reading the body."""
    import asyncio

    client = web_client(max_upload_bytes=20_000)
    register(client)
    sent = []

    async def receive():
        raise AssertionError("the body was read")

    async def send(message):
        sent.append(message)

    cookie = f"stegokit_session={client.cookies['stegokit_session']}".encode()
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/hide", "raw_path": b"/hide",
             "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5000),
             "server": ("testserver", 80),
             "headers": [(b"host", b"testserver"), (b"cookie", cookie),
                         (b"content-type", b"multipart/form-data; boundary=b"),
                         (b"content-length", b"999999999")]}
    asyncio.run(client.app(scope, receive, send))
    assert sent[0]["status"] == 413


def test_reveal_of_a_clean_image_says_no_hidden_message(client, cover):
    page = reveal(client, cover)
    assert page.status_code == 422
    assert len(errors(page)) == 1 and "no hidden message" in errors(page)[0].lower()


def test_reveal_needs_an_image(client):
    page = post_form(client, "/reveal", {"unlock": "none"}, {})
    assert page.status_code == 400 and errors(page) == ["choose an image to read"]
    text = reveal(client, b"hello", name="x.txt")
    assert text.status_code == 400 and errors(text)[0].startswith("x.txt: not an image")


def test_hide_image_round_trip(client, cover, private_home):
    secret = png_bytes(small_photo(48, "coffee"))
    page = post_form(client, "/hide-image", {"mode": "auto", "lock": "passphrase",
                                             "passphrase": "a long passphrase here",
                                             "passphrase2": "a long passphrase here"},
                     {"cover": ("photo.png", cover), "secret": ("secret.png", secret)})
    assert page.status_code == 200, errors(page)
    assert "every pixel exact" in page.text
    stego = kept(client, page.text, "download")
    wrong = post_form(client, "/reveal-image", {"unlock": "passphrase", "passphrase": "nope"},
                      {"stego": ("photo-stego.png", stego)})
    assert wrong.status_code == 403
    found = post_form(client, "/reveal-image", {"unlock": "passphrase",
                                                "passphrase": "a long passphrase here"},
                      {"stego": ("photo-stego.png", stego)})
    assert found.status_code == 200, errors(found)
    revealed = np.asarray(Image.open(io.BytesIO(kept(client, found.text, "download"))))
    assert np.array_equal(revealed, small_photo(48, "coffee"))
    assert temp_files(private_home) == []


def test_hide_image_bad_input(client, cover):
    missing = post_form(client, "/hide-image", {"mode": "auto"}, {"cover": ("c.png", cover)})
    assert missing.status_code == 400 and errors(missing) == ["choose an image to hide"]
    huge = png_bytes(small_photo(400, "coffee"))
    too_big = post_form(client, "/hide-image", {"mode": "nibble"},
                        {"cover": ("c.png", cover), "secret": ("s.png", huge)})
    assert too_big.status_code == 400 and len(errors(too_big)) == 1
    mode = post_form(client, "/hide-image", {"mode": "zip"},
                     {"cover": ("c.png", cover), "secret": ("s.png", cover)})
    assert mode.status_code == 400


def test_reveal_image_of_a_text_stego_says_so(client, cover):
    stego = kept(client, hide(client, cover).text, "download")
    page = post_form(client, "/reveal-image", {"unlock": "none"}, {"stego": ("s.png", stego)})
    assert 400 <= page.status_code < 500 and len(errors(page)) == 1


def test_capacity_page_and_json(client, cover):
    page = post_form(client, "/capacity", {}, {"cover": ("photo.png", cover)})
    assert page.status_code == 200, errors(page)
    report = stegokit.capacity(small_photo())
    assert f"{report.lsb[1]:,}" in page.text and "160×160 RGB" in page.text
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post("/capacity", data={"csrf_token": token},
                         files={"cover": ("photo.png", cover)},
                         headers={"accept": "application/json"})
    assert answer.status_code == 200
    assert answer.json() == json.loads(json.dumps(report.to_dict()))
    bad = client.post("/capacity", data={"csrf_token": token},
                      files={"cover": ("x.png", b"nope")}, headers={"accept": "application/json"})
    assert bad.status_code == 400 and bad.json()["error"].startswith("x.png: not an image")
    refused = client.post("/capacity", files={"cover": ("photo.png", cover)},
                          headers={"accept": "application/json"})
    assert refused.status_code == 403


def test_the_hide_form_sent_to_capacity_shows_the_capacity(client, cover):
    """Without JavaScript, the Hide form's second button sends it to the Capacity page."""
    page = client.get("/hide")
    assert 'formaction="/capacity"' in page.text
    shown = post_form(client, "/capacity", {"kind": "text", "message": MESSAGE, "lock": "none"},
                      {"cover": ("photo.png", cover)})
    assert shown.status_code == 200 and "160×160 RGB" in shown.text


def test_analyze_shows_the_verdict_estimates_and_bit_planes(client, cover):
    stego = stegokit.embed_text(small_photo(), "x" * 3000, bits=1, adaptive=False).pixels
    for pixels in (small_photo(), stego):
        page = post_form(client, "/analyze", {}, {"image": ("img.png", png_bytes(pixels))})
        assert page.status_code == 200, errors(page)
        assert 'id="verdict"' in page.text and "chi-square p" in page.text
        planes = Image.open(io.BytesIO(kept(client, page.text, "planes")))
        assert planes.size[0] >= 160
    assert "a plain (unencrypted) stegokit message is readable by anyone" in page.text
    tiny = post_form(client, "/analyze", {}, {"image": ("tiny.png", png_bytes(
        np.zeros((2, 2, 3), np.uint8)))})
    assert tiny.status_code == 400 and "too small to analyse" in errors(tiny)[0]
