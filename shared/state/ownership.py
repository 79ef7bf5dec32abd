"""Ownership: which project and user a record belongs to.

An object names its owner in metadata; otherwise it belongs to its customer's owner. Ownership is
derived when read (object owner, else customer link), so an object that arrives before its
customer's link joins the owner the moment the link is written, whatever the order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import Connection, Row, text

from shared.db.direct import run
from shared.db.ownership import OWNER_COLUMNS
from shared.db.sql import Statement
from shared.db.transaction_scope import transaction_scope
from shared.records import ClaimedOwner, Owner
from shared.tenants import project_config

log = structlog.get_logger("shared.ownership")

OWNER_OF = {
    table: Statement(f"SELECT {OWNER_COLUMNS} FROM {table} o WHERE o.{key} = :id")
    for table, key in (("subscriptions", "id"), ("purchases", "payment_intent_id"))
}


@dataclass(frozen=True)
class Attribution:
    """What an object's own metadata says about its owner, checked against the projects."""

    owner: Owner | None = None  # complete, of a known project: the object's owner
    unattributed_project_id: str | None = None  # unknown project, or no user: nobody's, ever
    named_user_id: str | None = None  # a user but no project: its customer's project, this user

    @property
    def names_user(self) -> bool:
        """The object's own metadata names its user (so a PaymentIntent is a purchase)."""
        return self.owner is not None or self.named_user_id is not None


def attribute(tx: Connection, claimed: ClaimedOwner | None, object_id: str) -> Attribution:
    """Unknown projects and incomplete claims are logged; they are never given to the customer's
    owner instead (that would hand one user's purchase to another)."""
    if claimed is None:
        return Attribution()
    project = project_config(tx, claimed.project_id or None)
    if not claimed.project_id:  # the default project's, if there is one and a user is named
        user = claimed.user_under(project.user_id_keys) if project is not None else None
        if project is not None and user:
            return Attribution(owner=Owner(project.id, user))
        return Attribution(named_user_id=claimed.user_id or None)
    if project is None:
        log.warning("owner.unknown_project", project_id=claimed.project_id, object_id=object_id)
        return Attribution(unattributed_project_id=claimed.project_id)
    user = claimed.user_under(project.user_id_keys)
    if not user:
        log.warning("owner.incomplete", project_id=claimed.project_id, object_id=object_id)
        return Attribution(unattributed_project_id=claimed.project_id)
    return Attribution(owner=Owner(project.id, user))


IS_LINKED = Statement("SELECT owner_project_id FROM customers WHERE id = :id")


def is_linked(tx: Connection, customer_id: str) -> bool:
    """Answered from the batch's lock (lock_customers) when it holds the customer: with a Stripe
    key every event without an owner asks, and this saves a round trip for each of them."""
    known: dict[str, bool] = transaction_scope(tx).get(LINKED_WHEN_LOCKED, {})
    if customer_id in known:
        return known[customer_id]
    row = run(tx, IS_LINKED, {"id": customer_id}).first()
    return row is not None and row.owner_project_id is not None


CREATE_CUSTOMERS = Statement(
    """INSERT INTO customers (id) SELECT id FROM unnest(CAST(:ids AS text[])) AS t(id)
       ORDER BY id ON CONFLICT (id) DO NOTHING"""
)
LOCK_CUSTOMERS = Statement(
    """SELECT id, owner_project_id IS NOT NULL AS linked FROM customers
       WHERE id = ANY(CAST(:ids AS text[])) ORDER BY id FOR UPDATE"""
)


def lock_customers(tx: Connection, customer_ids: set[str]) -> None:
    """Lock a batch's customers (created if missing) up front, in one order: its events then
    never take a customer's lock in another order than a concurrent batch, nor upgrade a shared
    lock that a concurrent batch also holds (either would be a deadlock)."""
    if customer_ids:
        ids = sorted(customer_ids)
        run(tx, CREATE_CUSTOMERS, {"ids": ids})
        linked = {row.id: row.linked for row in run(tx, LOCK_CUSTOMERS, {"ids": ids})}
        scope = transaction_scope(tx)
        scope.setdefault(LOCKED_CUSTOMERS, set()).update(ids)
        scope.setdefault(LINKED_WHEN_LOCKED, {}).update(linked)


