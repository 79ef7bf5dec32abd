"""Linking a customer to an owner from whatever is known: the object's own metadata, else its
Customer's metadata, as sent expanded in the payload or, with a Stripe key, looked up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from workers.handlers.deps import HandlerDeps
from workers.handlers.fields import claimed_owner
from workers.owners import Owner
from workers.state.customers import attribute, is_linked, link_customer
from workers.state.records import ClaimedOwner


def link_customer_from_event(
    tx: Connection,
    event: dict[str, Any],
    customer_id: str | None,
    owner: Owner | None,
    created: int,
    deps: HandlerDeps,
) -> set[Owner]:
    if owner is None and customer_id is not None:
        claim = _expanded_customer_claim(event)
        if claim is None and deps.customer_metadata and not is_linked(tx, customer_id):
            claim = _looked_up_claim(deps, customer_id)
        owner = attribute(tx, claim, customer_id).owner
    return link_customer(tx, customer_id, owner, created)


def _expanded_customer_claim(event: dict[str, Any]) -> ClaimedOwner | None:
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    customer = obj.get("customer") if isinstance(obj, dict) else None
    return claimed_owner(customer) if isinstance(customer, dict) else None


def _looked_up_claim(deps: HandlerDeps, customer_id: str) -> ClaimedOwner | None:
    assert deps.customer_metadata is not None
    metadata = deps.customer_metadata(customer_id)
    return claimed_owner({"metadata": metadata}) if metadata else None
