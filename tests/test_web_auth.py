"""The web app's accounts: register, sign in and out, the session cookie, CSRF, rate limits,
and redirects for signed-out visitors."""

from __future__ import annotations

import re

import pytest
from web_support import PASSWORD, errors, register, token, web_client

from stegokit.keyring import Keyring

PAGES = ["/hide", "/reveal", "/hide-image", "/reveal-image", "/capacity", "/analyze",
         "/contacts", "/mail", "/history", "/files/abc"]
POSTS = ["/hide", "/reveal", "/hide-image", "/reveal-image", "/capacity", "/analyze",
         "/contacts", "/contacts/remove", "/mail", "/mail/account"]
MULTIPART = {"/hide", "/reveal", "/hide-image", "/reveal-image", "/capacity", "/analyze",
             "/mail"}


class Clock:
    """A clock the tests move forward."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def use_cookie(client, value: str) -> None:
    """Replace the client's session cookie (only one is then sent)."""
    client.cookies.clear()
    client.cookies.set("stegokit_session", value)


def sign_in(client, email="alice@example.org", password=PASSWORD, next_path=""):
    return client.post("/signin", data={"csrf_token": token(client), "email": email,
                                        "password": password, "next": next_path})


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_pages_redirect_to_sign_in(path):
    client = web_client()
    answer = client.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/signin?next={path}"


@pytest.mark.parametrize("path", POSTS)
def test_signed_out_posts_redirect_and_do_nothing(path, private_home):
    client = web_client()
    answer = client.post(path, data={"csrf_token": token(client), "name": "Eve",
                                     "email": "eve@example.org", "host": "smtp.example.org"})
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/signin")
    with Keyring.open() as keyring:
        assert keyring.contacts() == [] and keyring.users() == []


def test_register_signs_in_and_the_user_is_in_the_keyring():
    client = web_client()
    answer = register(client)
    assert answer.headers["location"] == "/hide"
    page = client.get("/hide")
    assert page.status_code == 200 and "alice@example.org" in page.text
    assert 'href="/inbox"' in page.text  # the nav bar leaves room for the Inbox page
    with Keyring.open() as keyring:
        assert keyring.check_password("alice@example.org", PASSWORD).name == "Alice"


@pytest.mark.parametrize(("fields", "status", "message"), [
    ({"password2": "other"}, 400, "the two passwords differ"),
    ({"password": "", "password2": ""}, 400, "the password is empty"),
    ({"email": "not-an-address"}, 400, "is not an e-mail address"),
    ({"name": " "}, 400, "a name is 1 to 200 printable characters"),
])
def test_register_refuses_bad_input(fields, status, message):
    client = web_client()
    data = {"csrf_token": token(client, "/register"), "name": "Alice",
            "email": "alice@example.org", "password": PASSWORD, "password2": PASSWORD,
            **fields}
    answer = client.post("/register", data=data)
    assert answer.status_code == status
    assert [message in line for line in errors(answer)] == [True]
    assert client.get("/hide").status_code == 303  # not signed in


def test_register_an_existing_email_is_refused_in_the_cli_wording():
    client = web_client()
    register(client)
    other = web_client()
    answer = other.post("/register", data={
        "csrf_token": token(other, "/register"), "name": "Mallory",
        "email": "ALICE@example.org", "password": "x" * 12, "password2": "x" * 12})
    assert answer.status_code == 400
    assert errors(answer) == ["a user with the e-mail ALICE@example.org already exists"]


def test_sign_out_then_in_again():
    client = web_client()
    register(client)
    answer = client.post("/signout", data={"csrf_token": token(client, "/hide")})
    assert answer.status_code == 303 and answer.headers["location"] == "/signin"
    assert client.get("/hide").status_code == 303
    wrong = sign_in(client, password="wrong")
    assert wrong.status_code == 403
    assert errors(wrong) == ["authentication failed: wrong e-mail or password"]
    unknown = sign_in(client, email="nobody@example.org")
    assert unknown.status_code == 403 and errors(unknown) == errors(wrong)
    right = sign_in(client, next_path="/history")
    assert right.status_code == 303 and right.headers["location"] == "/history"
    assert client.get("/history").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x",
                                    "/\\evil.example"])
def test_sign_in_never_redirects_off_site(target):
    client = web_client()
    register(client)
    client.post("/signout", data={"csrf_token": token(client, "/hide")})
    answer = sign_in(client, next_path=target)
    assert answer.headers["location"] == "/hide"


def test_session_cookie_flags_and_rotation():
    client = web_client()
    first = client.get("/signin").headers["set-cookie"]
    assert re.search(r"HttpOnly", first) and "SameSite=Strict" in first
    assert "Max-Age=" in first and "Secure" not in first
    before = client.cookies["stegokit_session"]
    answer = register(client)
    after = client.cookies["stegokit_session"]
    assert "set-cookie" in answer.headers and after != before
    use_cookie(client, before)  # no session fixation:
    assert client.get("/hide").status_code == 303  # the id from before is not signed in
    secure = web_client(secure_cookies=True).get("/signin").headers["set-cookie"]
    assert "; Secure" in secure


