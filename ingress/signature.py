"""Stripe-Signature verification through the `stripe` package, against every configured secret.

Several secrets make rotation possible: the old and the new one are both accepted until the
old one is removed from STRIPE_WEBHOOK_SECRET.
"""

from __future__ import annotations

import time

import stripe

from ingress.errors import WebhookRejected

MALFORMED = "malformed Stripe-Signature header"
MISSING = "missing Stripe-Signature header"
NO_MATCH = "no signature matches any configured webhook secret"
STALE = "signature timestamp outside the tolerance"
# Stripe sends one t= and a few v1= of 64 hex digits; far more is not a Stripe header.
MAX_HEADER_CHARS = 8192


def verify_stripe_signature(
    payload: str, header: str | None, secrets: tuple[str, ...], tolerance_s: int
) -> None:
    """Raise WebhookRejected unless one `v1` signature of `header` matches one secret."""
    if not header:
        raise WebhookRejected(MISSING)
    if not header.isascii() or len(header) > MAX_HEADER_CHARS:
        raise WebhookRejected(MALFORMED)  # stripe's compare_digest would raise on non-ASCII
    reason = NO_MATCH
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(payload, header, secret, tolerance_s)
        except (TypeError, ValueError):
            raise WebhookRejected(MALFORMED) from None
        except stripe.SignatureVerificationError as exc:
            found = _reason(str(exc))
            if found == MALFORMED:
                reason = MALFORMED
                break
            if found == STALE:  # this secret matched: its verdict beats another's "no match"
                reason = STALE
            continue
        _refuse_future_timestamp(header, tolerance_s)
        return
    raise WebhookRejected(reason)


def _reason(stripe_message: str) -> str:
    if "Timestamp outside" in stripe_message:
        return STALE
    if "matching the expected signature" in stripe_message:
        return NO_MATCH
    return MALFORMED


def _refuse_future_timestamp(header: str, tolerance_s: int) -> None:
    """stripe only refuses old timestamps; the contract bounds the difference both ways."""
    for item in header.split(","):
        key, _, value = item.partition("=")
        if key.strip() != "t":
            continue
        try:
            timestamp = int(value)
        except ValueError:  # stripe read the first `t`; a later, unreadable one is malformed
            raise WebhookRejected(MALFORMED) from None
        if timestamp > time.time() + tolerance_s:
            raise WebhookRejected(STALE)
