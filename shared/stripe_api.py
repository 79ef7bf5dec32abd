"""The one Stripe API client of a process, honouring STRIPE_API_BASE (a local fake in tests)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import requests
import stripe
import structlog
from requests_ratelimiter import LimiterSession

from shared.settings import Settings

REQUEST_TIMEOUT_S = 20
NO_STRIPE_KEY = (
    "reconciliation, import and resync need STRIPE_SECRET_KEY (a Stripe secret or restricted key "
    "with read access to events, customers, Checkout Sessions, subscriptions and payment "
    "intents); it is not set"
)
log = structlog.get_logger("shared.stripe_api")


class PatientRequestsClient(stripe.RequestsClient):
    """stripe's own HTTP client, under a request rate (STRIPE_API_RATE per second) and patient
    with Stripe's rate limit: a 429 is retried after its Retry-After (or stripe's backoff, the
    longer), up to RATE_LIMITED_RETRIES times, so that a run never fails for a 429. Other errors
    keep stripe's retries (max_network_retries)."""

    RATE_LIMITED_RETRIES = 30

    def __init__(self, rate_per_s: int, timeout: float = REQUEST_TIMEOUT_S) -> None:
        session = LimiterSession(per_second=rate_per_s) if rate_per_s else requests.Session()
        super().__init__(timeout=timeout, session=session)
        self._wait = threading.local()

    def _should_retry(
        self,
        response: tuple[Any, int, Mapping[str, str] | None] | None,
        api_connection_error: stripe.APIConnectionError | None,
        num_retries: int,
        max_network_retries: int | None,
    ) -> bool:
        self._wait.retry_after_s = None
        if response is not None and response[1] == 429:
            self._wait.retry_after_s = _retry_after_s(response[2])
            log.warning("stripe.rate_limited", retry=num_retries + 1)
            return num_retries < self.RATE_LIMITED_RETRIES
        return bool(
            super()._should_retry(response, api_connection_error, num_retries, max_network_retries)
        )

    def _sleep_time_seconds(self, num_retries: int) -> float:
        backoff_s = float(super()._sleep_time_seconds(num_retries))
        retry_after_s = getattr(self._wait, "retry_after_s", None)
        return max(backoff_s, retry_after_s) if retry_after_s else backoff_s


def _retry_after_s(headers: Mapping[str, str] | None) -> float | None:
    raw = (headers or {}).get("Retry-After")
    try:
        return min(float(raw), 60.0) if raw else None
    except ValueError:
        return None


def create_stripe_client(settings: Settings) -> stripe.StripeClient | None:
    """None without STRIPE_SECRET_KEY: callers decide whether that is fatal."""
    if not settings.stripe_secret_key:
        return None
    base: dict[str, str] = {}
    if settings.stripe_api_base:
        base = {"api": settings.stripe_api_base, "files": settings.stripe_api_base}
    return stripe.StripeClient(
        settings.stripe_secret_key.get_secret_value(),
        base_addresses=base,  # type: ignore[arg-type]
        max_network_retries=2,
        http_client=PatientRequestsClient(settings.stripe_api_rate),
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
