"""The web app's keyring pages: Contacts, Send by e-mail (a real SMTP server on loopback)
and History."""

from __future__ import annotations

import email
import hashlib
import socket
from email import policy

import pytest
from conftest import require
from web_support import errors, kept, png_bytes, post_form, register, small_photo, token, web_client

from stegokit import crypto, keytext
from stegokit.keyring import Keyring

SMTP_LOGIN, SMTP_PASSWORD = "alice", "smtp pass 42"


@pytest.fixture
def client():
    client = web_client()
    register(client)
    return client


def add_contact(client, name="Bob", email_="bob@example.org", key=None):
    key = key or keytext.encode_public_key(crypto.generate_keypair()[1])
    return client.post("/contacts", data={"csrf_token": token(client, "/contacts"),
                                          "name": name, "email": email_, "key": key})


def test_contacts_add_list_remove(client):
    page = client.get("/contacts")
    assert "No contacts yet." in page.text
    with Keyring.open() as keyring:
        assert keyring.user("alice@example.org").key_text in page.text  # own key to share
    key = keytext.encode_public_key(crypto.generate_keypair()[1])
    added = add_contact(client, key=key)
    assert added.status_code == 200 and "Added Bob &lt;bob@example.org&gt;." in added.text
    listed = client.get("/contacts")
    assert key in listed.text and "bob@example.org" in listed.text
    removed = client.post("/contacts/remove", data={"csrf_token": token(client, "/contacts"),
                                                    "email": "bob@example.org"})
    assert removed.status_code == 303
    assert "No contacts yet." in client.get("/contacts").text


@pytest.mark.parametrize(("fields", "message"), [
    ({"key": "stegokit1:AAAA"}, ""),
    ({"key": "hello"}, ""),
    ({"email": "bob"}, "'bob' is not an e-mail address (name@domain)"),
    ({"email": "alice@example.org"}, "alice@example.org is a local user; no contact is needed"),
])
def test_contacts_refuse_bad_input_in_the_cli_wording(client, fields, message):
    args = {"name": "Bob", "email_": "bob@example.org", "key": None}
    args.update({("email_" if k == "email" else k): v for k, v in fields.items()})
    page = add_contact(client, **args)
    assert page.status_code == 400
    assert len(errors(page)) == 1 and message in errors(page)[0].replace("&#39;", "'")
    with Keyring.open() as keyring:
        assert keyring.contacts() == []


def test_contact_duplicates_and_unknown_removal(client):
    add_contact(client)
    again = add_contact(client)
    assert again.status_code == 400
    assert errors(again) == ["a contact with the e-mail bob@example.org already exists"]
    gone = client.post("/contacts/remove", data={"csrf_token": token(client, "/contacts"),
                                                 "email": "carol@example.org"})
    assert gone.status_code == 400
    assert errors(gone) == ["no contact carol@example.org (see: stegokit contact list)"]


def test_contact_names_are_escaped(client):
    add_contact(client, name="<b>Bob</b>")
    page = client.get("/contacts")
    assert "<b>Bob</b>" not in page.text and "&lt;b&gt;Bob&lt;/b&gt;" in page.text


def test_history_lists_what_was_hidden_never_the_message(client):
    assert "Nothing hidden yet." in client.get("/history").text
    page = post_form(client, "/hide", {"kind": "text", "message": "the secret plan",
                                       "lock": "none"},
                     {"cover": ("photo.png", png_bytes(small_photo()))})
    stego = kept(client, page.text, "download")
    history = client.get("/history")
    assert hashlib.sha256(stego).hexdigest() in history.text
    assert "web: photo-stego.png" in history.text and "the secret plan" not in history.text
    other = web_client()
    register(other, email="bob@example.org")
    assert "Nothing hidden yet." in other.get("/history").text  # each user their own


class _Inbox:
    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    """aiosmtpd on a free loopback port: plain, with AUTH (allowed over loopback)."""
    require("aiosmtpd")
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def check_login(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == SMTP_LOGIN.encode()
              and auth_data.password == SMTP_PASSWORD.encode())
        return AuthResult(success=ok, handled=False)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, auth_required=True,
                            auth_require_tls=False, authenticator=check_login)
    controller.start()
    yield inbox, port
    controller.stop()


def test_mail_sends_the_image_untouched_with_the_stored_account(client, smtp_server):
    inbox, port = smtp_server
    assert "You have no SMTP account yet" in client.get("/mail").text
    saved = client.post("/mail/account", data={
        "csrf_token": token(client, "/mail"), "host": "127.0.0.1", "port": str(port),
        "security": "none", "username": SMTP_LOGIN, "password": SMTP_PASSWORD})
    assert saved.status_code == 303
    page = client.get("/mail")
    assert f"127.0.0.1:{port} (none) as alice" in page.text and SMTP_PASSWORD not in page.text
    with Keyring.open() as keyring:
        assert keyring.smtp_account("alice@example.org").sealed_password is not None
    stego = png_bytes(small_photo())
    sent = post_form(client, "/mail", {"to": "bob@example.org", "subject": "Holiday",
                                       "body": "Photos."}, {"stego": ("holiday.png", stego)})
    assert sent.status_code == 200, errors(sent)
    assert f"Sent holiday.png ({len(stego):,} bytes) to bob@example.org" in sent.text
    (envelope,) = inbox.envelopes
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    assert message["subject"] == "Holiday" and "alice@example.org" in message["from"]
    (attachment,) = message.iter_attachments()
    assert attachment.get_content() == stego


def test_mail_errors_are_one_message(client, smtp_server):
    inbox, port = smtp_server
    stego = ("holiday.png", png_bytes(small_photo()))
    no_account = post_form(client, "/mail", {"to": "bob@example.org"}, {"stego": stego})
    assert no_account.status_code == 400
    assert errors(no_account)[0].startswith("alice@example.org has no SMTP account")
    bad_port = client.post("/mail/account", data={
        "csrf_token": token(client, "/mail"), "host": "127.0.0.1", "port": "99999",
        "security": "none"})
    assert bad_port.status_code == 400
    assert errors(bad_port) == ["give an SMTP host and a port between 1 and 65535"]
    client.post("/mail/account", data={"csrf_token": token(client, "/mail"),
                                       "host": "127.0.0.1", "port": str(port),
                                       "security": "none", "username": SMTP_LOGIN,
                                       "password": "wrong"})
    refused = post_form(client, "/mail", {"to": "bob@example.org"}, {"stego": stego})
    assert 400 <= refused.status_code < 500 and len(errors(refused)) == 1
    assert inbox.envelopes == []
    bad_to = post_form(client, "/mail", {"to": "bob"}, {"stego": stego})
    assert bad_to.status_code == 400
    assert errors(bad_to) == ["&#39;bob&#39; is not an e-mail address (name@domain)"]
