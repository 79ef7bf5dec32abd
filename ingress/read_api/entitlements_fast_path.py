"""The entitlements read called straight from the server, before Starlette's middleware and
router, like the webhook (ingress/webhook_fast_path.py): apps ask it on every screen, and the
stack around it cost about a third of each request's time.

The route is the same function (entitlements.py) with every check it makes (the app key, the
project it belongs to) and the same answers; the errors the app's handlers would turn into JSON
(503 for a store that cannot answer, 500 otherwise) are turned into the same JSON here, and each
request gets the `request` log line the middleware would have written. Anything else (another
path or method, a NUL byte the app refuses, a `root_path`) goes to the app.
"""

from __future__ import annotations

import re
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ingress.errors import DATABASE_ERRORS, database_unavailable, internal_error
from ingress.prometheus.web_metrics import observe_request
from ingress.read_api.entitlements import get_user_entitlements
from ingress.request_log import log_request

ENTITLEMENTS_ROUTE = "/api/v1/entitlements/project/{project_id}/user/{user_id}"
# As the app's route ENTITLEMENTS_ROUTE matches
ENTITLEMENTS_PATH = re.compile(r"/api/v1/entitlements/project/([^/]+)/user/([^/]+)")


class EntitlementsFastPath:
    def __init__(self, app: Starlette, then: ASGIApp) -> None:
        self.app = app  # whose state the route reads
        self.then = then  # every other request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _entitlements_read(scope)
        if match is None:
            await self.then(scope, receive, send)
            return
        started = time.perf_counter()
        scope["app"] = self.app  # as Starlette sets it: the route reads `request.app.state`
        scope["path_params"] = {"project_id": match[1], "user_id": match[2]}
        request = Request(scope, receive)
        response: Response
        try:
            response = await get_user_entitlements(request)
        except DATABASE_ERRORS as exc:
            response = await database_unavailable(request, exc)
        except Exception as exc:
            response = await internal_error(request, exc)
        await response(scope, receive, send)
        log_request(scope, response.status_code, started)
        observe_request(ENTITLEMENTS_ROUTE, response.status_code, time.perf_counter() - started)


def _entitlements_read(scope: Scope) -> re.Match[str] | None:
    """A GET of the entitlements route with nothing for the app's own guards to refuse."""
    if (
        scope["type"] != "http"
        or scope["method"] != "GET"
        or scope.get("root_path")
        or "\x00" in scope["path"]
        or b"%00" in scope.get("query_string", b"").lower()
    ):
        return None
    return ENTITLEMENTS_PATH.fullmatch(scope["path"])
