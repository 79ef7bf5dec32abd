"""Recompute the entitlements of touched users inside the event's transaction.

A per-user advisory lock serialises recomputes of one user across workers; each one reads the
committed state of every other, so the last writer always sees everything. All the users of
one transaction are recomputed together, a statement a step, so an import page of a hundred
users costs six round trips rather than seven hundred.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
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
    within_grace,
)
from shared.records import Owner
from shared.state.product_mapping import keys_of_products

# The users of one recompute, in lock order, as rows t(p, u) (a function scan keeps the order).
USERS = "unnest(CAST(:ps AS text[]), CAST(:us AS text[])) AS t(p, u)"
LOCK_USERS = text(
    f"SELECT pg_advisory_xact_lock(hashtextextended(t.p || '/' || t.u, 0)) FROM {USERS}"
)
# `past_due_since`: when the current run of past_due snapshots began (from the history), for
# the project's grace period (CONTRACT section 10).
SUBSCRIPTIONS = text(
    f"""SELECT t.p, t.u, o.id, o.status, o.product_ids, o.current_period_end,
               CASE WHEN o.status = 'past_due' THEN (
                   SELECT min(h.created) FROM subscription_history h
                   WHERE h.subscription_id = o.id AND h.status = 'past_due'
                     AND h.created <= o.snapshot_created
                     AND h.created > coalesce((
                         SELECT max(b.created) FROM subscription_history b
                         WHERE b.subscription_id = o.id AND b.status <> 'past_due'
                           AND b.created <= o.snapshot_created), -1))
               END AS past_due_since
        FROM {USERS} CROSS JOIN LATERAL (
            SELECT o.id, o.status, o.product_ids, o.current_period_end, o.snapshot_created
            FROM subscriptions o
            WHERE {owned_by_user("subscriptions", "id", "t.p", "t.u")}
              AND o.status IN {ENTITLING_STATUS_SQL}) o"""
)
GRACE_DAYS = text("SELECT id, grace_past_due_days FROM projects WHERE id = ANY(:projects)")
# A purchase: has an owner source, is not an invoice's payment, and is paid (refunds aside).
PURCHASES = text(
    f"""SELECT t.p, t.u, o.payment_intent_id, o.product_id
        FROM {USERS} CROSS JOIN LATERAL (
            SELECT o.payment_intent_id, o.product_id FROM purchases o
            WHERE {owned_by_user("purchases", "payment_intent_id", "t.p", "t.u")}
              AND {IS_PURCHASE_SQL}
              AND o.status IN {GRANTING_PURCHASE_STATUS_SQL}
              AND o.product_id IS NOT NULL) o"""
)
CLEAR = text(
    f"""DELETE FROM entitlements e USING {USERS} WHERE e.project_id = t.p AND e.user_id = t.u
        RETURNING e.project_id, e.user_id, e.entitlement_key, e.source, e.source_id,
                  e.product_id, e.expires_at"""
)
INSERT = text(
    """INSERT INTO entitlements
           (project_id, user_id, entitlement_key, source, source_id, product_id, expires_at)
       VALUES (:p, :u, :key, :source, :source_id, :product_id, :expires_at)"""
)
BUMP_VERSIONS = text(
    f"""INSERT INTO entitlement_versions AS v (project_id, user_id, version)
            SELECT t.p, t.u, 1 FROM {USERS}
        ON CONFLICT (project_id, user_id) DO UPDATE SET version = v.version + 1
        RETURNING v.project_id, v.user_id, v.version"""
)


class UserRecompute(NamedTuple):
    version: int  # grows with every recompute of the user
    grants: dict[str, Grant]
    previous: dict[str, Grant]  # what was stored before

    @property
    def changed(self) -> bool:
        return self.grants != self.previous


Recomputed = dict[Owner, UserRecompute]


def recompute_all(
    tx: Connection, owners: Iterable[Owner], now: datetime | None = None
) -> Recomputed:
    """Replace each owner's stored entitlements with what their state grants at `now`: one
    statement a step for all of them, however many. Locked in sorted order, so two
    transactions touching the same users never wait on each other in a circle."""
    users = sorted(set(owners))
    if not users:
        return {}
    now = now or datetime.now(UTC)
    projects = sorted({o.project_id for o in users})
    grace = {
        row.id: row.grace_past_due_days for row in tx.execute(GRACE_DAYS, {"projects": projects})
    }
    params = {"ps": [o.project_id for o in users], "us": [o.user_id for o in users]}
    tx.execute(LOCK_USERS, params)
    subscriptions: dict[Owner, list[ActiveSubscription]] = {o: [] for o in users}
    for row in tx.execute(SUBSCRIPTIONS, params):
        sub: ActiveSubscription | None = ActiveSubscription(
            row.id, row.status, tuple(row.product_ids), row.current_period_end
        )
        if sub is not None and (days := grace.get(row.p)) is not None and row.past_due_since:
            sub = within_grace(sub, datetime.fromtimestamp(row.past_due_since, UTC), days, now)
        if sub is not None:
            subscriptions[Owner(row.p, row.u)].append(sub)
    purchases: dict[Owner, list[ActivePurchase]] = {o: [] for o in users}
    for row in tx.execute(PURCHASES, params):
        purchases[Owner(row.p, row.u)].append(ActivePurchase(row.payment_intent_id, row.product_id))
    mappings = {p: keys_of_products(tx, p) for p in {o.project_id for o in users}}
    grants = {
        o: compute_entitlements(subscriptions[o], purchases[o], mappings[o.project_id])
        for o in users
    }
    previous: dict[Owner, dict[str, Grant]] = {o: {} for o in users}
    for row in tx.execute(CLEAR, params):
        previous[Owner(row.project_id, row.user_id)][row.entitlement_key] = Grant(
            row.source, row.source_id, row.product_id, row.expires_at
        )
    rows = [_row(o, key, grant) for o in users for key, grant in grants[o].items()]
    if rows:
        tx.execute(INSERT, rows)
    versions = {
        Owner(row.project_id, row.user_id): int(row.version)
        for row in tx.execute(BUMP_VERSIONS, params)
    }
    return {o: UserRecompute(versions[o], grants[o], previous[o]) for o in users}


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
