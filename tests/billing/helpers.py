"""Plain helpers of the worker-side tests: store and process events, read what the workers wrote.

Events themselves are built by tests/stripe_events.py; this module only moves them around.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import redis
from sqlalchemy import Engine, text

from ingress.read_api import metrics
from shared.cache import entry_key, fresh_entry
from workers.inbox import Inbox

PROJECT = "acme"
OTHER_PROJECT = "globex"
T0 = 1_750_000_000  # `created` of the first event of a test; later ones add seconds
PERIOD_1 = 1_752_592_000
PERIOD_2 = PERIOD_1 + 30 * 86_400
Json = dict[str, Any]


def owner_metadata(user_id: str, project_id: str = PROJECT, **extra: str) -> dict[str, str]:
    return {"project_id": project_id, "user_id": user_id, **extra}


# --- projects and mappings -------------------------------------------------------------------


def create_project(engine: Engine, project_id: str = PROJECT) -> str:
    with engine.begin() as tx:
        tx.execute(
            text("INSERT INTO projects (id, name) VALUES (:id, :id) ON CONFLICT DO NOTHING"),
            {"id": project_id},
        )
    return project_id


def map_product(engine: Engine, product_id: str, key: str, project_id: str = PROJECT) -> None:
    """A mapping written before any event (the CLI, which also recomputes, is tested on its own)."""
    with engine.begin() as tx:
        tx.execute(
            text(
                """INSERT INTO product_entitlements (project_id, product_id, entitlement_key)
                   VALUES (:p, :product, :key)"""
            ),
            {"p": project_id, "product": product_id, "key": key},
        )


# --- the inbox -------------------------------------------------------------------------------


def store_event(engine: Engine, event: Json) -> str:
    """Insert an event into webhook_events as the ingress does (an id already there is kept)."""
    with engine.begin() as tx:
        tx.execute(
            text(
                """INSERT INTO webhook_events
                       (id, type, api_version, created, livemode, payload, enqueued_at,
                        enqueue_count)
                   VALUES (:id, :type, :api_version, :created, false, CAST(:payload AS jsonb),
                           now(), 1)
                   ON CONFLICT (id) DO NOTHING"""
            ),
            {
                "id": event["id"],
                "type": event["type"],
                "api_version": event.get("api_version"),
                "created": event["created"],
                "payload": json.dumps(event),
            },
        )
    return str(event["id"])


def deliver(inbox: Inbox, engine: Engine, event: Json) -> str | None:
    """Store the event and process it once, as a worker would; returns the inbox's answer."""
    return inbox.process(store_event(engine, event))


def deliver_all(inbox: Inbox, engine: Engine, events: list[Json]) -> list[str | None]:
    return [deliver(inbox, engine, event) for event in events]


def event_status(engine: Engine, event_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = (
            conn.execute(
                text(
                    """SELECT status, attempts, error_message, processed_at
                   FROM webhook_events WHERE id = :id"""
                ),
                {"id": event_id},
            )
            .mappings()
            .one()
        )
    return dict(row)


# --- what the workers wrote ------------------------------------------------------------------


def rows(engine: Engine, sql: str, **params: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(text(sql), params).mappings()]


def table_rows(engine: Engine, table: str, skip: tuple[str, ...] = ("updated_at",)) -> list[Json]:
    """Every row of a table, in an order that depends only on the values."""
    found = [
        {k: v for k, v in row.items() if k not in skip}
        for row in rows(engine, f"SELECT * FROM {table}")
    ]
    return sorted(found, key=lambda row: [repr(v) for v in row.values()])


def subscription_row(engine: Engine, sub_id: str) -> dict[str, Any] | None:
    found = rows(engine, "SELECT * FROM subscriptions WHERE id = :id", id=sub_id)
    return found[0] if found else None


def purchase_row(engine: Engine, payment_intent_id: str) -> dict[str, Any] | None:
    found = rows(
        engine, "SELECT * FROM purchases WHERE payment_intent_id = :id", id=payment_intent_id
    )
    return found[0] if found else None


def payment_row(engine: Engine, sub_id: str) -> dict[str, Any] | None:
    found = rows(
        engine, "SELECT * FROM subscription_payments WHERE subscription_id = :id", id=sub_id
    )
    return found[0] if found else None


def customer_row(engine: Engine, customer_id: str) -> dict[str, Any]:
    found = rows(engine, "SELECT * FROM customers WHERE id = :id", id=customer_id)
    assert found, f"no customer {customer_id} stored"
    return found[0]


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


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
            "expires_at": iso(row["expires_at"]),
        }
        for row in found
    }


def entitled_users(engine: Engine) -> list[tuple[str, str]]:
    """Every user whose entitlements were ever computed."""
    found = rows(engine, "SELECT project_id, user_id FROM entitlement_versions ORDER BY 1, 2")
    return [(row["project_id"], row["user_id"]) for row in found]


def cached_entitlements(client: redis.Redis, user_id: str, project_id: str = PROJECT) -> Any:
    """The cache entry as a reader would serve it, None when missing or stale."""
    raw = client.get(entry_key(project_id, user_id))
    assert raw is None or isinstance(raw, bytes)
    return fresh_entry(raw, None)


def project_metrics(engine: Engine, project_id: str = PROJECT) -> Json:
    """The read API's own aggregate SQL (asyncpg `$1` placeholders), run on the sync engine."""
    by_status = {
        row["status"]: row["n"]
        for row in rows(engine, metrics.BY_STATUS.replace("$1", ":p"), p=project_id)
    }
    revenue = {
        row["currency"]: {k: row[k] for k in ("gross", "refunded", "purchases")}
        for row in rows(engine, metrics.REVENUE.replace("$1", ":p"), p=project_id)
    }
    return {"by_status": by_status, "revenue": revenue}
