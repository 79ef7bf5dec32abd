"""Every status the service stores or answers, named once (CONTRACT sections 3 and 7).

Pure: imported by the payload parsers, which must load no database library.
"""

from __future__ import annotations

import enum
from typing import Literal


class EventStatus(enum.StrEnum):
    """A stored webhook event: `received` until a worker handles it."""

    RECEIVED = "received"
    PROCESSED = "processed"
    SKIPPED = "skipped"
    FAILED = "failed"


class RunStatus(enum.StrEnum):
    """A reconciliation run."""

    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class DeliveryStatus(enum.StrEnum):
    """One outgoing message to one endpoint (CONTRACT section 9)."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class SubscriptionStatus(enum.StrEnum):
    """Stripe's subscription statuses in their lifecycle order: on equal `created` the later one
    wins (CONTRACT section 3)."""

    INCOMPLETE = "incomplete"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    UNPAID = "unpaid"
    PAUSED = "paused"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    CANCELED = "canceled"


SUBSCRIPTION_STATUS_RANK: dict[str, int] = {
    status.value: rank for rank, status in enumerate(SubscriptionStatus)
}
# Subscriptions in these states grant their products and count as active.
ENTITLING_SUBSCRIPTION_STATUSES: tuple[str, ...] = (
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.TRIALING,
    SubscriptionStatus.PAST_DUE,
)
# A subscription pays while active or past due (never trialing): MRR and movements count these.
PAYING_SUBSCRIPTION_STATUSES: tuple[str, ...] = (
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.PAST_DUE,
)

# What one event says about a PaymentIntent's payment; `succeeded` never falls back.
PaymentStatus = Literal["pending", "failed", "succeeded"]
PAYMENT_STATUSES: tuple[PaymentStatus, ...] = ("pending", "failed", "succeeded")
# A purchase's own status, derived from its payment status and refunded amount.
PurchaseStatus = Literal["pending", "failed", "succeeded", "refunded", "partially_refunded"]
GRANTING_PURCHASE_STATUSES: tuple[PurchaseStatus, ...] = ("succeeded", "partially_refunded")
PAID_PURCHASE_STATUSES: tuple[PurchaseStatus, ...] = (
    "succeeded",
    "partially_refunded",
    "refunded",
)
InvoiceOutcomeKind = Literal["paid", "failed"]
GrantSource = Literal["subscription", "purchase"]
RunTrigger = Literal["schedule", "admin", "cli"]


def sql_list(values: tuple[str, ...]) -> str:
    """A constant tuple as an SQL list literal, for statuses written into queries."""
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"
