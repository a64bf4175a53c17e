"""``user``, ``contact`` and ``history``: the local keyring (the options and helpers other
commands share with these are in :mod:`.keys`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import InputError
from .common import (
    JsonOut,
    confirm,
    console,
    escape,
    notice,
    print_json,
    working,
)
from .keys import NEW_PASSWORD_ENV, SMTP_PASSWORD_ENV, UserOption, open_keyring, read_password

if TYPE_CHECKING:
    from ..keyring import Contact, SmtpAccount, User

user_app = typer.Typer(no_args_is_help=True,
                       help="Local users: register, log in, keys, SMTP accounts.")
contact_app = typer.Typer(no_args_is_help=True,
                          help="Contacts: people whose public keys you can seal messages to.")
smtp_app = typer.Typer(no_args_is_help=True, help="The SMTP account `stegokit mail` sends with.")
user_app.add_typer(smtp_app, name="smtp")
app = typer.Typer()

# --- user ---

@user_app.command("register")
def register(
    name: Annotated[str, typer.Option("--name", help="Your name, as contacts will see it.")],
    email: Annotated[str, typer.Option("--email", help="Your e-mail address.")],
    json_out: JsonOut = False,
) -> None:
    """Create a local user with a new key pair, protected by a password.

    The password is asked twice at a hidden prompt (or read from STEGOKIT_PASSWORD).
    The first user registered becomes the default one.

    Example: stegokit user register --name Alice --email alice@example.org
    """
    with open_keyring() as keyring:
        keyring.check_new_email(email)
        password = read_password(confirm=True)
        with working("Making keys…"):
            user = keyring.register(name, email, password)
        default = keyring.default_user()
        row = _user_row(user, default, smtp=False)
    if json_out:
        print_json(row)
        return
    console().print(f"Registered {escape(user.name)} <{escape(user.email)}>.")
    if row["default"]:
        console().print("This user is now the default one.")
    console().print("Your public key, to give to the people who write to you:")
    console().print(f"  {user.key_text}", soft_wrap=True)


@user_app.command("login")
def login(email: Annotated[str, typer.Argument(help="The user's e-mail.")],
          json_out: JsonOut = False) -> None:
    """Check a user's password and make them the default user."""
    with open_keyring() as keyring:
        user = keyring.user(email)
        keyring.login(user.email, read_password(f"Password for {user.email}"))
        row = _user_row(user, user, keyring.smtp_account(user.email) is not None)
    if json_out:
        print_json(row)
        return
    console().print(f"Logged in as {escape(user.name)} <{escape(user.email)}>.")


@user_app.command("logout")
def logout(json_out: JsonOut = False) -> None:
    """Forget the default user."""
    with open_keyring() as keyring:
        user = keyring.logout()
    if json_out:
        print_json({"user": user.email if user else None})
        return
    console().print(f"Logged out {escape(user.email)}." if user else "No user was logged in.")


DAMAGED_KEY = "damaged public key (it fails its check): it will not be used"


def _key_text(person: User | Contact) -> str | None:
    """The one-line public key, or None if the stored key fails its check."""
    return person.key_text if person.key_intact else None


def _user_row(user: User, default: User | None, smtp: bool) -> dict:
    return {"name": user.name, "email": user.email, "public_key": _key_text(user),
            "default": default is not None and default.id == user.id, "smtp": smtp,
            "created": user.created}


@user_app.command("list")
def list_users(json_out: JsonOut = False) -> None:
    """List the local users."""
    with open_keyring() as keyring:
        default = keyring.default_user()
        rows = [_user_row(u, default, keyring.smtp_account(u.email) is not None)
                for u in keyring.users()]
    if json_out:
        print_json({"users": rows})
        return
    if not rows:
        console().print("No users yet: stegokit user register --name NAME --email EMAIL")
        return
    for row in rows:
        marks = " (default)" * row["default"] + " (SMTP)" * row["smtp"]
        console().print(f"{escape(row['name'])} <{escape(row['email'])}>{marks}", soft_wrap=True)
        console().print(f"  {row['public_key'] or DAMAGED_KEY}", soft_wrap=True)


