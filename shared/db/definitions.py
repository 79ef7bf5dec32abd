"""What counts, as SQL fragments, defined once for the workers and the read API.

Queries alias the record as `o`.
"""

from __future__ import annotations

from shared.statuses import (
    ENTITLING_SUBSCRIPTION_STATUSES,
    GRANTING_PURCHASE_STATUSES,
    PAID_PURCHASE_STATUSES,
    sql_list,
)

ENTITLING_STATUS_SQL = sql_list(ENTITLING_SUBSCRIPTION_STATUSES)
GRANTING_PURCHASE_STATUS_SQL = sql_list(GRANTING_PURCHASE_STATUSES)
PAID_PURCHASE_STATUS_SQL = sql_list(PAID_PURCHASE_STATUSES)

# A PaymentIntent is a purchase when it has an owner source (metadata user_id, or a Checkout
# Session in payment mode) and is not an invoice's payment.
IS_PURCHASE_SQL = "(o.names_user OR o.checkout_session_id IS NOT NULL) AND o.invoice_id IS NULL"
