"""`entitlements.updated`: written with the recompute that changed a user's access, signed as
Standard Webhooks, sent to real receivers, retried on its schedule, resent by an operator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from standardwebhooks.webhooks import Webhook

from shared import tenants
from shared.db import webhook_events
from shared.operations import endpoints
from shared.outgoing.endpoints import Endpoint
from tests import stripe_events as se
from tests.db.outgoing.conftest import PROJECT
from tests.db.outgoing.receiver import receiver
from tests.support.stores import truncate_all_tables
from workers.bootstrap import WorkerParts

T0 = 1_700_000_000
OWNER = {"project_id": PROJECT, "user_id": "u1"}


def sub_event(created: int, status: str, event_type: str = "customer.subscription.updated",
              product: str = "prod_pro") -> dict[str, Any]:  # fmt: skip
    sub = se.subscription(
        "sub_1", customer="cus_1", status=status, products=[product],
        period_end=T0 + 30 * 86_400, metadata=OWNER,
    )  # fmt: skip
    return se.event(event_type, sub, created=created)


def deliver(parts: WorkerParts, event: dict[str, Any]) -> None:
    with parts.engine.begin() as tx:
        webhook_events.insert_if_new(tx, webhook_events.event_row(event))
    parts.inbox.process(event["id"])


def add_endpoint(parts: WorkerParts, url: str) -> Endpoint:
    return endpoints.add(parts.engine, PROJECT, url, allow_http=True)


def deliveries(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                """SELECT d.id, d.status, d.attempts, m.body FROM webhook_deliveries d
                   JOIN outbox_messages m ON m.id = d.message_id ORDER BY d.created_at, d.id"""
            )
        )
        return [dict(row._mapping) for row in rows]


def attempts(engine: Engine, delivery_id: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT status_code, error FROM delivery_attempts WHERE delivery_id = :d "
                 "ORDER BY id"), {"d": delivery_id},
        )  # fmt: skip
        return [tuple(row) for row in rows]


def test_active_then_canceled_sends_exactly_two_signed_messages(parts: WorkerParts) -> None:
    with receiver(200) as (url, script):
        endpoint = add_endpoint(parts, url)
        deliver(parts, sub_event(T0, "active", "customer.subscription.created"))
        deliver(parts, sub_event(T0, "active", "customer.subscription.created"))  # duplicate
        deliver(parts, sub_event(T0 + 10, "canceled", "customer.subscription.deleted"))
        for delivery in deliveries(parts.engine):
            assert parts.sender.send(delivery["id"]) == "delivered"

    assert len(script.received) == 2
    verified = [
        Webhook(endpoint.secret).verify(got.body, _lower(got.headers)) for got in script.received
    ]
    first, second = (message["data"] for message in verified)
    assert [message["type"] for message in verified] == ["entitlements.updated"] * 2
    assert first["previous"] == {} and list(first["entitlements"]) == ["prod_pro"]
    assert first["entitlements"]["prod_pro"]["source_id"] == "sub_1"
    assert second["previous"] == first["entitlements"] and second["entitlements"] == {}
    assert (first["project_id"], first["user_id"]) == (PROJECT, "u1")
    assert second["version"] > first["version"]
    assert script.received[0].headers["webhook-id"] == verified[0]["id"]


def test_a_recompute_that_changes_nothing_writes_nothing(parts: WorkerParts) -> None:
    add_endpoint(parts, "https://app.example/hooks")
    deliver(parts, sub_event(T0, "active"))
    deliver(parts, se.invoice_event(T0 + 5, paid=True, sub_id="sub_1", customer="cus_1"))
    deliver(parts, sub_event(T0 + 6, "past_due"))  # still entitled, same period: no change

    assert len(deliveries(parts.engine)) == 1


def test_a_transaction_that_rolls_back_after_the_recompute_leaves_no_message(
    parts: WorkerParts,
) -> None:
    add_endpoint(parts, "https://app.example/hooks")
    event = sub_event(T0, "active")

    with pytest.raises(RuntimeError), parts.uow.begin() as work:
        work.touch(parts.handlers[event["type"]](work.tx, event))
        work.flush()
        assert work.deliveries  # written inside the transaction…
        raise RuntimeError("rolled back after the recompute")

    assert deliveries(parts.engine) == []  # …and gone with it


def test_no_endpoint_no_message(parts: WorkerParts) -> None:
    deliver(parts, sub_event(T0, "active"))
    with parts.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM outbox_messages")).scalar_one() == 0


def test_500_then_a_timeout_then_200_is_three_attempts_and_delivered_once(
    parts: WorkerParts,
) -> None:
    with receiver(500, ("hang", 2), 200) as (url, script):
        add_endpoint(parts, url)
        deliver(parts, sub_event(T0, "active"))
        (delivery,) = deliveries(parts.engine)
        outcomes = [parts.sender.send(delivery["id"]) for _ in range(3)]
        assert parts.sender.send(delivery["id"]) is None  # delivered: nothing more to send

    assert outcomes == ["pending", "pending", "delivered"]
    tries = attempts(parts.engine, delivery["id"])
    assert [code for code, _ in tries] == [500, None, 200]
    assert "HTTP 500" in tries[0][1] and "no answer within" in tries[1][1]
    (after,) = deliveries(parts.engine)
    assert (after["status"], after["attempts"]) == ("delivered", 3)


def test_a_receiver_down_past_the_schedule_ends_failed_and_a_resend_delivers(
    parts: WorkerParts,
) -> None:
    with receiver(503) as (url, script):
        add_endpoint(parts, url)
        deliver(parts, sub_event(T0, "active"))
        (delivery,) = deliveries(parts.engine)
        outcomes = [parts.sender.send(delivery["id"]) for _ in range(4)]
        assert outcomes == ["pending", "pending", "failed", None]  # 3 tries: 0 s, 0 s, give up

        script.answers = [200]
        endpoints.resend(parts.engine, lambda ids: None, delivery["id"])
        assert parts.sender.send(delivery["id"]) == "delivered"

    assert [code for code, _ in attempts(parts.engine, delivery["id"])] == [503] * 3 + [200]


def test_redirects_are_not_followed(parts: WorkerParts) -> None:
    with receiver(302) as (url, script):
        add_endpoint(parts, url)
        deliver(parts, sub_event(T0, "active"))
        (delivery,) = deliveries(parts.engine)
        assert parts.sender.send(delivery["id"]) == "pending"
    assert len(script.received) == 1


STORY = [
    sub_event(T0, "incomplete", "customer.subscription.created"),
    sub_event(T0 + 10, "active"),
    sub_event(T0 + 20, "active", product="prod_plus"),
    sub_event(T0 + 30, "unpaid", product="prod_plus"),
    sub_event(T0 + 40, "active", product="prod_plus"),
]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    order=st.permutations(range(len(STORY))),
    again=st.lists(st.integers(0, len(STORY) - 1), max_size=4),
)
def test_shuffled_duplicated_delivery_ends_with_the_final_state_at_the_highest_version(
    parts: WorkerParts, order: list[int], again: list[int]
) -> None:
    truncate_all_tables(parts.engine)
    with parts.engine.begin() as tx:
        tenants.create_project(tx, PROJECT, None)
    add_endpoint(parts, "https://app.example/hooks")

    for index in [*order, *again]:
        deliver(parts, STORY[index])

    messages = [json.loads(d["body"])["data"] for d in deliveries(parts.engine)]
    versions = [m["version"] for m in messages]
    assert versions == sorted(set(versions))  # one message per change, versions growing
    with parts.engine.connect() as conn:
        final = {
            row.entitlement_key: row.source_id
            for row in conn.execute(text("SELECT entitlement_key, source_id FROM entitlements"))
        }
    newest = max(messages, key=lambda m: m["version"])
    assert (
        {k: v["source_id"] for k, v in newest["entitlements"].items()}
        == final
        == {"prod_plus": "sub_1"}
    )


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}
