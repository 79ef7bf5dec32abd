"""NUL bytes in a path or query string: a client's mistake, answered 400 before any route sees it
(PostgreSQL refuses NUL in text, which would otherwise look like an outage)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from ingress.errors import json_error


class RefuseNulBytes:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"").lower()
        ):
            await json_error(400, "NUL bytes are not allowed in paths or parameters")(
                scope, receive, send
            )
            return
        await self.app(scope, receive, send)
