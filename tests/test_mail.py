"""`stegokit mail` against a real SMTP server (aiosmtpd on loopback): plain, STARTTLS, TLS, AUTH."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import socket
import ssl
import time
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from keyring_support import isolate, register, run, write_cover

from stegokit import mail

MESSAGE = "Meet at the old bridge at noon."
SMTP_LOGIN, SMTP_PASSWORD = "alice", "smtp pass 42"


@pytest.fixture(autouse=True)
def home(monkeypatch, tmp_path):
    return isolate(monkeypatch, tmp_path)


class Inbox:
    """An aiosmtpd handler that keeps what it receives and rejects nobody@..."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


def check_login(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == SMTP_LOGIN.encode()
          and auth_data.password == SMTP_PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1 made here, and a server context using it."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stegokit test server")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return cert_path, context


SETUPS = {
    # name: (client --smtp-security, server options, client logs in)
    "plain": ("none", {}, False),
    "starttls": ("starttls", {"require_starttls": True}, False),
    "auth": ("starttls", {"require_starttls": True, "auth_required": True}, True),
    "implicit-tls": ("ssl", {}, False),
    "auth-plain-loopback": ("none", {"auth_required": True, "auth_require_tls": False}, True),
}


@pytest.fixture
def smtp_server(request, certificate):
    """Start an aiosmtpd server on a free loopback port in the setup named by the param."""
    security, options, _ = SETUPS[request.param]
    _, context = certificate
    inbox = Inbox()
    kwargs = dict(options)
    if security == "starttls":
        kwargs["tls_context"] = context
    if security == "ssl":
        kwargs["ssl_context"] = context
    if options.get("auth_required"):
        kwargs["authenticator"] = check_login
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    yield inbox, controller.port, request.param
    controller.stop()


def smtp_flags(port: int, setup: str, cafile: Path) -> list[str]:
    security, _, _ = SETUPS[setup]
    flags = ["--smtp-host", "127.0.0.1", "--smtp-port", str(port), "--smtp-security", security,
             "--timeout", "10"]
    return [*flags, "--cafile", str(cafile)] if security != "none" else flags


@pytest.fixture
def stego(tmp_path) -> Path:
    """Alice registered (and logged in); an image sealed to her."""
    register("alice@example.org", "alice pw", name="Alice")
    cover = write_cover(tmp_path / "cover.png")
    out = tmp_path / "holiday.png"
    result = run("embed-text", str(cover), "-o", str(out), "-m", MESSAGE,
                 "--to", "alice@example.org")
    assert result.exit_code == 0, result.output
    return out


def received_attachment(inbox: Inbox, tmp_path: Path) -> tuple[email.message.EmailMessage, Path]:
    """The one message received, and its one attachment written to a file."""
    assert len(inbox.envelopes) == 1
    message = email.message_from_bytes(inbox.envelopes[0].content, policy=policy.default)
    (attachment,) = message.iter_attachments()
    path = tmp_path / "received" / attachment.get_filename()
    path.parent.mkdir()
    path.write_bytes(attachment.get_content())
    return message, path


@pytest.mark.parametrize("smtp_server", list(SETUPS), indirect=True)
def test_mail_arrives_byte_identical_and_opens(smtp_server, stego, certificate, tmp_path):
    inbox, port, setup = smtp_server
    env = {"STEGOKIT_SMTP_PASSWORD": SMTP_PASSWORD} if SETUPS[setup][2] else {}
    login = ["--smtp-user", SMTP_LOGIN] if SETUPS[setup][2] else []
    result = run("mail", str(stego), "--to", "bob@example.org", "--subject", "Holiday",
                 "--body", "Photos attached.", *smtp_flags(port, setup, certificate[0]),
                 *login, **env)
    assert result.exit_code == 0, result.output
    assert f"Sent holiday.png ({stego.stat().st_size:,} bytes) to bob@example.org" in result.stdout
    message, received = received_attachment(inbox, tmp_path)
    assert inbox.envelopes[0].rcpt_tos == ["bob@example.org"]
    assert message["Subject"] == "Holiday" and message["From"] == "Alice <alice@example.org>"
    assert message.get_body(("plain",)).get_content().strip() == "Photos attached."
    (part,) = message.iter_attachments()
    assert part.get_content_type() == "image/png"
    assert received.read_bytes() == stego.read_bytes()
    opened = run("extract-text", str(received), "--user", "alice@example.org",
                 password="alice pw")
    assert opened.exit_code == 0 and opened.stdout == MESSAGE + "\n"


