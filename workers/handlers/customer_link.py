"""Linking a customer to an owner from whatever is known: the object's own metadata, else its
Customer's metadata as sent expanded in the payload; with a Stripe key, an unlinked customer's
metadata is looked up beside the event path (workers/enrichment.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from shared.records import Owner
from shared.state.ownership import attribute, is_linked, link_customer
from workers.handlers.deps import HandlerDeps
from workers.payloads.customer import expanded_customer_claim


def link_customer_from_event(
    tx: Connection,
    event: dict[str, Any],
    customer_id: str | None,
    owner: Owner | None,
    created: int,
    deps: HandlerDeps,
) -> set[Owner]:
    if owner is None and customer_id is not None:
        claim = expanded_customer_claim(event)
        if claim is None and deps.enrich_customer and not is_linked(tx, customer_id):
            deps.enrich_customer(customer_id, created)  # its metadata, looked up off this path
        owner = attribute(tx, claim, customer_id).owner
    return link_customer(tx, customer_id, owner, created)
