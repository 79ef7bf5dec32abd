"""The movements statement answers what their definition answers: every subscription of the
project that ever paid, joined to its states at the window's two ends (the statement before
migration 0011, kept here as the reference). Over random worlds the oracle world of
test_movements.py does not reach: two projects, subscriptions that never pay, snapshots without
a currency or in another one, ties, deletions, owners changing after the history is written,
windows before, across and after the snapshots."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from shared.metrics.queries import MOVEMENTS
from shared.metrics.report import Window
from shared.records import SubscriptionSnapshot
from shared.state.subscription_history import record_snapshot
from tests.stripe_events import OTHER_PROJECT, PROJECT
from tests.support.state import create_project

REFERENCE = text(
    """
    WITH firsts AS (
        SELECT o.id, o.first_paying_created AS first_paid, o.first_paying_mrr AS first_mrr,
               o.first_paying_currency AS first_currency
        FROM subscriptions o WHERE o.owner_project_id = :p AND o.first_paying_created IS NOT NULL),
    at_start AS (
        SELECT h.subscription_id AS id, h.paying, h.mrr, h.currency FROM subscription_history h
        WHERE h.created < :start AND (h.valid_to IS NULL OR h.valid_to >= :start)),
    at_end AS (
        SELECT h.subscription_id AS id, h.paying, h.mrr, h.currency FROM subscription_history h
        WHERE h.created < :end AND (h.valid_to IS NULL OR h.valid_to >= :end)),
    per_sub AS (
        SELECT coalesce(e.currency, s.currency, f.first_currency) AS currency, f.first_mrr,
               coalesce(s.paying, false) AS paying0, coalesce(e.paying, false) AS paying1,
               coalesce(s.mrr, 0) AS mrr0, coalesce(e.mrr, 0) AS mrr1,
               f.first_paid >= :start AND f.first_paid < :end AS is_new,
               f.first_paid < :start AS paid_before
        FROM firsts f LEFT JOIN at_start s ON s.id = f.id LEFT JOIN at_end e ON e.id = f.id)
    SELECT currency, grouping(currency) = 1 AS total,
           count(*) FILTER (WHERE paying0) AS active_at_start,
           count(*) FILTER (WHERE is_new) AS new,
           count(*) FILTER (WHERE paying0 AND NOT paying1) AS churned,
           count(*) FILTER (WHERE paid_before AND NOT paying0 AND paying1) AS reactivated,
           count(*) FILTER (WHERE paying1) AS active_at_end,
           coalesce(round(sum(first_mrr) FILTER (WHERE is_new)), 0)::bigint AS new_mrr,
           coalesce(round(sum(mrr0) FILTER (WHERE paying0 AND NOT paying1)), 0)::bigint
               AS churned_mrr,
           coalesce(round(sum(greatest(mrr1 - mrr0, 0)) FILTER (WHERE paying0 AND paying1)), 0)
               ::bigint AS expansion_mrr,
           coalesce(round(sum(greatest(mrr0 - mrr1, 0)) FILTER (WHERE paying0 AND paying1)), 0)
               ::bigint AS contraction_mrr
    FROM per_sub GROUP BY ROLLUP (currency)"""
)
DAY0 = date(2026, 1, 1)
STATUSES = ("trialing", "active", "active", "past_due", "canceled", "unpaid", "incomplete")
CURRENCIES = ("usd", "usd", "usd", "eur", None)
MRRS = (Decimal(0), Decimal(1000), Decimal("1999.5"), Decimal(2000), Decimal("333.33"))
OWNERS = (PROJECT, PROJECT, OTHER_PROJECT, None)
FIXED_WINDOWS = [("2025-11-01", "2025-11-30"), ("2025-12-01", "2026-06-30"),
                 ("2026-01-01", "2026-01-31"), ("2026-02-10", "2026-02-10"),
                 ("2026-03-01", "2026-05-31"), ("2026-06-01", "2026-12-31")]  # fmt: skip


def _ts(rnd: random.Random, first_day: int, last_day: int) -> int:
    day = DAY0 + timedelta(rnd.randrange(first_day, last_day))
    return Window.parse(day.isoformat(), day.isoformat()).params["start"] + rnd.randrange(86_400)


def _owner(owner: str | None, user: str) -> dict[str, str | None]:
    return {"project_id": owner, "user_id": user if owner else None}


def _snapshots(rnd: random.Random, sub_id: str) -> list[SubscriptionSnapshot]:
    snapshots = []
    for _ in range(rnd.randrange(0, 6)):
        created = _ts(rnd, -40, 160)
        for _ in range(1 + (rnd.random() < 0.15)):  # sometimes two snapshots of one second
            snapshots.append(SubscriptionSnapshot(
                id=sub_id, customer_id=None, owner=None, status=rnd.choice(STATUSES),
                product_ids=("prod_pro",), current_period_end=None, cancel_at_period_end=False,
                currency=rnd.choice(CURRENCIES), deleted=rnd.random() < 0.05, created=created,
                mrr=rnd.choice(MRRS),
            ))  # fmt: skip
    return snapshots


def build_world(engine: Engine, seed: int) -> None:
    """Customers and subscriptions of both projects or none, their snapshots recorded in a
    random order; then some owners change (API links, own metadata) and more snapshots come."""
    rnd = random.Random(seed)
    create_project(engine, PROJECT)
    create_project(engine, OTHER_PROJECT)
    subs = [f"sub_{seed}_{n}" for n in range(70)]
    snapshots = [snap for sub_id in subs for snap in _snapshots(rnd, sub_id)]
    rnd.shuffle(snapshots)
    later = snapshots[: len(snapshots) // 5]
    with engine.begin() as tx:
        for n in range(12):
            tx.execute(
                text("""INSERT INTO customers (id, project_id, user_id, linked_by_created)
                        VALUES (:id, :project_id, :user_id, 1)"""),
                {"id": f"cus_{n}", **_owner(rnd.choice(OWNERS), f"u{n}")},
            )
        for sub_id in subs:
            tx.execute(
                text("""INSERT INTO subscriptions
                            (id, customer_id, project_id, user_id, unattributed_project_id,
                             status, status_rank, product_ids, cancel_at_period_end,
                             snapshot_created)
                        VALUES (:id, :customer_id, :project_id, :user_id, :unattributed,
                                'active', 2, '{prod_pro}', false, 1)"""),
                {
                    "id": sub_id,
                    "customer_id": f"cus_{rnd.randrange(12)}",
                    "unattributed": "gone" if rnd.random() < 0.05 else None,
                    **_owner(rnd.choice((None, None, *OWNERS)), f"own_{sub_id}"),
                },
            )
        for snapshot in snapshots[len(later) :]:
            record_snapshot(tx, snapshot)
    with engine.begin() as tx:
        for n in rnd.sample(range(12), 4):
            tx.execute(
                text("""UPDATE customers SET api_project_id = :project_id, api_user_id = :user_id
                        WHERE id = :id"""),
                {"id": f"cus_{n}", **_owner(rnd.choice(OWNERS[:3]), f"api{n}")},
            )
        for sub_id in rnd.sample(subs, 8):
            tx.execute(
                text("UPDATE subscriptions SET project_id = :project_id, user_id = :user_id "
                     "WHERE id = :id"),
                {"id": sub_id, **_owner(rnd.choice(OWNERS), f"moved_{sub_id}")},
            )  # fmt: skip
        for snapshot in later:
            record_snapshot(tx, snapshot)


def _rows(conn: Connection, statement: Any, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    rows = conn.execute(statement, params).mappings()
    return sorted((tuple(sorted(row.items())) for row in rows), key=repr)


def _windows(seed: int) -> list[tuple[str, str]]:
    rnd = random.Random(-seed)
    windows = list(FIXED_WINDOWS)
    for _ in range(8):
        first = DAY0 + timedelta(rnd.randrange(-50, 170))
        windows.append((first.isoformat(), (first + timedelta(rnd.randrange(0, 90))).isoformat()))
    return windows


@pytest.mark.parametrize("seed", range(6))
def test_movements_answer_their_definition(clean_db: Engine, seed: int) -> None:
    build_world(clean_db, seed)
    with clean_db.connect() as conn:
        for project in (PROJECT, OTHER_PROJECT):
            for first, last in _windows(seed):
                params = {"p": project, **Window.parse(first, last).params}
                expected = _rows(conn, REFERENCE, params)
                assert _rows(conn, MOVEMENTS.sync, params) == expected, (project, first, last)


def test_history_rows_carry_their_subscriptions_owner_and_first_paying_snapshot(
    clean_db: Engine,
) -> None:
    build_world(clean_db, 7)
    with clean_db.connect() as conn:
        differing = conn.execute(
            text("""SELECT count(*) FROM subscription_history h
                    JOIN subscriptions s ON s.id = h.subscription_id
                    WHERE (h.owner_project_id, h.first_paying_created, h.first_paying_mrr,
                           h.first_paying_currency)
                        IS DISTINCT FROM (s.owner_project_id, s.first_paying_created,
                                          s.first_paying_mrr, s.first_paying_currency)""")
        ).scalar_one()
        counted = conn.execute(
            text("""SELECT count(DISTINCT owner_project_id), count(first_paying_created)
                    FROM subscription_history""")
        ).one()
    assert differing == 0
    assert counted[0] == 2 and counted[1] > 0  # the world has rows of both projects, paying
