"""One structured line per request (method, path, status, duration) and its Prometheus count
by route template. (Stripe's webhooks do not pass through here: ingress/webhook_fast_path.py
logs and counts them.)"""

from __future__ import annotations

import time

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ingress.prometheus.web_metrics import observe_request, route_template

log = structlog.get_logger("ingress.request")


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            log_request(scope, status, started)
            # after the app: the router has put the matched route in the scope
            observe_request(route_template(scope), status, time.perf_counter() - started)


def log_request(scope: Scope, status: int, started: float) -> None:
    log.info(
        "request",
        method=scope["method"],
        path=scope["path"],
        status=status,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
    )
