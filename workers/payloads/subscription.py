"""A subscription event's payload → its snapshot, in both payload shapes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shared.records import SubscriptionSnapshot
from workers.payloads.errors import MalformedEvent
from workers.payloads.fields import (
    claimed_owner,
    event_created,
    event_object,
    id_of,
    optional_int,
    optional_str,
    required_str,
    subscription_items,
    timestamp,
)
from workers.payloads.mrr import Mrr, subscription_mrr


def subscription_snapshot(event: dict[str, Any]) -> SubscriptionSnapshot:
    """Period on the subscription before API 2025-03-31, on its items after."""
    obj = event_object(event, "subscription")
    deleted = event.get("type") == "customer.subscription.deleted"
    items = subscription_items(obj)
    period_ends = [end for item in items if (end := optional_int(item, "current_period_end"))]
    own_end = optional_int(obj, "current_period_end")
    if own_end is not None:
        period_ends.append(own_end)
    mrr = _mrr(obj)
    return SubscriptionSnapshot(
        id=obj["id"],
        customer_id=id_of(obj, "customer"),
        owner=claimed_owner(obj),
        status="canceled" if deleted else required_str(obj, "status"),
        product_ids=_products(obj, items),
        current_period_end=timestamp(max(period_ends)) if period_ends else None,
        cancel_at_period_end=obj.get("cancel_at_period_end") is True,
        currency=optional_str(obj, "currency") or mrr.currency,
        deleted=deleted,
        created=event_created(event),
        mrr=mrr.monthly,
        mrr_not_counted=mrr.not_counted,
    )


def _mrr(obj: dict[str, Any]) -> Mrr:
    """A price the metrics cannot read never holds up the entitlements: it counts as not
    counted. API versions of 2016 put one plan and its quantity on the subscription itself."""
    if not obj.get("items") and isinstance(obj.get("plan"), dict):
        plan_item = {"plan": obj["plan"], "quantity": obj.get("quantity", 1)}
        obj = {**obj, "items": {"object": "list", "data": [plan_item]}}
    try:
        return subscription_mrr(obj)
    except MalformedEvent:
        return Mrr(optional_str(obj, "currency"), Decimal(0), not_counted=True)


def _products(obj: dict[str, Any], items: list[dict[str, Any]]) -> tuple[str, ...]:
    """price.product of each item; plan.product in API versions old enough to have no prices."""
    products: list[str] = []
    sources = [item.get("price") or item.get("plan") for item in items] or [obj.get("plan")]
    for source in sources:
        product = id_of(source, "product") if isinstance(source, dict) else None
        if product and product not in products:
            products.append(product)
    return tuple(products)
