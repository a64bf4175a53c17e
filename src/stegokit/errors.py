"""The exceptions stegokit raises; the CLI maps each family to one exit code.

Every error carries a message meant for the user: one line, no traceback needed.
"""

from __future__ import annotations


class StegokitError(Exception):
    """Base class: bad input, I/O, capacity, SMTP... (exit code 1)."""

    exit_code = 1


class InputError(StegokitError):
    """An input file or value cannot be used (unreadable image, wrong format...)."""


class OutputError(StegokitError):
    """The output cannot be written (exists without --force, lossy format, bad folder)."""


class OutputExistsError(OutputError):
    """The output file exists and overwriting it was not asked for (``force=True``)."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"{path} exists; pass force=True to overwrite it")


class CapacityError(StegokitError):
    """The payload does not fit in the cover."""


class FormatError(StegokitError):
    """A container or key uses a version or feature this stegokit does not know."""


class NoPayloadError(StegokitError):
    """No hidden message was found (exit code 3)."""

    exit_code = 3


class AuthenticationError(StegokitError):
    """Wrong passphrase or key, or the hidden data was damaged or tampered with (exit code 4).

    Every failure of the data itself is this one exception, whatever went wrong, so that
    an attacker learns nothing from which check failed.
    """

    exit_code = 4
