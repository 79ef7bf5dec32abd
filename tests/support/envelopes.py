"""Minimal Stripe event envelopes for the ingress tests: only what the ingress reads.

Events with real Stripe objects inside are built by tests/stripe_events/.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from tests.support.signing import SECRET_A, sign

WEBHOOK_PATH = "/api/v1/webhooks/stripe"
UNHANDLED_TYPE = "customer.created"  # stored, then `skipped` by the workers
_counter = itertools.count(1)


def event_envelope(event_type: str = UNHANDLED_TYPE, **fields: Any) -> dict[str, Any]:
    """A Stripe event with a fresh id; `fields` override or add top-level keys."""
    event: dict[str, Any] = {
        "id": f"evt_test_{next(_counter):06d}_{time.time_ns() % 10**9}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "api_version": "2025-09-30.clover",
        "livemode": False,
        "data": {"object": {"id": "cus_test", "object": "customer"}},
    }
    event.update(fields)
    return event


def encode(event: dict[str, Any] | str | bytes) -> bytes:
    if isinstance(event, bytes):
        return event
    if isinstance(event, str):
        return event.encode("utf-8")
    return json.dumps(event).encode("utf-8")


def post_event(
    client: Any,
    event: dict[str, Any] | str | bytes,
    secret: str = SECRET_A,
    timestamp: int | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """POST a signed event to the webhook; `client` is any httpx-style client."""
    body = encode(event)
    all_headers = {
        "Stripe-Signature": sign(body, secret, timestamp),
        "Content-Type": "application/json",
    }
    all_headers.update(headers or {})
    return client.post(WEBHOOK_PATH, content=body, headers=all_headers)
