"""Schemathesis against the live app, loaded from its own /api/v1/openapi.json: no request it
generates may get a 5xx. Runs in-process (ASGI, lifespan included) on the real stores."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans

from ingress.app import create_app
from ingress.openapi import OPENAPI_DOCUMENT
from shared.settings import Settings
from tests.db.api.conftest import Credentials
from tests.support.signing import SECRET_A

SIGN_ME = b"x-test-sign-webhook"
WEBHOOK_PATH = "/api/v1/webhooks/stripe"
MAX_EXAMPLES = 25


class SignWebhooksOnRequest:
    """ASGI wrapper: a webhook request carrying the SIGN_ME header gets a valid Stripe-Signature
    for the exact bytes of its body, so generated events get past the signature check and reach
    the envelope parser and the store, not only the 400 of a bad signature."""

    def __init__(self, app: Any, secret: str) -> None:
        self.app = app
        self.secret = secret.encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = scope.get("headers", [])
        if scope["type"] != "http" or not any(name == SIGN_ME for name, _ in headers):
            return await self.app(scope, receive, send)
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        t = int(time.time())
        v1 = hmac.new(self.secret, f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        kept = [(n, v) for n, v in headers if n not in (SIGN_ME, b"stripe-signature")]
        signed = {**scope, "headers": [*kept, (b"stripe-signature", f"t={t},v1={v1}".encode())]}
        delivered = False

        async def replay() -> dict[str, Any]:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(signed, replay, send)


@pytest.fixture(scope="module")
def api_schema(api_settings: Settings) -> Iterator[Any]:
    app = SignWebhooksOnRequest(create_app(api_settings), SECRET_A)
    yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    shutdown_lifespans()  # closes the app's PostgreSQL pool and Redis client


def _operations() -> list[Any]:
    """(method, path, generation mode) of every documented operation; negative data only where
    the operation takes input at all."""
    cases = []
    for path, item in OPENAPI_DOCUMENT["paths"].items():
        for method, operation in item.items():
            takes_input = bool(operation.get("parameters") or operation.get("requestBody"))
            modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if takes_input else [])
            cases += [
                pytest.param(method.upper(), path, mode, id=f"{method.upper()} {path} {mode.value}")
                for mode in modes
            ]
    return cases


def _requests_for(case: Any, creds: Credentials) -> Iterator[dict[str, str]]:
    """Headers of each request sent for one generated case: as generated with a valid key (a
    random project id answers 403), then, where it reaches further, on our own project / signed."""
    path = case.operation.path
    if path.startswith("/api/v1/admin/"):
        yield {"Authorization": f"Bearer {creds.admin_token}"}
    elif "{project_id}" in path:
        yield {"X-API-Key": creds.api_key}
        case.path_parameters["project_id"] = creds.project_id
        yield {"Authorization": f"Bearer {creds.api_key}"}
    elif path == WEBHOOK_PATH:
        yield {}
        yield {SIGN_ME.decode(): "1"}
    else:
        yield {}


@pytest.mark.parametrize(("method", "path", "mode"), _operations())
def test_no_generated_request_gets_a_server_error(
    api_schema: Any, credentials: Credentials, method: str, path: str, mode: GenerationMode
) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def no_server_error(case: Any) -> None:
        for headers in _requests_for(case, credentials):
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error])

    no_server_error()
