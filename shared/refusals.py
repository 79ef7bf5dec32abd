"""A request the service refuses, saying why: the CLI prints the message on one line, the APIs
answer it as JSON with `status`."""

from __future__ import annotations


class Refused(ValueError):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
