"""customer.subscription.created / updated / deleted → the subscription's latest snapshot."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from workers.errors import MalformedEvent
from workers.handlers.customer_link import link_customer_from_event
from workers.handlers.deps import HandlerDeps
from workers.handlers.fields import (
    claimed_owner,
    event_created,
    event_object,
    id_of,
    optional_int,
    optional_str,
    required_str,
    timestamp,
)
from workers.owners import Owner
from workers.state.customers import (
    attribute,
    owners_of,
)
from workers.state.records import SubscriptionSnapshot
from workers.state.subscriptions import apply_subscription_snapshot


def subscription_snapshot(event: dict[str, Any]) -> SubscriptionSnapshot:
    """Pure: both payload shapes (period on the subscription before 2025-03-31, on items after)."""
    obj = event_object(event, "subscription")
    deleted = event.get("type") == "customer.subscription.deleted"
    items = _items(obj)
    period_ends = [end for item in items if (end := optional_int(item, "current_period_end"))]
    own_end = optional_int(obj, "current_period_end")
    if own_end is not None:
        period_ends.append(own_end)
    return SubscriptionSnapshot(
        id=obj["id"],
        customer_id=id_of(obj, "customer"),
        owner=claimed_owner(obj),
        status="canceled" if deleted else required_str(obj, "status"),
        product_ids=_products(obj, items),
        current_period_end=timestamp(max(period_ends)) if period_ends else None,
        cancel_at_period_end=obj.get("cancel_at_period_end") is True,
        currency=optional_str(obj, "currency"),
        deleted=deleted,
        created=event_created(event),
    )


def _items(obj: dict[str, Any]) -> list[dict[str, Any]]:
    items = obj.get("items")
    if items is None:
        return []
    data = items.get("data") if isinstance(items, dict) else None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise MalformedEvent("subscription items must be a list object of items")
    return data


def _products(obj: dict[str, Any], items: list[dict[str, Any]]) -> tuple[str, ...]:
    """price.product of each item; plan.product in API versions old enough to have no prices."""
    products: list[str] = []
    sources = [item.get("price") or item.get("plan") for item in items] or [obj.get("plan")]
    for source in sources:
        product = id_of(source, "product") if isinstance(source, dict) else None
        if product and product not in products:
            products.append(product)
    return tuple(products)


def apply_subscription_event(
    tx: Connection, event: dict[str, Any], deps: HandlerDeps
) -> set[Owner]:
    snapshot = subscription_snapshot(event)
    attribution = attribute(tx, snapshot.owner, snapshot.id)
    owner = attribution.owner
    touched = link_customer_from_event(
        tx, event, snapshot.customer_id, owner, snapshot.created, deps
    )
    touched |= owners_of(tx, "subscriptions", snapshot.id)  # an owner it may be about to lose
    apply_subscription_snapshot(tx, snapshot, attribution)
    return touched | owners_of(tx, "subscriptions", snapshot.id)
