"""Helpers for the tests that walk every command: the command tree and a loopback SMTP server."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import typer
from typer.core import TyperCommand, TyperGroup

from stegokit.cli import app


def command_paths() -> list[tuple[str, ...]]:
    """Every runnable command of the app, as its words (``("user", "smtp", "set")``), in the
    order ``--help`` lists them."""
    found: list[tuple[str, ...]] = []

    def walk(node: TyperGroup | TyperCommand, words: tuple[str, ...]) -> None:
        if isinstance(node, TyperGroup):
            for name, child in node.commands.items():
                walk(child, (*words, name))
        else:
            found.append(words)

    walk(typer.main.get_command(app), ())
    return found


def command(words: tuple[str, ...]) -> TyperCommand:
    """The command at ``words``."""
    node = typer.main.get_command(app)
    for word in words:
        node = node.commands[word]
    return node


class _Inbox:
    """An aiosmtpd handler that accepts every message and keeps it."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[int, list]]:
    """A plain SMTP server on a free loopback port: ``(port, received envelopes)``."""
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller.port, inbox.envelopes
    finally:
        controller.stop()


def smtp_env(port: int) -> dict[str, str]:
    """The environment that points ``stegokit mail`` at :func:`smtp_server`."""
    return {"STEGOKIT_SMTP_HOST": "127.0.0.1", "STEGOKIT_SMTP_PORT": str(port),
            "STEGOKIT_SMTP_SECURITY": "none"}
