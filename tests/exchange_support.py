"""Helpers for the exchange tests: real PNG bytes, free loopback ports, a self-signed
certificate, and ``stegokit serve`` subprocesses that always stop."""

from __future__ import annotations

import datetime
import io
import ipaddress
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

LOOPBACK = "127.0.0.1"


def png_bytes(seed: int = 0, side: int = 48) -> bytes:
    """A real PNG file (random pixels, through Pillow)."""
    pixels = np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """``(certificate, key)`` PEM files: self-signed, for 127.0.0.1 and localhost."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stegokit test server")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address(LOOPBACK)), x509.DNSName("localhost")]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "server.pem", folder / "server.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return cert_path, key_path


class ServeProcess:
    """``stegokit serve`` on the loopback interface in a subprocess; use as a context manager.

    It listens on a free port it picks itself (``--port 0``), read from the line it prints.
    Leaving the context stops it: SIGTERM, then SIGKILL after a few seconds.
    """

    def __init__(self, env: dict[str, str], log: Path, *extra: str) -> None:
        self.url = ""
        self._log = log
        self._handle = open(log, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stegokit", "serve", "--host", LOOPBACK, "--port", "0",
             *extra],
            env=env, stdout=self._handle, stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait for the line naming the URL, then for a connection to succeed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"stegokit serve exited: {self._log.read_text()}")
            found = re.search(r"stegokit serving on (\S+?)/? ", self._log.read_text())
            if found:
                self.url = found.group(1)
                port = int(self.url.rsplit(":", 1)[1])
                try:
                    with socket.create_connection((LOOPBACK, port), timeout=0.5):
                        return
                except OSError:
                    pass
            time.sleep(0.1)
        raise AssertionError(f"stegokit serve did not start: {self._log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self._handle.close()

    def __enter__(self) -> ServeProcess:
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