LOCKED_CUSTOMERS = "locked_customers"
LINKED_WHEN_LOCKED = "linked_when_locked"  # id -> linked, as read by the lock and written since


def _linked_now(tx: Connection, customer_id: str) -> None:
    """Inside a savepoint the link may still be rolled back: is_linked then reads the row."""
    known = transaction_scope(tx).get(LINKED_WHEN_LOCKED)
    if known is not None and customer_id in known:
        if tx.in_nested_transaction():
            del known[customer_id]
        else:
            known[customer_id] = True


CREATE_CUSTOMER = Statement("INSERT INTO customers (id) VALUES (:id) ON CONFLICT (id) DO NOTHING")
SHARE_CUSTOMER = Statement("SELECT 1 FROM customers WHERE id = :id FOR SHARE")
CUSTOMER_LINK_FOR_UPDATE = Statement(
    "SELECT project_id, user_id, linked_by_created FROM customers WHERE id = :id FOR UPDATE"
)
SET_CUSTOMER_LINK = Statement(
    """UPDATE customers SET project_id = :p, user_id = :u, linked_by_created = :created
       WHERE id = :id"""
)


def _holds(tx: Connection, customer_id: str) -> bool:
    """This transaction locked the customer's row with lock_customers (so it exists, too)."""
    return customer_id in transaction_scope(tx).get(LOCKED_CUSTOMERS, ())


def hold_customer(tx: Connection, customer_id: str | None) -> None:
    """Share-lock the customer's row (created if missing) before reading who owns an object of it.

    A link being written concurrently then either commits first (and owners_of sees it) or waits
    for this event to commit (and its recompute sees this event's object): without the lock both
    could read the state before the other and the user's entitlements would miss the object.
    """
    if customer_id is None or _holds(tx, customer_id):
        return
    run(tx, CREATE_CUSTOMER, {"id": customer_id})
    run(tx, SHARE_CUSTOMER, {"id": customer_id})


def link_customer(
    tx: Connection, customer_id: str | None, owner: Owner | None, created: int
) -> set[Owner]:
    """Link a customer to the owner it was first seen with (earliest event wins, so the result
    does not depend on delivery order). Returns the owners whose records changed hands."""
    if customer_id is None or owner is None:
        hold_customer(tx, customer_id)
        return set()
    if not _holds(tx, customer_id):
        run(tx, CREATE_CUSTOMER, {"id": customer_id})
    row = run(tx, CUSTOMER_LINK_FOR_UPDATE, {"id": customer_id}).one()
    current = Owner(row.project_id, row.user_id) if row.project_id is not None else None
    if current is not None and (row.linked_by_created, current) <= (created, owner):
        return set()
    run(
        tx,
        SET_CUSTOMER_LINK,
        {"p": owner.project_id, "u": owner.user_id, "created": created, "id": customer_id},
    )
    _linked_now(tx, customer_id)
    log.info("customer.linked", customer_id=customer_id, project_id=owner.project_id)
    return {owner} | ({current} if current is not None else set())


# The owner an object's metadata names: the one of its earliest event wins (ties by name), as
# for customer links, so a later snapshot naming someone else gives the same result in any order.
ASSIGN_OWNER = {
    table: Statement(
        f"""UPDATE {table} SET
               project_id = CAST(:p AS text), user_id = CAST(:u AS text), owner_created = :created
            WHERE {key} = :id AND (project_id IS NULL
               OR (CAST(:created AS bigint), CAST(:p AS text), CAST(:u AS text))
                  < (owner_created, project_id, user_id))"""
    )
    for table, key in (("subscriptions", "id"), ("purchases", "payment_intent_id"))
}
MARK_CLAIM = {
    table: Statement(
        f"""UPDATE {table} SET
               unattributed_project_id = least(unattributed_project_id, CAST(:project AS text)),
               named_user_id = least(named_user_id, CAST(:user AS text))
            WHERE {key} = :id"""
    )
    for table, key in (("subscriptions", "id"), ("purchases", "payment_intent_id"))
}


