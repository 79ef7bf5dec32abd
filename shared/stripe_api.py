"""The one Stripe API client of a process, honouring STRIPE_API_BASE (a local fake in tests)."""

from __future__ import annotations

import stripe

from shared.settings import Settings

REQUEST_TIMEOUT_S = 20


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
