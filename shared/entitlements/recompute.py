"""Recompute the entitlements of touched users inside the event's transaction.

A per-user advisory lock serialises recomputes of one user across workers; each one reads the
committed state of every other, so the last writer always sees everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from typing import NamedTuple

from sqlalchemy import Connection, text

from shared.db.definitions import (
    ENTITLING_STATUS_SQL,
    GRANTING_PURCHASE_STATUS_SQL,
    IS_PURCHASE_SQL,
)
from shared.db.ownership import owned_by_user
from shared.entitlements.compute import (
    ActivePurchase,
    ActiveSubscription,
    Grant,
    compute_entitlements,
)
from shared.records import Owner
from shared.state.product_mapping import keys_of_products

LOCK_USER = text("SELECT pg_advisory_xact_lock(hashtextextended(:p || '/' || :u, 0))")
SUBSCRIPTIONS = text(
    f"""SELECT o.id, o.status, o.product_ids, o.current_period_end
        FROM subscriptions o
        WHERE {owned_by_user("subscriptions", "id", ":p", ":u")}
          AND o.status IN {ENTITLING_STATUS_SQL}"""
)
# A purchase: has an owner source, is not an invoice's payment, and is paid (refunds aside).
PURCHASES = text(
    f"""SELECT o.payment_intent_id, o.product_id
        FROM purchases o
        WHERE {owned_by_user("purchases", "payment_intent_id", ":p", ":u")}
          AND {IS_PURCHASE_SQL}
          AND o.status IN {GRANTING_PURCHASE_STATUS_SQL} AND o.product_id IS NOT NULL"""
)
CLEAR = text(
    """DELETE FROM entitlements WHERE project_id = :p AND user_id = :u
       RETURNING entitlement_key, source, source_id, product_id, expires_at"""
)
INSERT = text(
    """INSERT INTO entitlements
           (project_id, user_id, entitlement_key, source, source_id, product_id, expires_at)
       VALUES (:p, :u, :key, :source, :source_id, :product_id, :expires_at)"""
)
BUMP_VERSION = text(
    """INSERT INTO entitlement_versions AS v (project_id, user_id, version) VALUES (:p, :u, 1)
       ON CONFLICT (project_id, user_id) DO UPDATE SET version = v.version + 1
       RETURNING version"""
)


class UserRecompute(NamedTuple):
    version: int  # grows with every recompute of the user
    grants: dict[str, Grant]
    previous: dict[str, Grant]  # what was stored before

    @property
    def changed(self) -> bool:
        return self.grants != self.previous


def recompute_entitlements(tx: Connection, owner: Owner) -> UserRecompute:
    """Replace the owner's stored entitlements with what their state grants now."""
    params = {"p": owner.project_id, "u": owner.user_id}
    tx.execute(LOCK_USER, params)
    grants = compute_entitlements(
        [
            ActiveSubscription(row.id, row.status, tuple(row.product_ids), row.current_period_end)
            for row in tx.execute(SUBSCRIPTIONS, params)
        ],
        [
            ActivePurchase(row.payment_intent_id, row.product_id)
            for row in tx.execute(PURCHASES, params)
        ],
        keys_of_products(tx, owner.project_id),
    )
    previous = {
        row.entitlement_key: Grant(row.source, row.source_id, row.product_id, row.expires_at)
        for row in tx.execute(CLEAR, params)
    }
    if grants:
        tx.execute(INSERT, [_row(owner, key, grant) for key, grant in grants.items()])
    version = int(tx.execute(BUMP_VERSION, params).scalar_one())
    return UserRecompute(version, grants, previous)


Recomputed = dict[Owner, UserRecompute]


def recompute_all(tx: Connection, owners: Iterable[Owner]) -> Recomputed:
    """Sorted, so two transactions touching the same users lock them in the same order."""
    return {owner: recompute_entitlements(tx, owner) for owner in sorted(set(owners))}


def _row(owner: Owner, key: str, grant: Grant) -> dict[str, object]:
    return {
        "p": owner.project_id,
        "u": owner.user_id,
        "key": key,
        "source": grant.source,
        "source_id": grant.source_id,
        "product_id": grant.product_id,
        "expires_at": grant.expires_at.astimezone(UTC) if grant.expires_at else None,
    }
