"""What counts, defined once for the workers and the read API.

Queries alias the record as `o`.
"""

from __future__ import annotations

# Subscriptions in these states grant their products (CONTRACT section 3) and count as active.
ENTITLING_SUBSCRIPTION_STATUSES = ("active", "trialing", "past_due")
ENTITLING_STATUS_SQL = "(" + ", ".join(f"'{s}'" for s in ENTITLING_SUBSCRIPTION_STATUSES) + ")"

# A PaymentIntent is a purchase when it has an owner source (metadata user_id, or a Checkout
# Session in payment mode) and is not an invoice's payment.
IS_PURCHASE_SQL = "(o.names_user OR o.checkout_session_id IS NOT NULL) AND o.invoice_id IS NULL"
