"""Entitlements as a pure function of a user's subscriptions, purchases and product mapping."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from shared.isotime import iso_utc
from shared.statuses import ENTITLING_SUBSCRIPTION_STATUSES, GrantSource


@dataclass(frozen=True)
class ActiveSubscription:
    id: str
    status: str
    product_ids: tuple[str, ...]
    current_period_end: datetime | None


@dataclass(frozen=True)
class ActivePurchase:
    payment_intent_id: str
    product_id: str


@dataclass(frozen=True)
class Grant:
    source: GrantSource
    source_id: str
    product_id: str
    expires_at: datetime | None  # None: lifetime

    def as_json(self) -> dict[str, Any]:
        """One entitlement as every answer and cache entry shows it (CONTRACT section 4)."""
        return {
            "source": self.source,
            "source_id": self.source_id,
            "product_id": self.product_id,
            "expires_at": iso_utc(self.expires_at),
        }


def within_grace(
    sub: ActiveSubscription, past_due_since: datetime, grace_days: int, now: datetime
) -> ActiveSubscription | None:
    """A past_due subscription under a grace of `grace_days`: it grants until the grace ends
    (and shows the earlier of its period end and that end), then nothing until it pays."""
    grace_end = past_due_since + timedelta(days=grace_days)
    if now >= grace_end:
        return None
    end = sub.current_period_end
    return replace(sub, current_period_end=grace_end if end is None else min(end, grace_end))


def compute_entitlements(
    subscriptions: Iterable[ActiveSubscription],
    purchases: Iterable[ActivePurchase],
    keys_of_product: Mapping[str, tuple[str, ...]],
) -> dict[str, Grant]:
    """Each entitlement key with the grant that lasts longest (lifetime beats any date);
    a product with no mapping grants one entitlement named by its product id."""
    grants: dict[str, Grant] = {}
    candidates = [
        Grant("subscription", sub.id, product, sub.current_period_end)
        for sub in subscriptions
        if sub.status in ENTITLING_SUBSCRIPTION_STATUSES
        for product in sub.product_ids
    ] + [Grant("purchase", p.payment_intent_id, p.product_id, None) for p in purchases]
    for grant in candidates:
        for key in keys_of_product.get(grant.product_id) or (grant.product_id,):
            current = grants.get(key)
            if current is None or _lasts_longer(grant, current):
                grants[key] = grant
    return grants


def _lasts_longer(a: Grant, b: Grant) -> bool:
    """Order: lifetime > later expiry; ties broken by source id so the result never depends on
    the order rows came in."""
    far = datetime.max.replace(tzinfo=None)

    def rank(g: Grant) -> tuple[datetime, str, str]:
        expires = g.expires_at.replace(tzinfo=None) if g.expires_at else far
        return (expires, g.source, g.source_id)

    return rank(a) > rank(b)


def entitlements_json(grants: Mapping[str, Grant]) -> dict[str, dict[str, Any]]:
    return {key: grants[key].as_json() for key in sorted(grants)}
