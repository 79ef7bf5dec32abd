"""customer.subscription.created / updated / deleted → the subscription's latest snapshot."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from shared.records import Owner
from shared.state.ownership import attribute, owners_of
from shared.state.subscriptions import apply_subscription_snapshot
from workers.handlers.customer_link import link_customer_from_event
from workers.handlers.deps import HandlerDeps
from workers.payloads.subscription import subscription_snapshot


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
