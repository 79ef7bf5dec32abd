"""The webhook route called straight from the server, before Starlette's middleware and router:
Stripe's POSTs are most of the traffic, and the stack around them cost about a third of each
request's time. Everything else (any other path or method, the lifespan) goes to the app.

The route itself (ingress/webhook.py) is the same one, and so are its answers: the errors that
the app's handlers would turn into JSON (503 for a store that cannot answer, 500 otherwise) are
turned into the same JSON here. An accepted webhook is logged once, by its `webhook.received`
line; any other answer gets the `request` line every route gets. Every answer is counted under
the route's own path, as the app's middleware counts its routes.
"""

from __future__ import annotations

import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ingress.errors import DATABASE_ERRORS, database_unavailable, internal_error
from ingress.prometheus.web_metrics import (
    UNVERIFIED_TYPE,
    WebhookOutcome,
    count_webhook,
    observe_request,
)
from ingress.request_log import log_request
from ingress.webhook import WEBHOOK_PATH, receive_stripe_webhook


class WebhookFastPath:
    def __init__(self, app: Starlette) -> None:
        self.app = app

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
            count_webhook(UNVERIFIED_TYPE, WebhookOutcome.UNAVAILABLE)
        except Exception as exc:
            response = await internal_error(request, exc)
            count_webhook(UNVERIFIED_TYPE, WebhookOutcome.UNAVAILABLE)
        await response(scope, receive, send)
        if response.status_code != 200:
            log_request(scope, response.status_code, started)
        observe_request(WEBHOOK_PATH, response.status_code, time.perf_counter() - started)


def _is_webhook(scope: Scope) -> bool:
    """POST on the webhook path with nothing for the app's own guards to refuse (a NUL in the
    query string is the app's 400, like anywhere else)."""
    return (
        scope["type"] == "http"
        and scope["path"] == WEBHOOK_PATH
        and scope["method"] == "POST"
        and b"%00" not in scope.get("query_string", b"").lower()
    )
