"""Ownership: which project and user a record belongs to.

An object names its owner in metadata; otherwise it belongs to its customer's owner. Ownership is
derived when read (object owner, else customer link), so an object that arrives before its
customer's link joins the owner the moment the link is written, whatever the order.
"""

from __future__ import annotations

import structlog
from sqlalchemy import Connection, text

from shared.db.ownership import JOIN_CUSTOMER, OWNER_COLUMNS
from workers.owners import Owner
from workers.state.records import ClaimedOwner

log = structlog.get_logger("workers.ownership")

OWNER_OF = {
    table: text(f"SELECT {OWNER_COLUMNS} FROM {table} o {JOIN_CUSTOMER} WHERE o.{key} = :id")
    for table, key in (("subscriptions", "id"), ("purchases", "payment_intent_id"))
}


def resolve_owner(tx: Connection, claimed: ClaimedOwner | None, object_id: str) -> Owner | None:
    """The claimed owner if its project exists; an unknown project is logged, never attributed."""
    if claimed is None:
        return None
    exists = tx.execute(
        text("SELECT 1 FROM projects WHERE id = :id"), {"id": claimed.project_id}
    ).first()
    if exists is None:
        log.warning("owner.unknown_project", project_id=claimed.project_id, object_id=object_id)
        return None
    return Owner(claimed.project_id, claimed.user_id)


def unattributed_project(claimed: ClaimedOwner | None, owner: Owner | None) -> str | None:
    """The project an object named when that project does not exist (so it stays unowned)."""
    return claimed.project_id if claimed is not None and owner is None else None


def hold_customer(tx: Connection, customer_id: str | None) -> None:
    """Share-lock the customer's row (created if missing) before reading who owns an object of it.

    A link being written concurrently then either commits first (and owners_of sees it) or waits
    for this event to commit (and its recompute sees this event's object): without the lock both
    could read the state before the other and the user's entitlements would miss the object.
    """
    if customer_id is None:
        return
    tx.execute(
        text("INSERT INTO customers (id) VALUES (:id) ON CONFLICT (id) DO NOTHING"),
        {"id": customer_id},
    )
    tx.execute(text("SELECT 1 FROM customers WHERE id = :id FOR SHARE"), {"id": customer_id})


def link_customer(
    tx: Connection, customer_id: str | None, owner: Owner | None, created: int
) -> set[Owner]:
    """Link a customer to the owner it was first seen with (earliest event wins, so the result
    does not depend on delivery order). Returns the owners whose records changed hands."""
    if customer_id is None or owner is None:
        hold_customer(tx, customer_id)
        return set()
    tx.execute(
        text("INSERT INTO customers (id) VALUES (:id) ON CONFLICT (id) DO NOTHING"),
        {"id": customer_id},
    )
    row = tx.execute(
        text(
            "SELECT project_id, user_id, linked_by_created FROM customers WHERE id = :id FOR UPDATE"
        ),
        {"id": customer_id},
    ).one()
    current = Owner(row.project_id, row.user_id) if row.project_id is not None else None
    if current is not None and (row.linked_by_created, current) <= (created, owner):
        return set()
    tx.execute(
        text(
            """UPDATE customers SET project_id = :p, user_id = :u, linked_by_created = :created
               WHERE id = :id"""
        ),
        {"p": owner.project_id, "u": owner.user_id, "created": created, "id": customer_id},
    )
    log.info("customer.linked", customer_id=customer_id, project_id=owner.project_id)
    return {owner} | ({current} if current is not None else set())


def owners_of(tx: Connection, table: str, object_id: str) -> set[Owner]:
    row = tx.execute(OWNER_OF[table], {"id": object_id}).first()
    if row is None or row.project_id is None:
        return set()
    return {Owner(row.project_id, row.user_id)}
