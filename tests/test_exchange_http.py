"""The exchange endpoint and the Inbox page through Starlette's test client.

Real keyring users, real PNG files, a real inbox under a private STEGOKIT_HOME.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path

import pytest
from conftest import require
from exchange_support import png_bytes
from keyring_support import isolate, register, run, write_cover

from stegokit.errors import InputError
from stegokit.inbox import Inbox

require("httpx2")
TestClient = require("starlette.testclient").TestClient
create_app = require("stegokit.web.app").create_app

CORPUS = Path(__file__).parent / "corpus"
#: The corpus files that are not sound images stegokit reads (test_exchange_inbox.REFUSED).
HOSTILE = ["empty.png", "text.png", "truncated.png", "truncated.jpg", "bad-crc.png",
           "huge-header.png", "zero-size.png", "float.tiff",
           "random-bytes.bmp"]
MESSAGE = "the drop is at the old mill, 6 pm"
SEND = "/exchange/v1/send"


@pytest.fixture
def home(monkeypatch, tmp_path):
    home = isolate(monkeypatch, tmp_path)
    register("bob@example.org", "bob pw")
    register("carol@example.org", "carol pw")
    return home


def client_for(monkeypatch, limits: str | None = None, rate: str | None = None):
    if limits:
        monkeypatch.setenv("STEGOKIT_INBOX_LIMITS", limits)
    if rate:
        monkeypatch.setenv("STEGOKIT_EXCHANGE_RATE", rate)
    return TestClient(create_app(), base_url="http://127.0.0.1")


@pytest.fixture
def client(home, monkeypatch):
    return client_for(monkeypatch)


def stray_files(home: Path) -> list[Path]:
    """Files left under the home other than the keyring, the index and stored images."""
    return [p for p in home.rglob("*") if p.is_file()
            and (p.name.startswith(".") or p.suffix == ".tmp" or "web-tmp" in p.parts)]


def post_image(client, data, to="bob@example.org", sender="alice@example.org",
               **headers):
    params = {"to": to} | ({"from": sender} if sender else {})
    return client.post(SEND, params=params, content=data,
                       headers={"content-type": "application/octet-stream", **headers})


# --- the endpoint ---

def test_an_image_is_stored_untouched_and_its_hash_returned(client, home):
    data = png_bytes(3)
    response = post_image(client, data)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["sha256"] == hashlib.sha256(data).hexdigest()
    assert (answer["recipient"], answer["sender"], answer["size"], answer["format"]) == \
        ("bob@example.org", "alice@example.org", len(data), "PNG")
    (stored,) = Inbox.open().arrivals("bob@example.org")
    assert stored.path.read_bytes() == data
    assert stored.path.is_relative_to(home)
    assert stray_files(home) == []


def test_the_recipient_is_found_whatever_its_case(client):
    response = post_image(client, png_bytes(), to="BOB@example.org", sender=None)
    assert response.status_code == 201
    assert response.json()["recipient"] == "bob@example.org"
    assert response.json()["sender"] is None


def test_not_an_image_is_415(client, home):
    response = post_image(client, b"%PDF-1.7\n" + bytes(2000), **{"content-type": "image/png"})
    assert response.status_code == 415
    assert "not an image stegokit reads" in response.json()["error"]
    assert Inbox.open().arrivals("bob@example.org") == []
    assert stray_files(home) == []


@pytest.mark.parametrize("name", HOSTILE)
def test_each_hostile_corpus_file_is_a_clean_4xx_leaving_no_file(client, home, name,
                                                                 monkeypatch, tmp_path):
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_temp))
    response = post_image(client, (CORPUS / name).read_bytes())
    assert response.status_code == 415, response.text
    message = response.json()["error"]
    assert message.startswith("the upload")
    assert str(home) not in message and "Traceback" not in message
    assert stray_files(home) == []
    assert list(system_temp.iterdir()) == []
    assert Inbox.open().arrivals("bob@example.org") == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
def test_what_a_web_page_could_post_unasked_is_refused(client, content_type):
    response = post_image(client, png_bytes(), **{"content-type": content_type})
    assert response.status_code == 415
    assert "application/octet-stream" in response.json()["error"]
    assert Inbox.open().arrivals("bob@example.org") == []


def test_too_large_by_its_declared_length_or_while_streaming(home, monkeypatch):
    client = client_for(monkeypatch, limits="2000,100,100000")
    big = png_bytes(side=64)
    assert len(big) > 2000
    declared = post_image(client, big)
    assert declared.status_code == 413
    assert "larger than this inbox accepts (2,000 bytes)" in declared.json()["error"]

    def chunks():  # no Content-Length: the limit holds while the body streams in
        for start in range(0, len(big), 500):
            yield big[start:start + 500]

    streamed = post_image(client, chunks())
    assert streamed.status_code == 413
    assert "2,000 bytes" in streamed.json()["error"]
    assert stray_files(home) == []
    assert Inbox.open().arrivals("bob@example.org") == []


def test_an_unknown_recipient_is_404_with_a_clear_message(client):
    response = post_image(client, png_bytes(), to="zed@example.org")
    assert response.status_code == 404
    assert response.json()["error"].startswith("no user zed@example.org on this server")


@pytest.mark.parametrize(("params", "message"), [
    ({}, "say who the image is for"),
    ({"to": "bob@example.org", "from": "not an address"}, "is not an e-mail address"),
])
def test_bad_parameters_are_400(client, params, message):
    response = client.post(SEND, params=params, content=png_bytes(),
                           headers={"content-type": "image/png"})
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_uploads_are_rate_limited_per_client(home, monkeypatch):
    client = client_for(monkeypatch, rate="3,60")
    statuses = [post_image(client, png_bytes(seed)).status_code for seed in range(3)]
    assert statuses == [201, 201, 201]
    refused = post_image(client, png_bytes(9))
    assert refused.status_code == 429
    assert "too many uploads" in refused.json()["error"]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert post_image(client, png_bytes(9), to="zed@example.org").status_code == 429
    assert len(Inbox.open().arrivals("bob@example.org")) == 3


def test_a_full_inbox_is_507(home, monkeypatch):
    client = client_for(monkeypatch, limits="1000000,2,100000000")
    assert [post_image(client, png_bytes(s)).status_code for s in range(2)] == [201, 201]
    full = post_image(client, png_bytes(5))
    assert full.status_code == 507
    assert "the inbox of bob@example.org is full" in full.json()["error"]
    assert post_image(client, png_bytes(6), to="carol@example.org").status_code == 201


def test_a_damaged_inbox_is_a_500_that_names_no_path(client, home):
    (home / "inbox").mkdir()
    (home / "inbox" / "index.db").write_bytes(b"not a database" * 100)
    response = post_image(client, png_bytes())
    assert response.status_code == 500
    assert response.json() == {"error": "this server cannot store images now: tell its owner"}
    assert stray_files(home) == []


def test_the_endpoint_takes_only_post(client):
    assert client.get(SEND, params={"to": "bob@example.org"}).status_code == 405


# --- the Inbox page ---

def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, email: str, password: str) -> None:
    token = csrf_of(client.get("/signin").text)
    response = client.post("/signin", data={"email": email, "password": password,
                                            "csrf_token": token})
    assert response.status_code == 200 and email in response.text, response.text


@pytest.fixture
def sealed_to_bob(home, tmp_path) -> bytes:
    cover, stego = write_cover(tmp_path / "cover.png"), tmp_path / "for-bob.png"
    result = run("embed-text", str(cover), "-o", str(stego), "-m", MESSAGE, "--to",
                 "bob@example.org")
    assert result.exit_code == 0, result.output
    return stego.read_bytes()


def test_signed_out_visitors_are_redirected(client):
    arrival = post_image(client, png_bytes()).json()
    for method, path in [("GET", "/inbox"), ("GET", f"/inbox/{arrival['id']}/download"),
                         ("POST", f"/inbox/{arrival['id']}/open")]:
        response = client.request(method, path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/signin?next=")


def test_the_inbox_lists_opens_and_downloads_the_users_images(client, sealed_to_bob):
    mine = post_image(client, sealed_to_bob).json()
    theirs = post_image(client, png_bytes(1), to="carol@example.org").json()
    sign_in(client, "bob@example.org", "bob pw")
    listing = client.get("/inbox")
    assert listing.status_code == 200
    assert mine["id"] in listing.text and mine["sha256"] in listing.text
    assert "alice@example.org" in listing.text
    assert theirs["id"] not in listing.text
    opened = client.post(f"/inbox/{mine['id']}/open", data={"csrf_token": csrf_of(listing.text)})
    assert opened.status_code == 200
    assert MESSAGE in opened.text
    download = client.get(f"/inbox/{mine['id']}/download")
    assert download.status_code == 200
    assert download.content == sealed_to_bob
    assert download.headers["content-type"] == "image/png"
    assert f'filename="{mine["file_name"]}"' in download.headers["content-disposition"]


def test_a_hidden_file_opens_as_a_download_with_a_safe_name(client, home, tmp_path):
    hidden = tmp_path / "plan<1>.pdf"
    hidden.write_bytes(b"%PDF-1.7 the plan\n" * 20)
    cover, stego = write_cover(tmp_path / "cover.png"), tmp_path / "for-bob.png"
    assert run("embed-text", str(cover), "-o", str(stego), "--file", str(hidden), "--to",
               "bob@example.org").exit_code == 0
    mine = post_image(client, stego.read_bytes()).json()
    sign_in(client, "bob@example.org", "bob pw")
    token = csrf_of(client.get("/inbox").text)
    opened = client.post(f"/inbox/{mine['id']}/open", data={"csrf_token": token})
    assert opened.status_code == 200
    link = re.search(r'id="download" href="([^"]+)" download="([^"]+)"', opened.text)
    assert link.group(2) == "plan_1_.pdf"
    assert client.get(link.group(1)).content == hidden.read_bytes()


def test_another_users_images_are_refused(client, sealed_to_bob):
    theirs = post_image(client, sealed_to_bob).json()  # bob's, seen by carol
    sign_in(client, "carol@example.org", "carol pw")
    token = csrf_of(client.get("/inbox").text)
    assert theirs["id"] not in client.get("/inbox").text
    for method, path in [("POST", f"/inbox/{theirs['id']}/open"),
                         ("GET", f"/inbox/{theirs['id']}/download"),
                         ("POST", f"/inbox/{theirs['id']}/delete")]:
        response = client.request(method, path, data={"csrf_token": token})
        assert response.status_code == 403, path
        assert "sent to another user" in response.text
        assert MESSAGE not in response.text
    assert len(Inbox.open().arrivals("bob@example.org")) == 1
    missing = client.get("/inbox/" + "0" * 24 + "/download")
    assert missing.status_code == 404


def test_opening_needs_the_csrf_token(client, sealed_to_bob):
    mine = post_image(client, sealed_to_bob).json()
    sign_in(client, "bob@example.org", "bob pw")
    for data in ({"other": "field"}, {"csrf_token": "forged"}):
        response = client.post(f"/inbox/{mine['id']}/open", data=data)
        assert response.status_code == 403
        assert MESSAGE not in response.text


def test_an_image_not_sealed_to_the_user_says_so(client):
    plain = post_image(client, png_bytes()).json()
    sign_in(client, "bob@example.org", "bob pw")
    token = csrf_of(client.get("/inbox").text)
    response = client.post(f"/inbox/{plain['id']}/open", data={"csrf_token": token})
    assert response.status_code == 403
    assert 'id="error">authentication failed: wrong passphrase or key' in response.text
    assert plain["id"] in response.text  # the list is still shown


def test_a_changed_stored_image_is_not_handed_out(client, sealed_to_bob):
    mine = post_image(client, sealed_to_bob).json()
    (stored,) = Inbox.open().arrivals("bob@example.org")
    stored.path.write_bytes(png_bytes(7))
    sign_in(client, "bob@example.org", "bob pw")
    token = csrf_of(client.get("/inbox").text)
    opened = client.post(f"/inbox/{mine['id']}/open", data={"csrf_token": token})
    assert opened.status_code == 400
    assert "no longer matches its SHA-256" in opened.text
    assert client.get(f"/inbox/{mine['id']}/download").status_code == 400


def test_deleting_an_image(client, sealed_to_bob):
    mine = post_image(client, sealed_to_bob).json()
    sign_in(client, "bob@example.org", "bob pw")
    token = csrf_of(client.get("/inbox").text)
    assert client.post(f"/inbox/{mine['id']}/delete", data={"csrf_token": "x"}).status_code == 403
    response = client.post(f"/inbox/{mine['id']}/delete", data={"csrf_token": token})
    assert response.status_code == 200
    assert mine["id"] not in response.text
    assert Inbox.open().arrivals("bob@example.org") == []


@pytest.mark.parametrize(("name", "value"), [("STEGOKIT_INBOX_LIMITS", "50M,10"),
                                             ("STEGOKIT_EXCHANGE_RATE", "many")])
def test_malformed_limits_stop_the_app_with_one_message(home, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(InputError, match="STEGOKIT_INBOX_LIMITS is 'max_image_bytes"):
        create_app()