@user_app.command("passwd")
def passwd(user: UserOption = None, json_out: JsonOut = False) -> None:
    """Change a user's password (the private key is re-wrapped; the key pair stays).

    The current password comes from STEGOKIT_PASSWORD or a prompt, the new one from
    STEGOKIT_NEW_PASSWORD or a prompt asked twice.
    """
    with open_keyring() as keyring:
        who = keyring.current_user(user)
        old = read_password(f"Current password for {who.email}")
        keyring.check_password(who.email, old)
        new = read_password("New password", confirm=True, env=NEW_PASSWORD_ENV)
        keyring.change_password(who.email, old, new)
    if json_out:
        print_json({"user": who.email})
        return
    console().print(f"Password changed for {escape(who.email)}.")


@user_app.command("remove")
def remove_user(
    email: Annotated[str, typer.Argument(help="The user's e-mail.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    json_out: JsonOut = False,
) -> None:
    """Delete a user, their private key, history and SMTP account.

    Messages sealed to this user can no longer be opened afterwards.
    """
    with open_keyring() as keyring:
        user = keyring.user(email)
        if not yes:
            confirm(f"Delete {user.email} and their private key? Messages sealed to them "
                    "will no longer open", instead=f"add --yes to delete {user.email}")
        keyring.remove_user(user.email)
    if json_out:
        print_json({"name": user.name, "email": user.email, "removed": True})
        return
    console().print(f"Removed {escape(user.email)}.")


@user_app.command("export-key")
def export_key(user: UserOption = None, json_out: JsonOut = False) -> None:
    """Print a user's public key as one line, to give to the people who write to you."""
    with open_keyring() as keyring:
        who = keyring.current_user(user)
        keyring.public_key(who)
    if json_out:
        print_json({"name": who.name, "email": who.email, "public_key": who.key_text})
        return
    typer.echo(who.key_text)


# --- user smtp ---

@smtp_app.command("set")
def smtp_set(
    host: Annotated[str, typer.Option("--host", help="The SMTP server.")],
    port: Annotated[int | None, typer.Option(
        "--port", help="Default: 587 (starttls), 465 (ssl), 25 (none).")] = None,
    security: Annotated[str, typer.Option(
        "--security", help="starttls, ssl (implicit TLS) or none.")] = "starttls",
    username: Annotated[str | None, typer.Option(
        "--username", help="Log in with this name; the password is asked at a hidden prompt "
        f"(or read from {SMTP_PASSWORD_ENV}).")] = None,
    user: UserOption = None,
    json_out: JsonOut = False,
) -> None:
    """Store the SMTP account a user sends mail with.

    The password is stored sealed to the user's public key: sending asks for the user's
    keyring password to open it.
    """
    from ..mail import SECURITIES, default_port

    security = security.lower()
    if security not in SECURITIES:
        raise InputError(f"--security must be one of {', '.join(SECURITIES)}")
    with open_keyring() as keyring:
        who = keyring.current_user(user)
        password = None
        if username:
            password = read_password(f"SMTP password for {username}", env=SMTP_PASSWORD_ENV)
        account = keyring.set_smtp(who.email, host=host, port=port or default_port(security),
                                   security=security, username=username, password=password)
    if json_out:
        print_json(_smtp_row(who.email, account))
        return
    login = f" as {escape(account.username)}" if account.username else ""
    console().print(f"SMTP account for {escape(who.email)}: {escape(account.host)}:{account.port} "
                  f"({account.security}){login}.")


def _smtp_row(email: str, account: SmtpAccount) -> dict:
    return {"user": email, "host": account.host, "port": account.port,
            "security": account.security, "username": account.username or None,
            "password_stored": account.sealed_password is not None}


@smtp_app.command("show")
def smtp_show(user: UserOption = None, json_out: JsonOut = False) -> None:
    """Show a user's SMTP account (never the password)."""
    with open_keyring() as keyring:
        who = keyring.current_user(user)
        account = keyring.smtp_account(who.email)
    if account is None:
        raise InputError(f"{who.email} has no SMTP account (stegokit user smtp set)")
    row = _smtp_row(who.email, account)
    if json_out:
        print_json(row)
        return
    for key, value in row.items():
        console().print(f"{key}: {escape(str(value))}")


@smtp_app.command("remove")
def smtp_remove(user: UserOption = None, json_out: JsonOut = False) -> None:
    """Forget a user's SMTP account."""
    with open_keyring() as keyring:
        who = keyring.current_user(user)
        if not keyring.remove_smtp(who.email):
            raise InputError(f"{who.email} has no SMTP account")
    if json_out:
        print_json({"user": who.email, "removed": True})
        return
    console().print(f"Removed the SMTP account of {escape(who.email)}.")


# --- contact ---

@contact_app.command("add")
def add_contact(
    name: Annotated[str, typer.Argument(help="The contact's name.")],
    email: Annotated[str, typer.Argument(help="The contact's e-mail.")],
    key: Annotated[str, typer.Argument(
        help="Their public key, as printed by `stegokit user export-key` (stegokit1:...).")],
    json_out: JsonOut = False,
) -> None:
    """Add a contact, so that `--to EMAIL` seals messages to them."""
    with open_keyring() as keyring:
        contact = keyring.add_contact(name, email, key)
    if json_out:
        print_json(_contact_row(contact))
        return
    console().print(f"Added {escape(contact.name)} <{escape(contact.email)}>.")


def _contact_row(contact: Contact) -> dict:
    return {"name": contact.name, "email": contact.email, "public_key": _key_text(contact),
            "created": contact.created}


@contact_app.command("list")
def list_contacts(json_out: JsonOut = False) -> None:
    """List the contacts."""
    with open_keyring() as keyring:
        rows = [_contact_row(c) for c in keyring.contacts()]
    if json_out:
        print_json({"contacts": rows})
        return
    if not rows:
        console().print("No contacts yet: stegokit contact add NAME EMAIL KEY")
        return
    for row in rows:
        console().print(f"{escape(row['name'])} <{escape(row['email'])}>", soft_wrap=True)
        console().print(f"  {row['public_key'] or DAMAGED_KEY}", soft_wrap=True)


@contact_app.command("remove")
def remove_contact(email: Annotated[str, typer.Argument(help="The contact's e-mail.")],
                   json_out: JsonOut = False) -> None:
    """Remove a contact."""
    with open_keyring() as keyring:
        contact = keyring.remove_contact(email)
    if json_out:
        print_json({**_contact_row(contact), "removed": True})
        return
    console().print(f"Removed {escape(contact.email)}.")


# --- history ---

@app.command("history")
def history(user: UserOption = None, json_out: JsonOut = False) -> None:
    """List what a user hid: time, method, recipient, output file and its SHA-256.

    Messages are never recorded. Embeds are recorded while a user is logged in.

    Example: stegokit history
    """
    with open_keyring() as keyring:
        who = keyring.current_user(user)
        entries = keyring.history(who)
    rows = [vars(entry) for entry in entries]
    if json_out:
        print_json({"user": who.email, "history": rows})
        return
    if not rows:
        notice(f"no history for {who.email}")
        return
    from rich.console import Console
    from rich.measure import Measurement
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for column in ("time", "method", "to", "output", "sha256"):
        table.add_column(column, no_wrap=True)
    for row in rows:
        table.add_row(escape(row["time"]), escape(row["method"]), escape(row["recipient"] or "-"),
                      escape(row["output"]), row["sha256"][:12] + "…")
    # one line per embed, never a time or path cut or folded: as wide as the rows need
    screen = console()
    needed = Measurement.get(screen, screen.options.update_width(1 << 16), table).maximum
    Console(highlight=False, width=max(needed, screen.width)).print(table)