def test_a_forged_or_altered_cookie_is_ignored():
    client = web_client()
    register(client)
    value = client.cookies["stegokit_session"]
    session_id, expires, mac = value.split(".")
    use_cookie(client, f"{session_id}.{int(expires) + 9999}.{mac}")
    assert client.get("/hide").status_code == 303
    use_cookie(client, value)
    assert client.get("/hide").status_code == 200
    use_cookie(client, "garbage")
    assert client.get("/hide").status_code == 303


def test_sessions_expire_when_idle_and_after_their_lifetime():
    clock = Clock()
    client = web_client(clock=clock, session_idle_s=600, session_lifetime_s=3600)
    register(client)
    clock.now += 590
    assert client.get("/hide").status_code == 200
    clock.now += 590  # idle 590 s again: still in
    assert client.get("/hide").status_code == 200
    clock.now += 601
    assert client.get("/hide").status_code == 303
    sign_in(client)
    for _ in range(8):
        clock.now += 500
        client.get("/hide")
    assert client.get("/hide").status_code == 303  # 4000 s later: past the lifetime


def test_sign_out_forgets_the_session_on_the_server():
    client = web_client()
    register(client)
    stolen = client.cookies["stegokit_session"]
    client.post("/signout", data={"csrf_token": token(client, "/hide")})
    use_cookie(client, stolen)
    assert client.get("/hide").status_code == 303


@pytest.mark.parametrize("path", [*POSTS, "/signout"])
@pytest.mark.parametrize("sent", [None, "wrong-token"])
def test_forms_without_the_csrf_token_are_refused(path, sent, private_home):
    client = web_client()
    register(client)
    data = {"name": "Eve", "email": "eve@example.org",
            "key": "stegokit1:x", "host": "smtp.example.org"}
    if sent:
        data["csrf_token"] = sent
    files = {"unused": ("a.txt", b"x")} if path in MULTIPART else None
    answer = client.post(path, data=data, files=files)
    assert answer.status_code == 403
    assert errors(answer) == ["this form has expired or did not come from this site: "
                              "reload the page and send it again"]
    assert client.get("/hide").status_code == 200  # still signed in: sign-out was refused
    with Keyring.open() as keyring:
        assert keyring.contacts() == []


def test_a_token_of_another_session_is_refused():
    alice, mallory = web_client(), web_client()
    register(alice)
    answer = alice.post("/contacts", data={"csrf_token": token(mallory), "name": "Eve",
                                           "email": "eve@example.org", "key": "x"})
    assert answer.status_code == 403


def test_sign_in_and_register_need_the_token_too():
    client = web_client()
    assert client.post("/register", data={"name": "A", "email": "a@example.org",
                                          "password": "p", "password2": "p"}).status_code == 403
    assert client.post("/signin", data={"email": "a@example.org",
                                        "password": "p"}).status_code == 403


def test_failed_sign_ins_are_rate_limited():
    from stegokit.web.ratelimit import AttemptLimiter

    clock = Clock()
    client = web_client()
    client.app.state.limiter = AttemptLimiter(max_failures=5, window_s=300, clock=clock)
    register(client)
    client.post("/signout", data={"csrf_token": token(client, "/hide")})
    for _ in range(5):
        assert sign_in(client, password="guess").status_code == 403
    blocked = sign_in(client)  # even the right password waits
    assert blocked.status_code == 429
    assert errors(blocked) == ["too many failed sign-ins: try again in 301 s"]
    other_email = sign_in(client, email="bob@example.org", password="guess")
    assert other_email.status_code == 429  # the same client address
    clock.now += 301
    assert sign_in(client).status_code == 303


def test_passwords_are_never_logged(caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    client = web_client()
    register(client, password="hunter2 secret words")
    client.post("/signout", data={"csrf_token": token(client, "/hide")})
    sign_in(client, password="wrong secret guess")
    assert "hunter2" not in caplog.text and "secret guess" not in caplog.text


def test_security_headers_and_no_stack_traces(caplog):
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from stegokit.web.app import create_app

    def broken(request):
        raise RuntimeError("secret detail")

    client = TestClient(create_app(extra_routes=[Route("/broken", broken)]),
                        raise_server_exceptions=False)
    page = client.get("/signin")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    answer = client.get("/broken")
    assert answer.status_code == 500 and answer.headers["x-frame-options"] == "DENY"
    assert "secret detail" not in answer.text and "Traceback" not in answer.text
    assert "RuntimeError" in caplog.text and "secret detail" not in caplog.text
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "no such page" in missing.text


def test_home_and_the_shipped_assets():
    client = web_client()
    assert client.get("/").headers["location"] == "/signin"
    page = client.get("/signin")
    head = page.text.split("<body>")[0]
    assert '<script src="/static/app.js"' in head and "://" not in head  # no CDN
    assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/style.css").status_code == 200
    register(client)
    assert client.get("/").headers["location"] == "/hide"
