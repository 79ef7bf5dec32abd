"""What the web process counts: webhooks by outcome, requests by route template and status.

Called on the webhook's hot path, so each label combination's child is looked up once and kept:
a request costs a dict look-up and the increment itself, no I/O and no lock but the value's own
(uncontended: one event loop a process).
"""

from __future__ import annotations

from enum import StrEnum

from prometheus_client import Counter, Histogram
from starlette.types import Scope

WEBHOOKS_RECEIVED = Counter(
    "billing_webhooks_received_total",
    "Stripe webhooks answered, by event type and outcome.",
    ["type", "outcome"],
)
HTTP_REQUESTS = Counter(
    "billing_http_requests_total",
    "HTTP requests answered, by route template and status code.",
    ["route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "billing_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template (seconds).",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
UNMATCHED_ROUTE = "unmatched"  # no route took the request (a 404): its path is never a label
UNVERIFIED_TYPE = "unknown"  # refused before its signature held: its type is not to be trusted


class WebhookOutcome(StrEnum):
    NEW = "new"  # stored, and queued for the workers
    DUPLICATE = "duplicate"  # an id stored before: answered 200, nothing queued
    REJECTED = "rejected"  # a 4xx: bad signature, body or payload; Stripe should not resend
    UNAVAILABLE = "unavailable"  # a 5xx: the store failed; Stripe sends it again


_webhook_children: dict[tuple[str, str], Counter] = {}
_request_children: dict[tuple[str, int], tuple[Counter, Histogram]] = {}


def count_webhook(event_type: str, outcome: WebhookOutcome) -> None:
    key = (event_type, outcome)
    child = _webhook_children.get(key)
    if child is None:
        child = _webhook_children[key] = WEBHOOKS_RECEIVED.labels(event_type, outcome.value)
    child.inc()


def observe_request(route: str, status: int, duration_s: float) -> None:
    key = (route, status)
    children = _request_children.get(key)
    if children is None:
        children = (HTTP_REQUESTS.labels(route, str(status)), HTTP_REQUEST_DURATION.labels(route))
        _request_children[key] = children
    children[0].inc()
    children[1].observe(duration_s)


def route_template(scope: Scope) -> str:
    """The path of the route Starlette's router matched (`/api/v1/…/{project_id}`), never the
    request's own path with its ids."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else UNMATCHED_ROUTE