def assign_object_owner(
    tx: Connection, table: str, object_id: str, attribution: Attribution, created: int
) -> None:
    if (owner := attribution.owner) is not None:
        params = {"p": owner.project_id, "u": owner.user_id, "created": created, "id": object_id}
        run(tx, ASSIGN_OWNER[table], params)
    if attribution.unattributed_project_id is not None or attribution.named_user_id is not None:
        run(
            tx,
            MARK_CLAIM[table],
            {
                "project": attribution.unattributed_project_id,
                "user": attribution.named_user_id,
                "id": object_id,
            },
        )


def owners_of(tx: Connection, table: str, object_id: str) -> set[Owner]:
    row = run(tx, OWNER_OF[table], {"id": object_id}).first()
    if row is None or row.project_id is None:
        return set()
    return {Owner(row.project_id, row.user_id)}


CUSTOMER_OWNERS = text(
    """SELECT id, project_id, user_id, api_project_id, api_user_id,
              owner_project_id, owner_user_id
       FROM customers WHERE id = :id"""
)
LOCK_CUSTOMER = text("SELECT 1 FROM customers WHERE id = :id FOR UPDATE")
SET_API_LINK = text("UPDATE customers SET api_project_id = :p, api_user_id = :u WHERE id = :id")
OWNERS_OF_CUSTOMER_OBJECTS = text(
    f"""SELECT DISTINCT {OWNER_COLUMNS} FROM subscriptions o WHERE o.customer_id = :id
        UNION
        SELECT DISTINCT {OWNER_COLUMNS} FROM purchases o WHERE o.customer_id = :id"""
)


def customer_owners(tx: Connection, customer_id: str) -> Row[Any] | None:
    """The customer's metadata link, API link and effective owner (None: never seen)."""
    return tx.execute(CUSTOMER_OWNERS, {"id": customer_id}).first()


def set_api_link(tx: Connection, customer_id: str, owner: Owner | None) -> set[Owner]:
    """An app's link (None removes it). It outranks the metadata link; returns every owner of
    the customer's objects before and after, whose entitlements may have changed."""
    tx.execute(
        text("INSERT INTO customers (id) VALUES (:id) ON CONFLICT (id) DO NOTHING"),
        {"id": customer_id},
    )
    tx.execute(LOCK_CUSTOMER, {"id": customer_id})
    before = _owners_of_customer_objects(tx, customer_id)
    params = {
        "id": customer_id,
        "p": owner.project_id if owner else None,
        "u": owner.user_id if owner else None,
    }
    tx.execute(SET_API_LINK, params)
    transaction_scope(tx).get(LINKED_WHEN_LOCKED, {}).pop(customer_id, None)
    log.info(
        "customer.api_linked" if owner else "customer.api_unlinked",
        customer_id=customer_id,
        project_id=owner.project_id if owner else None,
    )
    return before | _owners_of_customer_objects(tx, customer_id)


def _owners_of_customer_objects(tx: Connection, customer_id: str) -> set[Owner]:
    rows = tx.execute(OWNERS_OF_CUSTOMER_OBJECTS, {"id": customer_id})
    return {Owner(row.project_id, row.user_id) for row in rows if row.project_id is not None}


LINKED_AMONG = text(
    "SELECT id FROM customers WHERE id = ANY(:ids) AND owner_project_id IS NOT NULL"
)


def linked_customers(tx: Connection, customer_ids: list[str]) -> set[str]:
    """Those of `customer_ids` that have an owner (a metadata or an API link)."""
    return set(tx.execute(LINKED_AMONG, {"ids": customer_ids}).scalars())
