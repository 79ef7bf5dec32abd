"""What payloads turn into and state applies: plain records, built by pure functions
(workers/payloads) and stored by shared/state. Pure: no database library is imported here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from shared.statuses import (
    PAYING_SUBSCRIPTION_STATUSES,
    SUBSCRIPTION_STATUS_RANK,
    InvoiceOutcomeKind,
    PaymentStatus,
)


class Owner(NamedTuple):
    """Who a record belongs to: a project and one of its end users."""

    project_id: str
    user_id: str


@dataclass(frozen=True)
class ClaimedOwner:
    """An owner as an object's metadata names it, before the projects are consulted: the project
    may not exist, and which metadata key holds the user id is the project's choice
    (`billing projects user-keys`). `project_id` and `user_id` are what the metadata keys
    `project_id` and `user_id` (or the fallback) say, "" when nothing."""

    project_id: str
    user_id: str
    metadata: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    fallback_user_id: str | None = field(default=None, compare=False)

    def user_under(self, keys: Sequence[str]) -> str | None:
        """The first of `keys` the metadata fills, else the fallback (client_reference_id)."""
        values = dict(self.metadata)
        for key in keys:
            if values.get(key):
                return values[key]
        return self.fallback_user_id


@dataclass(frozen=True)
class SubscriptionSnapshot:
    id: str
    customer_id: str | None
    owner: ClaimedOwner | None
    status: str
    product_ids: tuple[str, ...]
    current_period_end: datetime | None
    cancel_at_period_end: bool
    currency: str | None
    deleted: bool
    created: int
    mrr: Decimal = Decimal(0)  # monthly, minor units, not rounded (CONTRACT section 10)
    mrr_not_counted: bool = False  # an item's price has no fixed amount (tiered, metered)

    @property
    def status_rank(self) -> int:
        return SUBSCRIPTION_STATUS_RANK.get(self.status, -1)

    @property
    def paying(self) -> bool:
        return not self.deleted and self.status in PAYING_SUBSCRIPTION_STATUSES


@dataclass(frozen=True)
class InvoiceOutcome:
    invoice_id: str
    subscription_id: str | None
    customer_id: str | None
    payment_intent_id: str | None
    outcome: InvoiceOutcomeKind
    occurred_at: datetime
    created: int
    amount_paid: int = 0  # minor units
    currency: str | None = None


@dataclass(frozen=True)
class PurchaseFacts:
    """What one event says about a PaymentIntent; None means "this event does not say"."""

    payment_intent_id: str
    created: int
    customer_id: str | None = None
    owner: ClaimedOwner | None = None
    names_user: bool = False
    checkout_session_id: str | None = None
    invoice_id: str | None = None
    product_id: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    payment_status: PaymentStatus | None = None
    amount_refunded_minor: int = 0