@pytest.mark.parametrize("smtp_server", ["auth"], indirect=True)
def test_stored_account_password_is_unlocked_by_the_user(smtp_server, stego, certificate,
                                                         tmp_path):
    inbox, port, _ = smtp_server
    stored = run("user", "smtp", "set", "--host", "127.0.0.1", "--port", str(port),
                 "--username", SMTP_LOGIN, STEGOKIT_SMTP_PASSWORD=SMTP_PASSWORD)
    assert stored.exit_code == 0, stored.output
    wrong = run("mail", str(stego), "--to", "bob@example.org", "--cafile",
                str(certificate[0]), password="not alice's")
    assert wrong.exit_code == 4 and inbox.envelopes == []
    result = run("mail", str(stego), "--to", "bob@example.org", "--cafile",
                 str(certificate[0]), password="alice pw")
    assert result.exit_code == 0, result.output
    assert received_attachment(inbox, tmp_path)[1].read_bytes() == stego.read_bytes()


@pytest.mark.parametrize("smtp_server", ["plain"], indirect=True)
def test_environment_serves_without_any_account(smtp_server, tmp_path):
    inbox, port, _ = smtp_server
    attachment = write_cover(tmp_path / "photo.png")
    result = run("mail", str(attachment), "--to", "bob@example.org",
                 "--from", "someone@example.org", STEGOKIT_SMTP_HOST="127.0.0.1",
                 STEGOKIT_SMTP_PORT=str(port), STEGOKIT_SMTP_SECURITY="none")
    assert result.exit_code == 0, result.output
    message, received = received_attachment(inbox, tmp_path)
    assert message["From"] == "someone@example.org" and message["Subject"] == "photo.png"
    assert received.read_bytes() == attachment.read_bytes()


def one_error_line(result, *fragments: str) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stegokit: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("smtp_server", ["auth"], indirect=True)
def test_smtp_failures_are_one_line(smtp_server, stego, certificate):
    _, port, setup = smtp_server
    flags = smtp_flags(port, setup, certificate[0])
    one_error_line(run("mail", str(stego), "--to", "bob@example.org", *flags,
                       "--smtp-user", SMTP_LOGIN, STEGOKIT_SMTP_PASSWORD="wrong"),
                   "rejected the SMTP user name or password")
    one_error_line(run("mail", str(stego), "--to", "nobody@example.org", *flags,
                       "--smtp-user", SMTP_LOGIN, STEGOKIT_SMTP_PASSWORD=SMTP_PASSWORD),
                   "refused the recipient nobody@example.org", "550")
    no_ca = [f for f in flags if f != str(certificate[0]) and f != "--cafile"]
    one_error_line(run("mail", str(stego), "--to", "bob@example.org", *no_ca,
                       "--smtp-user", SMTP_LOGIN, STEGOKIT_SMTP_PASSWORD=SMTP_PASSWORD),
                   "TLS certificate of 127.0.0.1", "not trusted", "--cafile")
    one_error_line(run("mail", str(stego), "--to", "bob@example.org", *flags),
                   "530")  # AUTH required, none given


@pytest.mark.parametrize("smtp_server", ["plain"], indirect=True)
def test_starttls_is_not_silently_skipped(smtp_server, stego):
    _, port, _ = smtp_server
    one_error_line(run("mail", str(stego), "--to", "bob@example.org", "--smtp-host",
                       "127.0.0.1", "--smtp-port", str(port)), "does not offer STARTTLS")


def test_connection_refused(stego):
    one_error_line(run("mail", str(stego), "--to", "bob@example.org", "--smtp-host",
                       "127.0.0.1", "--smtp-port", str(free_port())), "connection refused")


