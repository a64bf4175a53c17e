"""``send`` and ``inbox``: deliver a stego image to another stegokit server, list what arrived."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .. import reports
from ..errors import InputError, OutputError
from ..exchange import DEFAULT_TIMEOUT_S
from .common import Force, JsonOut, console, escape, print_json, safe, working
from .keys import UserOption

if TYPE_CHECKING:
    from ..inbox import Arrival, Inbox

app = typer.Typer()


def _default_sender() -> str | None:
    """The logged-in user's address, if there is a keyring and someone is logged in."""
    from ..keyring import Keyring

    keyring = Keyring.open_existing()
    if keyring is None:
        return None
    with keyring:
        user = keyring.default_user()
    return user.email if user else None


@app.command("send")
def send(
    stego: Annotated[Path, typer.Argument(
        help="The stego image to deliver (sent byte for byte).", dir_okay=False)],
    server: Annotated[str, typer.Option(
        "--server", metavar="URL", envvar="STEGOKIT_SERVER", show_envvar=True,
        help="The recipient's stegokit serve, like https://host:8765.")],
    to: Annotated[str, typer.Option(
        "--to", metavar="EMAIL", help="The recipient: a user of that server's keyring.")],
    from_: Annotated[str | None, typer.Option(
        "--from", metavar="EMAIL",
        help="Your address as the recipient will see it (not verified by the server); "
        "default: the logged-in user.")] = None,
    cafile: Annotated[Path | None, typer.Option(
        "--cafile", exists=True, dir_okay=False,
        help="Also trust this certificate (PEM): a server with a self-signed one.")] = None,
    timeout: Annotated[float, typer.Option(
        "--timeout", min=0.1, help="Seconds to wait for the server.")] = DEFAULT_TIMEOUT_S,
    json_out: JsonOut = False,
) -> None:
    """Deliver a stego image to a user's inbox on another stegokit server.

    HTTPS certificates are verified (--cafile for a self-signed server). The server stores
    the bytes untouched and answers with their SHA-256, which is checked against the file's.
    Seal the message to the recipient first (embed-text --to), so that only they can open it.

    Example, once Bob runs stegokit serve on his machine: stegokit send card.png --server
    https://bob.example:8765 --to bob@example.org
    """
    from .. import exchange

    sender = from_ if from_ is not None else _default_sender()
    with working(f"Sending to {server}…"):
        delivery = exchange.send(stego, server, to, sender, cafile=cafile, timeout=timeout)
    if json_out:
        print_json(reports.delivery_report(delivery, stego, sender))
        return
    typer.echo(f"Delivered {safe(stego.name)} ({delivery.size:,} bytes, SHA-256 "
               f"{delivery.sha256}) to {safe(delivery.recipient)} at {safe(delivery.server)}.")


def _targets(arrivals: list[Arrival], folder: Path, force: bool) -> list[Path]:
    """Where each arrival goes in ``folder``; refuses existing files unless ``force``."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: exists and is not a folder")
    targets = [folder / arrival.file_name for arrival in arrivals]
    if not force:
        for target in targets:
            if target.exists():
                raise OutputError(f"{target} exists; use --force to overwrite it (nothing "
                                  "was written)")
    return targets


def _write_all(store: Inbox | None, arrivals: list[Arrival], folder: Path,
               force: bool) -> list[Path]:
    """Write each arrival's bytes (their SHA-256 checked) into ``folder``, made if missing."""
    from .. import images

    targets = _targets(arrivals, folder, force)
    if store is None or not arrivals:
        return []
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the folder ({exc.strerror})") from None
    for arrival, target in zip(arrivals, targets, strict=True):
        images.write_atomic(target, store.read(arrival), force=force)
    return targets


def _remove(store: Inbox | None, recipient: str, ids: list[str]) -> None:
    """Delete arrivals of ``recipient``; refuses (before deleting any) an id not theirs."""
    found = {a.id: a for a in store.arrivals(recipient)} if store else {}
    for arrival_id in ids:
        if arrival_id not in found:
            raise InputError(f"no image {arrival_id} in the inbox of {recipient}")
    for arrival_id in dict.fromkeys(ids):
        store.remove(found[arrival_id])
        typer.echo(f"Removed {safe(arrival_id)} from the inbox of {safe(recipient)}.")


@app.command("inbox")
def inbox(
    user: UserOption = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", metavar="DIR", file_okay=False,
        help="Write each image into this folder, byte for byte, as ID.EXT.")] = None,
    force: Force = False,
    remove: Annotated[list[str] | None, typer.Option(
        "--remove", metavar="ID", help="Delete this image from the inbox (repeat for "
        "several); the inbox holds at most 1000 images per user.")] = None,
    json_out: JsonOut = False,
) -> None:
    """List the stego images other stegokit users sent to a local user (stegokit serve).

    Shows who says they sent each one (not verified), when it arrived (UTC), its size and
    SHA-256. With -o DIR each image is written there unchanged; open one with
    extract-text --user.

    Example: stegokit inbox --user alice@example.org -o received
    """
    from ..inbox import Inbox
    from ..keyring import Keyring

    keyring = Keyring.open_existing()
    if keyring is None:
        raise InputError("no local users yet: stegokit user register --name NAME --email EMAIL")
    with keyring:
        who = keyring.current_user(user)
    if remove and (output is not None or json_out):
        raise InputError("--remove deletes images: give it without -o or --json")
    store = Inbox.open_existing()
    if remove:
        _remove(store, who.email, remove)
        return
    arrivals = store.arrivals(who.email) if store else []
    written = _write_all(store, arrivals, output, force) if output is not None else []
    if json_out:
        places = written or [None] * len(arrivals)
        print_json({"user": who.email, "arrivals": [
            reports.arrival_report(arrival, place)
            for arrival, place in zip(arrivals, places, strict=True)]})
        return
    if not arrivals:
        console().print(f"No images have arrived for {escape(who.email)}.")
        return
    for arrival in arrivals:
        sender = escape(arrival.sender) if arrival.sender else "(no sender given)"
        console().print(f"{arrival.id}  {arrival.received}  from {sender}  "
                        f"{arrival.size:,} bytes  {arrival.format}", soft_wrap=True)
        console().print(f"  SHA-256 {arrival.sha256}", soft_wrap=True)
    if written:
        console().print(f"Wrote {len(written)} image(s) to {escape(str(output))}.")
