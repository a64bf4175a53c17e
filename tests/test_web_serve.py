"""``stegokit serve``: the extra it needs, the refusals before listening, and a real server
(HTTPS with a certificate made here, and plain HTTP) in a subprocess on loopback."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require
from typer.testing import CliRunner

from stegokit.cli import app
from stegokit.cli import serve as serve_cli

SRC = str(Path(__file__).resolve().parents[1] / "src")


def run(*args: str):
    return CliRunner().invoke(app, ["serve", *args])


def test_without_the_web_extra_it_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    result = run()
    assert result.exit_code == 1
    assert result.stderr.strip() == ("stegokit: error: the web app needs the 'web' extra "
                                     "(uvicorn missing): pip install 'stegokit[web]'")


def test_a_remote_address_needs_tls_or_an_explicit_flag(monkeypatch):
    started = []
    monkeypatch.setattr(serve_cli, "_run", lambda *args: started.append(args))
    refused = run("--host", "0.0.0.0")
    assert refused.exit_code == 2 and started == []
    said = " ".join(refused.stderr.replace("│", " ").split())  # a usage error's box
    assert "--tls-cert and --tls-key, or accept plain HTTP with --insecure-remote" in said
    allowed = run("--host", "0.0.0.0", "--insecure-remote")
    assert allowed.exit_code == 0 and len(started) == 1
    assert "note: serving plain HTTP on 0.0.0.0" in allowed.stderr
    local = run("--host", "localhost", "--port", "0")
    assert local.exit_code == 0 and local.stderr == ""


def test_tls_needs_both_files(tmp_path):
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    result = run("--tls-cert", str(cert))
    assert result.exit_code == 2 and "give both --tls-cert and --tls-key" in result.output


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made here."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stegokit serve test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def start(home: Path, *args: str) -> tuple[subprocess.Popen, str]:
    """``python -m stegokit serve ARGS`` and the URL it prints once listening."""
    env = {**os.environ, "STEGOKIT_HOME": str(home),
           "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    process = subprocess.Popen([sys.executable, "-m", "stegokit", "serve", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env)
    line = process.stdout.readline()
    if not line.startswith("stegokit serving on "):
        process.kill()
        raise AssertionError(line + process.stderr.read())
    return process, line.split()[3]


def stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        _, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return err


def test_https_with_a_certificate(certificate, tmp_path):
    httpx = require("httpx")
    require("uvicorn")
    cert, key = certificate
    process, url = start(tmp_path / "home", "--port", "0", "--tls-cert", str(cert),
                         "--tls-key", str(key))
    try:
        assert url.startswith("https://127.0.0.1:")
        trust = ssl.create_default_context(cafile=str(cert))
        answer = httpx.get(url + "signin", verify=trust, timeout=20)
        assert answer.status_code == 200 and "Sign in" in answer.text
        cookie = answer.headers["set-cookie"]
        assert "; Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        with pytest.raises(httpx.ConnectError):  # not trusted without the certificate
            httpx.get(url + "signin", timeout=20)
    finally:
        err = stop(process)
    assert "Traceback" not in err


def test_plain_http_on_loopback_and_a_port_in_use(tmp_path):
    httpx = require("httpx")
    require("uvicorn")
    process, url = start(tmp_path / "home", "--port", "0")
    try:
        page = httpx.get(url + "hide", timeout=20)
        assert page.status_code == 303 and page.headers["location"] == "/signin?next=/hide"
        port = url.rstrip("/").rsplit(":", 1)[1]
        busy = subprocess.run([sys.executable, "-m", "stegokit", "serve", "--port", port],
                              capture_output=True, text=True, timeout=60,
                              env={**os.environ, "STEGOKIT_HOME": str(tmp_path / "home"),
                                   "PYTHONPATH": SRC})
        assert busy.returncode == 1
        assert busy.stderr.strip().startswith(f"stegokit: error: cannot listen on "
                                              f"127.0.0.1:{port}")
    finally:
        stop(process)


def test_a_bad_certificate_is_one_line(tmp_path):
    require("uvicorn")
    cert = tmp_path / "cert.pem"
    cert.write_text("not a certificate")
    result = run("--port", "0", "--tls-cert", str(cert), "--tls-key", str(cert))
    assert result.exit_code == 1
    assert result.stderr.startswith("stegokit: error: cannot load the TLS certificate or key")