def test_a_silent_server_times_out(stego):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        start = time.monotonic()
        one_error_line(run("mail", str(stego), "--to", "bob@example.org", "--smtp-host",
                           "127.0.0.1", "--smtp-port", str(silent.getsockname()[1]),
                           "--timeout", "1"), "did not answer within 1 s")
        assert time.monotonic() - start < 10


def test_an_unreachable_host_fails_within_the_timeout(stego):
    start = time.monotonic()  # 203.0.113.0/24 is TEST-NET-3: never routed
    one_error_line(run("mail", str(stego), "--to", "bob@example.org", "--smtp-host",
                       "203.0.113.1", "--timeout", "2"), "203.0.113.1:587")
    assert time.monotonic() - start < 15


def test_no_password_over_plaintext_to_another_host(stego):
    line = one_error_line(run("mail", str(stego), "--to", "bob@example.org", "--smtp-host",
                              "mail.example.org", "--smtp-security", "none", "--smtp-user",
                              "alice", STEGOKIT_SMTP_PASSWORD="x"),
                          "refusing to send a password", "unencrypted")
    assert "x" not in line.split(":")[-1].split()


def test_bad_input(stego, tmp_path):
    one_error_line(run("mail", str(tmp_path / "missing.png"), "--to", "bob@example.org"),
                   "missing.png: cannot read the attachment")
    one_error_line(run("mail", str(stego), "--to", "bob@example.org"), "no SMTP server")
    one_error_line(run("mail", str(stego), "--to", "bob"), "not an e-mail")
    one_error_line(run("mail", str(stego), "--to", "b@example.org", "--smtp-host", "h",
                       "--smtp-security", "tls"), "--smtp-security")
    assert run("user", "logout").exit_code == 0
    one_error_line(run("mail", str(stego), "--to", "b@example.org"), "give --from")


def test_eml_is_written_instead_of_sending(stego, tmp_path):
    eml = tmp_path / "out.eml"
    result = run("mail", str(stego), "--to", "bob@example.org", "--eml", str(eml))
    assert result.exit_code == 0, result.output
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    (part,) = message.iter_attachments()
    assert part.get_content() == stego.read_bytes()
    assert message["Message-ID"].endswith("@example.org>") and message["Date"]
    assert run("mail", str(stego), "--to", "bob@example.org", "--eml", str(eml)).exit_code == 1


@pytest.mark.parametrize(("name", "kind"), [
    ("a.png", "image/png"), ("a.bmp", "image/bmp"), ("a.tiff", "image/tiff"),
    ("a.webp", "image/webp"), ("a.stego", "application/octet-stream")])
def test_build_message_is_pure_and_typed(name, kind):
    data = bytes(range(256)) * 4
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    args = dict(sender="a@example.org", to=["b@example.org", "c@example.org"],
                subject="s", body="b", date=when, message_id="<1@example.org>")
    first = mail.build_message(data, f"/some/folder/{name}", **args)
    assert first.as_bytes() == mail.build_message(data, name, **args).as_bytes()
    (part,) = email.message_from_bytes(first.as_bytes(), policy=policy.default).iter_attachments()
    assert part.get_content_type() == kind and part.get_filename() == name
    assert part.get_content() == data
    assert first["To"] == "b@example.org, c@example.org"


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("LOCALHOST.", True), ("10.0.0.1", False),
    ("mail.example.org", False), ("localhost.example.org", False)])
def test_loopback_detection(host, loopback):
    assert mail.is_loopback(host) is loopback


@pytest.mark.parametrize("smtp_server", ["plain"], indirect=True)
def test_a_stored_account_is_not_used_for_another_host(smtp_server, stego):
    """The stored login (and its password) never go to a host given on the command line."""
    inbox, port, _ = smtp_server
    assert run("user", "smtp", "set", "--host", "mail.example.org", "--username", "alice",
               STEGOKIT_SMTP_PASSWORD=SMTP_PASSWORD).exit_code == 0
    result = run("mail", str(stego), "--to", "bob@example.org", "--smtp-host", "127.0.0.1",
                 "--smtp-port", str(port), "--smtp-security", "none")
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output and len(inbox.envelopes) == 1
