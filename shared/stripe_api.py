"""The one Stripe API client of a process, honouring STRIPE_API_BASE (a local fake in tests)."""

from __future__ import annotations

import time
from typing import Any

import stripe
import structlog

from shared.settings import Settings

REQUEST_TIMEOUT_S = 20
NO_STRIPE_KEY = (
    "reconciliation needs STRIPE_SECRET_KEY (a Stripe secret or restricted key with read access "
    "to events, subscriptions and payment intents); it is not set"
)
log = structlog.get_logger("shared.stripe_api")


def create_stripe_client(settings: Settings) -> stripe.StripeClient | None:
    """None without STRIPE_SECRET_KEY: callers decide whether that is fatal."""
    if not settings.stripe_secret_key:
        return None
    base: dict[str, str] = {}
    if settings.stripe_api_base:
        base = {"api": settings.stripe_api_base, "files": settings.stripe_api_base}
    return stripe.StripeClient(
        settings.stripe_secret_key,
        base_addresses=base,  # type: ignore[arg-type]
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=REQUEST_TIMEOUT_S),
    )


def product_of_checkout_session(client: stripe.StripeClient, session_id: str) -> str | None:
    """The product of a Checkout Session's first line item (purchases without product_id)."""
    items = client.v1.checkout.sessions.line_items.list(session_id, {"limit": 1})
    for item in items.data:
        price = item.price
        if price is not None:
            product = price.product
            return product if isinstance(product, str) else product.id
    return None


class CustomerMetadata:
    """Customer id -> its metadata, from the Stripe API, remembered for a few minutes (misses
    too), so that a burst of events of one customer costs one call. A failed call answers None:
    ownership then waits for metadata on an object, as without a key."""

    def __init__(self, client: stripe.StripeClient, ttl_s: float = 300.0) -> None:
        self.client = client
        self.ttl_s = ttl_s
        self._seen: dict[str, tuple[float, dict[str, Any] | None]] = {}

    def __call__(self, customer_id: str) -> dict[str, Any] | None:
        now = time.monotonic()
        cached = self._seen.get(customer_id)
        if cached is not None and now - cached[0] < self.ttl_s:
            return cached[1]
        metadata: dict[str, Any] | None = None
        try:
            customer = self.client.v1.customers.retrieve(customer_id)
            metadata = dict(customer.to_dict().get("metadata") or {})
        except stripe.StripeError as exc:  # remembered too: one failing call per customer and TTL
            log.warning("stripe.customer_lookup_failed", customer_id=customer_id, error=str(exc))
        self._seen[customer_id] = (now, metadata)
        return metadata
