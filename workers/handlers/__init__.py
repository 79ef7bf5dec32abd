"""Event type → handler. Every type not listed here ends `skipped`."""

from __future__ import annotations

from workers.inbox import Handler

HANDLERS: dict[str, Handler] = {}
