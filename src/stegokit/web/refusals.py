"""A request the web app refuses, with its HTTP status and one message for the page."""

from __future__ import annotations


class Refused(Exception):
    """Refuse a request: ``status`` (4xx) and one message shown on the page."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
