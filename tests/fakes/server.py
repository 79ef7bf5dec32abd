"""HTTP in front of ``StripeStore``: auth, routing, injected faults, Stripe's error format."""

from __future__ import annotations

import base64
import hmac
import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.fakes.params import Params, StripeApiError, parse_query
from tests.fakes.store import Json, StripeStore

Route = Callable[[StripeStore, re.Match[str], Params, str], Json]

_LIST_FILTERS = {
    "subscription": frozenset({"status", "created", "customer"}),
    "payment_intent": frozenset({"created", "customer"}),
    "event": frozenset({"created", "type", "types"}),
    "customer": frozenset({"created", "email"}),
    "checkout.session": frozenset({"created", "customer", "status", "payment_intent"}),
}


def _lister(kind: str) -> Route:
    return lambda store, _m, params, path: store.list_objects(
        kind, params, path, _LIST_FILTERS[kind]
    )


def _getter(kind: str) -> Route:
    return lambda store, m, params, _path: store.retrieve(kind, unquote(m["id"]), params)


_ID = r"(?P<id>[^/]+)"
ROUTES: list[tuple[re.Pattern[str], Route]] = [
    (re.compile(r"/v1/subscriptions"), _lister("subscription")),
    (re.compile(r"/v1/payment_intents"), _lister("payment_intent")),
    (re.compile(r"/v1/events"), _lister("event")),
    (re.compile(r"/v1/customers"), _lister("customer")),
    (re.compile(r"/v1/checkout/sessions"), _lister("checkout.session")),
    (re.compile(rf"/v1/subscriptions/{_ID}"), _getter("subscription")),
    (re.compile(rf"/v1/payment_intents/{_ID}"), _getter("payment_intent")),
    (re.compile(rf"/v1/charges/{_ID}"), _getter("charge")),
    (re.compile(rf"/v1/customers/{_ID}"), _getter("customer")),
    (re.compile(rf"/v1/events/{_ID}"), _getter("event")),
    (re.compile(rf"/v1/checkout/sessions/{_ID}"), _getter("checkout.session")),
    (
        re.compile(rf"/v1/checkout/sessions/{_ID}/line_items"),
        lambda store, m, params, path: store.line_items(unquote(m["id"]), params, path),
    ),
]


@dataclass
class Faults:
    """Injected failures, counted per request; thread-safe through ``lock``."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    fail_count: int = 0
    fail_status: int = 500
    pass_before_failing: int | None = None
    hang_count: int = 0
    hang_s: float = 0.0
    rate_limited_count: int = 0
    retry_after_s: int = 1

    def take(self) -> tuple[int | None, float]:
        """This request's injected status (or None) and delay in seconds."""
        with self.lock:
            status: int | None = None
            if self.rate_limited_count > 0:
                self.rate_limited_count -= 1
                status = 429
            elif self.fail_count > 0:
                self.fail_count -= 1
                status = self.fail_status
            elif self.pass_before_failing is not None:
                if self.pass_before_failing > 0:
                    self.pass_before_failing -= 1
                else:
                    status = self.fail_status
            delay_s = 0.0
            if self.hang_count > 0:
                self.hang_count -= 1
                delay_s = self.hang_s
            return status, delay_s


class FakeStripeServer(ThreadingHTTPServer):
    """One server per fake; the handler reaches the state through ``self.server``."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, store: StripeStore, api_key: str) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.store = store
        self.api_key = api_key
        self.faults = Faults()
        self.request_log: list[tuple[str, str, Params]] = []
        self.stopping = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    server: FakeStripeServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest output should show the test's story, not an access log."""

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        try:
            params = parse_query(url.query)
        except StripeApiError as exc:
            params = {}
            error: StripeApiError | None = exc
        else:
            error = None
        self.server.request_log.append((method, url.path, params))
        status, delay_s = self.server.faults.take()
        if delay_s and self.server.stopping.wait(delay_s):
            return
        try:
            if status == 429:
                raise StripeApiError(
                    429,
                    "Request rate limit exceeded (injected by the fake)",
                    error_type="invalid_request_error",
                    code="rate_limit",
                    headers={"Retry-After": str(self.server.faults.retry_after_s)},
                )
            if status is not None:
                raise StripeApiError(
                    status, "Injected failure from the fake", error_type="api_error"
                )
            if error is not None:
                raise error
            self._authenticate()
            self._answer(200, self._route(method, url.path, params))
        except StripeApiError as exc:
            self._answer(exc.status, exc.body, exc.headers)

    def _authenticate(self) -> None:
        key = _bearer_key(self.headers.get("Authorization", ""))
        if key is None:
            raise StripeApiError(
                401, "You did not provide an API key. Use 'Authorization: Bearer sk_test_…'."
            )
        if not hmac.compare_digest(key.encode(), self.server.api_key.encode()):
            shown = key[:8] + "*" * max(len(key) - 12, 0) + key[-4:]
            raise StripeApiError(401, f"Invalid API Key provided: {shown}", code="api_key_invalid")

    def _route(self, method: str, path: str, params: Params) -> Json:
        if method == "GET":
            for pattern, route in ROUTES:
                match = pattern.fullmatch(path)
                if match is not None:
                    return route(self.server.store, match, params, path)
        raise StripeApiError(404, f"Unrecognized request URL ({method}: {path}).")

    def _answer(self, status: int, body: Json, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Request-Id", f"req_{secrets.token_hex(7)}")
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout); nothing left to tell it


def _bearer_key(header: str) -> str | None:
    """The key from ``Bearer <key>`` or ``Basic base64(<key>:)`` (what ``curl -u`` sends)."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if scheme.lower() == "basic" and value.strip():
        try:
            user = base64.b64decode(value.strip()).decode().partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            return None
        return user or None
    return None
