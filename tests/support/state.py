"""The service's state in the real PostgreSQL and Redis: set up what a test starts from (through
the modules that own those tables), read back what the workers wrote, and the shape it should have.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import redis
from sqlalchemy import Engine, text

from shared import tenants
from shared.cache import entry_key, fresh_entry
from shared.db.reconciliation_runs import RunCounters, create_run
from shared.metrics import queries
from shared.state.product_mapping import add_mapping
from tests.stripe_events import PROJECT, iso
from tests.support.stores import store_event
from workers.inbox import Inbox

Json = dict[str, Any]
Row = dict[str, Any]

# --- what a test starts from -----------------------------------------------------------------


def create_project(engine: Engine, project_id: str = PROJECT) -> str:
    """The project, unless it is there already."""
    with engine.begin() as tx:
        if not tenants.project_exists(tx, project_id):
            tenants.create_project(tx, project_id, None)
    return project_id


def create_app_key(engine: Engine, project_id: str = PROJECT, name: str = "tests") -> str:
    """An active API key of a new app of the project, as `billing apps create` makes it."""
    with engine.begin() as tx:
        _, key = tenants.create_app(tx, project_id, name)
    return key


def map_product(engine: Engine, product_id: str, key: str, project_id: str = PROJECT) -> None:
    """A mapping written before any event (the CLI, which also recomputes, is tested on its own)."""
    with engine.begin() as tx:
        add_mapping(tx, project_id, product_id, key)


# run(days_back=7, progress=None) -> (run_id, counters): the `run_reconciliation` fixture
RunFn = Callable[..., tuple[str, RunCounters]]
SUMMARY_FIELDS = {
    "subscriptions_checked",
    "purchases_checked",
    "events_replayed",
    "drift_detected",
    "corrected",
    "errors",
    "started_at",
    "finished_at",
}


def start_run(engine: Engine, days_back: int) -> str:
    """A `cli` reconciliation run row, as `billing reconcile` creates it before running."""
    run_id = create_run(engine, "cli", days_back)
    assert run_id is not None
    return run_id


# --- events through the inbox ----------------------------------------------------------------


def deliver(inbox: Inbox, engine: Engine, event: Json) -> str | None:
    """What a delivered webhook amounts to: the event stored as the ingress stores it, then
    processed once by the inbox as a worker would; the inbox's answer."""
    return inbox.process(store_event(engine, event))


def deliver_all(inbox: Inbox, engine: Engine, events: list[Json]) -> list[str | None]:
    return [deliver(inbox, engine, event) for event in events]


# --- what is there ---------------------------------------------------------------------------


def rows(engine: Engine, sql: str, **params: Any) -> list[Row]:
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(text(sql), params).mappings()]


def one(engine: Engine, sql: str, **params: Any) -> Row:
    found = rows(engine, sql, **params)
    assert len(found) == 1, found
    return found[0]


def table_rows(engine: Engine, table: str, skip: tuple[str, ...] = ("updated_at",)) -> list[Row]:
    """Every row of a table, in an order that depends only on the values."""
    found = [
        {k: v for k, v in row.items() if k not in skip}
        for row in rows(engine, f"SELECT * FROM {table}")
    ]
    return sorted(found, key=lambda row: [repr(v) for v in row.values()])


def subscription_row(engine: Engine, sub_id: str) -> Row:
    return one(engine, "SELECT * FROM subscriptions WHERE id = :id", id=sub_id)


def purchase_row(engine: Engine, payment_intent_id: str) -> Row:
    return one(
        engine, "SELECT * FROM purchases WHERE payment_intent_id = :id", id=payment_intent_id
    )


def payment_row(engine: Engine, sub_id: str) -> Row:
    return one(engine, "SELECT * FROM subscription_payments WHERE subscription_id = :id", id=sub_id)


def customer_row(engine: Engine, customer_id: str) -> Row:
    return one(engine, "SELECT * FROM customers WHERE id = :id", id=customer_id)


def run_rows(engine: Engine) -> list[Row]:
    return rows(engine, "SELECT * FROM reconciliation_runs ORDER BY started_at, id")


def entitlements_of(engine: Engine, user_id: str, project_id: str = PROJECT) -> dict[str, Json]:
    """A user's stored entitlements in the read API's JSON shape."""
    found = rows(
        engine,
        """SELECT entitlement_key, source, source_id, product_id, expires_at FROM entitlements
           WHERE project_id = :p AND user_id = :u ORDER BY entitlement_key""",
        p=project_id,
        u=user_id,
    )
    return {
        row["entitlement_key"]: {
            "source": row["source"],
            "source_id": row["source_id"],
            "product_id": row["product_id"],
            "expires_at": _iso_or_none(row["expires_at"]),
        }
        for row in found
    }


def entitlement_keys(engine: Engine, user_id: str, project_id: str = PROJECT) -> list[str]:
    return sorted(entitlements_of(engine, user_id, project_id))


def entitled_users(engine: Engine) -> list[tuple[str, str]]:
    """Every user whose entitlements were ever computed."""
    found = rows(engine, "SELECT project_id, user_id FROM entitlement_versions ORDER BY 1, 2")
    return [(row["project_id"], row["user_id"]) for row in found]


def cached_entitlements(
    client: redis.Redis, user_id: str, project_id: str = PROJECT
) -> dict[str, Json] | None:
    """The user's cache entry as a reader would serve it, None when there is none."""
    raw = client.get(entry_key(project_id, user_id))
    assert raw is None or isinstance(raw, bytes)
    return fresh_entry(raw, None)


def project_metrics(engine: Engine, project_id: str = PROJECT) -> Json:
    """The read API's own aggregate SQL, run on the sync engine."""
    by_status = {
        row["status"]: row["n"] for row in rows(engine, queries.BY_STATUS.sql, p=project_id)
    }
    revenue = {
        row["currency"]: {"gross": row["gross"], "refunded": row["refunded"], "purchases": row["n"]}
        for row in rows(engine, queries.PURCHASE_REVENUE.sql, p=project_id)
    }
    return {"by_status": by_status, "revenue": revenue}


def state_dump(engine: Engine) -> dict[str, list[Row]]:
    """Every record a reconciliation run could change, in a stable order, for before/after
    comparisons."""
    return {
        table: rows(engine, f"SELECT * FROM {table} ORDER BY {key}")
        for table, key in (
            ("subscriptions", "id"),
            ("purchases", "payment_intent_id"),
            ("entitlements", "project_id, user_id, entitlement_key"),
            ("entitlement_versions", "project_id, user_id"),
            ("customers", "id"),
            ("webhook_events", "id"),
        )
    }


def _iso_or_none(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


# --- what it should be -----------------------------------------------------------------------


def subscription_grant(sub_id: str, product: str, period_end: int) -> Json:
    """One entitlement as the read API shows it, granted by a subscription until `period_end`."""
    return {
        "source": "subscription",
        "source_id": sub_id,
        "product_id": product,
        "expires_at": iso(period_end),
    }


def purchase_grant(pi_id: str, product: str) -> Json:
    """One entitlement as the read API shows it, granted for good by a purchase."""
    return {"source": "purchase", "source_id": pi_id, "product_id": product, "expires_at": None}
