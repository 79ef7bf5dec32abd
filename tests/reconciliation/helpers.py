"""Plain helpers of the reconciliation tests: Stripe objects in the fake, events through the inbox,
and what the service holds. Stripe objects themselves are built by tests/stripe_events.py."""

from __future__ import annotations

import json
import time
from typing import Any

import redis
from sqlalchemy import Engine, text

from shared.api_keys import display_prefix, generate_api_key, hash_api_key
from shared.cache import entry_key
from shared.db.reconciliation_runs import create_run
from tests import stripe_events as se
from tests.fakes.stripe_api import FakeStripe
from workers.inbox import Inbox

Json = dict[str, Any]
PROJECT = "acme"
DAY_S = 86_400
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


def now_s() -> int:
    return int(time.time())


def owner(user_id: str, **extra: str) -> dict[str, str]:
    return {"project_id": PROJECT, "user_id": user_id, **extra}


# --- projects, apps, runs ------------------------------------------------------------------


def create_project(engine: Engine, project_id: str = PROJECT) -> str:
    with engine.begin() as tx:
        tx.execute(
            text("INSERT INTO projects (id, name) VALUES (:id, :id) ON CONFLICT DO NOTHING"),
            {"id": project_id},
        )
    return project_id


def create_app_key(engine: Engine, project_id: str = PROJECT) -> str:
    """An active app API key of the project (only its hash is stored, as `apps create` does)."""
    key = generate_api_key()
    with engine.begin() as tx:
        tx.execute(
            text(
                """INSERT INTO apps (id, project_id, name, key_hash, key_prefix)
                   VALUES (:id, :p, 'reconciliation tests', :hash, :prefix)"""
            ),
            {"id": f"app_{now_s()}", "p": project_id, "hash": hash_api_key(key),
             "prefix": display_prefix(key)},
        )  # fmt: skip
    return key


def start_run(engine: Engine, days_back: int) -> str:
    run_id = create_run(engine, "cli", days_back)
    assert run_id is not None
    return run_id


def run_rows(engine: Engine) -> list[dict[str, Any]]:
    return rows(engine, "SELECT * FROM reconciliation_runs ORDER BY started_at, id")


# --- Stripe objects in the fake, and the same events through the service's inbox ------------


def add_subscription(
    fake: FakeStripe, sub_id: str, user_id: str, *, status: str = "active",
    product: str = "prod_pro", created: int | None = None, customer: str | None = None,
) -> Json:  # fmt: skip
    """A subscription created a day ago (inside any window), owned by `user_id` of the project."""
    created = now_s() - DAY_S if created is None else created
    sub = se.subscription(
        sub_id, customer=customer or f"cus_{user_id}", status=status, products=[product],
        period_end=created + 30 * DAY_S, created=created, metadata=owner(user_id),
    )  # fmt: skip
    fake.add_subscription(sub)
    return sub


def add_purchase(
    fake: FakeStripe, pi_id: str, user_id: str, *, amount: int = 4900,
    product: str = "prod_lifetime", refunded: int = 0, created: int | None = None,
) -> Json:  # fmt: skip
    """A succeeded one-time PaymentIntent naming its owner and product, and its charge."""
    created = now_s() - DAY_S if created is None else created
    charge_id = "ch_" + pi_id.removeprefix("pi_")
    pi = se.payment_intent(
        pi_id, amount=amount, customer=f"cus_{user_id}", latest_charge=charge_id,
        metadata=owner(user_id, product_id=product), created=created,
    )  # fmt: skip
    fake.add_payment_intent(pi)
    set_refunded(fake, pi, refunded)
    return pi


def set_refunded(fake: FakeStripe, pi: Json, refunded: int) -> Json:
    """The PaymentIntent's charge as Stripe holds it after refunds totalling `refunded`."""
    ch = se.charge(
        pi["latest_charge"], payment_intent=pi["id"], amount=pi["amount"],
        amount_refunded=refunded, customer=pi["customer"], created=pi["created"],
    )  # fmt: skip
    return fake.add_charge(ch)


def stripe_event(fake: FakeStripe, event_type: str, obj: Json, created: int) -> Json:
    """An event as Stripe lists it under /v1/events."""
    return fake.add_event(se.event(event_type, obj, created=created))


def deliver(inbox: Inbox, engine: Engine, event: Json) -> str | None:
    """What a delivered webhook amounts to: the event stored as the ingress stores it, then
    processed once by the inbox as a worker would."""
    with engine.begin() as tx:
        tx.execute(
            text(
                """INSERT INTO webhook_events
                       (id, type, api_version, created, livemode, payload, enqueued_at,
                        enqueue_count)
                   VALUES (:id, :type, :api_version, :created, false, CAST(:payload AS jsonb),
                           now(), 1)"""
            ),
            {"id": event["id"], "type": event["type"], "api_version": event.get("api_version"),
             "created": event["created"], "payload": json.dumps(event)},
        )  # fmt: skip
    return inbox.process(event["id"])


# --- what the service holds -----------------------------------------------------------------


def rows(engine: Engine, sql: str, **params: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(text(sql), params).mappings()]


def one(engine: Engine, sql: str, **params: Any) -> dict[str, Any]:
    found = rows(engine, sql, **params)
    assert len(found) == 1, found
    return found[0]


def subscription_row(engine: Engine, sub_id: str) -> dict[str, Any]:
    return one(engine, "SELECT * FROM subscriptions WHERE id = :id", id=sub_id)


def purchase_row(engine: Engine, pi_id: str) -> dict[str, Any]:
    return one(engine, "SELECT * FROM purchases WHERE payment_intent_id = :id", id=pi_id)


def entitlement_keys(engine: Engine, user_id: str) -> list[str]:
    found = rows(
        engine,
        """SELECT entitlement_key FROM entitlements WHERE project_id = :p AND user_id = :u
           ORDER BY entitlement_key""",
        p=PROJECT, u=user_id,
    )  # fmt: skip
    return [row["entitlement_key"] for row in found]


def cached_entitlements(client: redis.Redis, user_id: str) -> Json | None:
    """The user's cache entry ("<version>|<json>") decoded, None when there is none."""
    raw = client.get(entry_key(PROJECT, user_id))
    if raw is None:
        return None
    assert isinstance(raw, bytes)
    _, _, body = raw.partition(b"|")
    decoded: Json = json.loads(body)
    return decoded


def state_dump(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every record a run could change, in a stable order, for before/after comparisons."""
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
