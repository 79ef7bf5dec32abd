"""The webhook route called straight from the server, before Starlette's middleware and router:
Stripe's POSTs are most of the traffic, and the stack around them cost about a third of each
request's time. Everything else (any other path or method, the lifespan) goes to the app.

The route itself (ingress/webhook.py) is the same one, and so are its answers: the errors that
the app's handlers would turn into JSON (503 for a store that cannot answer, 500 otherwise) are
turned into the same JSON here, and a request that is not answered 200 gets its `request` log
line as anywhere else (an accepted one has its `webhook.received` line).
"""

from __future__ import annotations

import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ingress.errors import DATABASE_ERRORS, database_unavailable, internal_error
from ingress.request_log import WEBHOOK_PATH, log_request
from ingress.webhook import receive_stripe_webhook


class WebhookFastPath:
    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.state = app.state  # what callers reach through the app (`app.state.ctx`)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_webhook(scope):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        scope["app"] = self.app  # as Starlette sets it: the route reads `request.app.state`
        request = Request(scope, receive)
        response: Response
        try:
            response = await receive_stripe_webhook(request)
        except DATABASE_ERRORS as exc:
            response = await database_unavailable(request, exc)
        except Exception as exc:
            response = await internal_error(request, exc)
        await response(scope, receive, send)
        if response.status_code != 200:
            log_request(scope, response.status_code, started)


def _is_webhook(scope: Scope) -> bool:
    """POST on the webhook path with nothing for the app's own guards to refuse (a NUL in the
    query string is the app's 400, like anywhere else)."""
    return (
        scope["type"] == "http"
        and scope["path"] == WEBHOOK_PATH
        and scope["method"] == "POST"
        and b"%00" not in scope.get("query_string", b"").lower()
    )
