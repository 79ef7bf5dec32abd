"""Stripe-Signature headers for tests, made the way Stripe makes them."""

from __future__ import annotations

import stripe

SECRET_A = "whsec_test_a"
SECRET_B = "whsec_test_b"
WEBHOOK_SECRETS = f"{SECRET_A},{SECRET_B}"


def sign(body: str | bytes, secret: str = SECRET_A, timestamp: int | None = None) -> str:
    """The `t=…,v1=…` header Stripe would send for `body` signed with `secret`."""
    payload = body.decode("utf-8") if isinstance(body, bytes) else body
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)
