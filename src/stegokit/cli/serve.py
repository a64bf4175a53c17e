"""``serve``: the web app on this computer (the ``web`` extra: Starlette, uvicorn, Jinja2)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import StegokitError
from .common import JsonOut, notice, print_json, safe

app = typer.Typer()

#: The modules of the ``web`` extra.
WEB_MODULES = ("starlette", "uvicorn", "jinja2", "python_multipart")
INSTALL_WEB = "pip install 'stegokit[web]'"


def _missing_web_modules() -> list[str]:
    return [name for name in WEB_MODULES if importlib.util.find_spec(name) is None]


def _listen(host: str, port: int):
    """A listening socket on ``host:port`` (port 0: any free port)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise StegokitError(f"cannot listen on {host}:{port} ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise StegokitError(f"cannot listen on {host}:{port} ({exc.strerror})") from None
    return sock


def _is_loopback(host: str) -> bool:
    from ..mail import is_loopback

    return is_loopback(host)


def _url(scheme: str, sock) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}/"


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(
        "--host", help="The address to listen on. Anything but this computer (loopback) "
        "needs --tls-cert/--tls-key, or --insecure-remote.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(
        "--port", min=0, max=65535, help="The port (0: any free one).")] = 8765,
    open_browser: Annotated[bool, typer.Option(
        "--open", help="Open the page in the web browser.")] = False,
    tls_cert: Annotated[Path | None, typer.Option(
        "--tls-cert", exists=True, dir_okay=False,
        help="Serve HTTPS with this certificate (PEM); needs --tls-key.")] = None,
    tls_key: Annotated[Path | None, typer.Option(
        "--tls-key", exists=True, dir_okay=False,
        help="The certificate's private key (PEM).")] = None,
    insecure_remote: Annotated[bool, typer.Option(
        "--insecure-remote", help="Allow plain HTTP on an address other machines reach: "
        "passwords and images then cross the network unencrypted.")] = False,
    json_out: JsonOut = False,
) -> None:
    """Serve the toolkit as a web page on this computer: sign in, hide, reveal, analyze.

    Every action runs here; nothing is sent to a third party. Accounts are the keyring's
    users (stegokit user). Stop it with Ctrl-C.

    Example (it serves until Ctrl-C): stegokit serve --open
    """
    missing = _missing_web_modules()
    if missing:
        raise StegokitError(f"the web app needs the 'web' extra ({', '.join(missing)} "
                            f"missing): {INSTALL_WEB}")
    if (tls_cert is None) != (tls_key is None):
        raise typer.BadParameter("give both --tls-cert and --tls-key, or neither")
    tls = tls_cert is not None
    if not tls and not _is_loopback(host):
        if not insecure_remote:
            raise typer.BadParameter(
                f"{host} is reachable from other machines: serve HTTPS with --tls-cert and "
                "--tls-key, or accept plain HTTP with --insecure-remote", param_hint="--host")
        notice(f"serving plain HTTP on {host}: passwords, messages and images cross the "
               "network unencrypted")
    _run(host, port, tls_cert, tls_key, open_browser, json_out)


def _run(host: str, port: int, tls_cert: Path | None, tls_key: Path | None,
         open_browser: bool, json_out: bool) -> None:
    import ssl

    import uvicorn

    from ..web.app import create_app

    tls = tls_cert is not None
    config = uvicorn.Config(create_app(secure_cookies=tls), log_level="info",
                            ssl_certfile=str(tls_cert) if tls else None,
                            ssl_keyfile=str(tls_key) if tls else None,
                            server_header=False, date_header=False)
    try:
        config.load()
    except (ssl.SSLError, OSError) as exc:
        raise StegokitError(f"cannot load the TLS certificate or key ({exc})") from None
    sock = _listen(host, port)
    url = _url("https" if tls else "http", sock)
    if json_out:  # one line a script reads to learn the port (--port 0)
        print_json({"url": url, "tls": tls}, one_line=True)
        sys.stdout.flush()
    else:
        typer.echo(f"stegokit serving on {safe(url)} (Ctrl-C stops it)", err=False)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
