"""Linking a customer to an owner from whatever the event shows: the object's own metadata, or
the metadata of its Customer when Stripe sent the customer expanded."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from workers.handlers.fields import claimed_owner
from workers.owners import Owner
from workers.state.customers import attribute, link_customer


def link_customer_from_event(
    tx: Connection,
    event: dict[str, Any],
    customer_id: str | None,
    owner: Owner | None,
    created: int,
) -> set[Owner]:
    if owner is None and customer_id is not None:
        owner = attribute(tx, _expanded_customer_claim(event), customer_id).owner
    return link_customer(tx, customer_id, owner, created)


def _expanded_customer_claim(event: dict[str, Any]) -> Any:
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    customer = obj.get("customer") if isinstance(obj, dict) else None
    return claimed_owner(customer) if isinstance(customer, dict) else None
