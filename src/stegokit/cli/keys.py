"""The keyring's part in the other commands: ``--to``, ``--user`` and the secrets they need.

Commands that seal or open a payload resolve ``--to EMAIL`` with :func:`recipient_key`,
``--user EMAIL`` with :func:`private_key`, and note an embed with :func:`record_embed`;
``stegokit user`` and ``contact`` (:mod:`.users`) manage the keyring itself.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import StegokitError
from .common import ask_secret, check_secret_options, notice, read_passphrase

if TYPE_CHECKING:
    from ..keyring import Keyring

PASSWORD_ENV = "STEGOKIT_PASSWORD"
NEW_PASSWORD_ENV = "STEGOKIT_NEW_PASSWORD"
SMTP_PASSWORD_ENV = "STEGOKIT_SMTP_PASSWORD"

ToOption = Annotated[str | None, typer.Option(
    "--to", metavar="EMAIL",
    help="Seal the payload to this contact or local user (only their key opens it).")]
UserOption = Annotated[str | None, typer.Option(
    "--user", metavar="EMAIL",
    help="The local user (default: the logged-in user).")]
OpenAsOption = Annotated[str | None, typer.Option(
    "--user", metavar="EMAIL",
    help="Open a payload sealed to this local user: asks for their password "
    f"(or {PASSWORD_ENV}).")]


def read_password(prompt: str = "Password", *, confirm: bool = False,
                  env: str = PASSWORD_ENV) -> str:
    """A password from the environment variable ``env``, else a hidden prompt."""
    from_env = os.environ.get(env)
    if from_env:
        return from_env
    return ask_secret(prompt, confirm=confirm, instead=f"set the {env} environment variable")


def open_keyring() -> Keyring:
    """The user's keyring, created if needed (SQLite is imported only when it is used)."""
    from ..keyring import Keyring

    return Keyring.open()


def recipient_key(to: str | None) -> bytes | None:
    """The public key for ``--to EMAIL`` (a contact or a local user), or None."""
    if to is None:
        return None
    with open_keyring() as keyring:
        return keyring.recipient_key(to)


def private_key(email: str | None) -> bytes | None:
    """The private key for ``--user EMAIL`` after its password, or None without ``--user``."""
    if email is None:
        return None
    with open_keyring() as keyring:
        user = keyring.user(email)
        return keyring.unlock(user.email, read_password(f"Password for {user.email}"))


#: Hiding with a shorter passphrase prints a warning (Argon2id slows guessing; it cannot
#: save a short passphrase).
WEAK_PASSPHRASE = 12


def sealing_secrets(ask: bool, passphrase_file: Path | None,
                    to: str | None) -> tuple[str | None, bytes | None]:
    """``(passphrase, recipient public key)`` for hiding: at most one of them is set."""
    check_secret_options(ask, passphrase_file, to, "--to a recipient")
    if to:
        return None, recipient_key(to)
    passphrase = read_passphrase(ask, passphrase_file, confirm=True)
    if passphrase is not None and len(passphrase) < WEAK_PASSPHRASE:
        notice(f"this passphrase has {len(passphrase)} characters: anyone who gets the image "
               f"can try guesses offline; {WEAK_PASSPHRASE} or more (several random words) "
               "resist far longer")
    return passphrase, None


def opening_secrets(ask: bool, passphrase_file: Path | None,
                    user: str | None) -> tuple[str | None, bytes | None]:
    """``(passphrase, private key)`` for extracting: at most one of them is set."""
    check_secret_options(ask, passphrase_file, user, "--user")
    if user:
        return None, private_key(user)
    return read_passphrase(ask, passphrase_file, confirm=False), None


def record_embed(method: str, recipient: str | None, output: Path) -> None:
    """Add an embed to the logged-in user's history (nothing if no one is logged in).

    The output is already written: a keyring problem is a notice, not a failure.
    """
    from ..keyring import Keyring

    try:
        keyring = Keyring.open_existing()
        if keyring is None:
            return
        with keyring:
            user = keyring.default_user()
            if user is not None:
                digest = hashlib.sha256(output.read_bytes()).hexdigest()
                keyring.record(user, method=method, recipient=recipient,
                               output=str(output.resolve()), sha256=digest)
    except (StegokitError, OSError) as exc:
        notice(f"not recorded in the history: {exc}")
