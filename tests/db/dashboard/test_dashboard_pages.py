"""What the dashboard's pages show and its forms do, in-process against the real PostgreSQL and
Redis: the same operations as the admin API and the CLI, and a clear refusal for bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis
from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from shared.operations import endpoints, events
from shared.queue import create_broker, enqueue_event, queue_depths
from shared.settings import MAX_DAYS_BACK, Settings
from tests.fakes.stripe_api import FakeStripe
from tests.stripe_events import T0, owner_metadata, subscription_event
from tests.support.dashboard import sign_in
from tests.support.state import (
    create_app_key,
    create_project,
    deliver,
    entitlement_keys,
    rows,
    run_rows,
)
from tests.support.stores import event_row, fail_event, insert_event, queued_event_ids
from tests.support.stripe_account import fake_stripe_env
from workers.inbox import Inbox


def test_events_are_counted_by_hour_and_status_and_the_backlog_by_age(clean_db: Engine) -> None:
    insert_event(clean_db, "evt_a", status="processed", age_hours=1)
    insert_event(clean_db, "evt_b", status="processed", age_hours=1)
    insert_event(clean_db, "evt_c", status="failed", age_hours=1)
    insert_event(clean_db, "evt_d", status="received", age_hours=3)
    insert_event(clean_db, "evt_old", status="processed", age_days=2)
    since = datetime.now(UTC) - timedelta(hours=24)
    counted = [(row.status, row.n) for row in events.counts_by_hour(clean_db, since)]
    assert sorted(counted) == [("failed", 1), ("processed", 2), ("received", 1)]
    backlog = events.backlog(clean_db)
    assert backlog.waiting == 1
    age = datetime.now(UTC) - backlog.oldest_received_at
    assert timedelta(hours=2, minutes=59) < age < timedelta(hours=3, minutes=1)


def test_queue_depths_count_every_message_not_yet_acknowledged(
    settings: Settings, clean_redis: redis.Redis
) -> None:
    broker = create_broker(settings)
    try:
        enqueue_event(broker, "evt_1")
        enqueue_event(broker, "evt_2")
        depths = queue_depths(broker)
    finally:
        broker.close()
    assert depths == {"events": 2, "maintenance": 0, "webhooks": 0, "enrichment": 0}


def test_the_overview_shows_failures_backlog_runs_and_projects(
    ingress: TestClient, clean_db: Engine, inbox: Inbox
) -> None:
    create_project(clean_db)
    deliver(inbox, clean_db, subscription_event(T0, "active", metadata=owner_metadata("u1")))
    insert_event(clean_db, "evt_broken", event_type="invoice.paid")
    fail_event(clean_db, "evt_broken", "KeyError: 'lines'")
    insert_event(clean_db, "evt_waiting", age_hours=2)
    sign_in(ingress)
    page = ingress.get("/admin/").text
    assert "evt_broken" in page and "KeyError: &#39;lines&#39;" in page
    assert "Events waiting for a worker</dt><dd>1</dd>" in page
    assert "Active subscriptions</dt><dd>1</dd>" in page
    assert "20.00 USD" in page  # MRR
    assert "Reconciliation needs <code>STRIPE_SECRET_KEY</code>" in page


def test_retrying_a_failed_event_requeues_it(
    ingress: TestClient, clean_db: Engine, clean_redis: redis.Redis
) -> None:
    insert_event(clean_db, "evt_broken")
    fail_event(clean_db, "evt_broken", "boom")
    token = sign_in(ingress)
    answer = ingress.post("/admin/events/evt_broken/retry", data={"csrf_token": token})
    assert answer.status_code == 200 and "Queued for a retry" in answer.text
    assert event_row(clean_db, "evt_broken")["status"] == "received"
    assert queued_event_ids(clean_redis) == ["evt_broken"]
    again = ingress.post("/admin/events/evt_broken/retry", data={"csrf_token": token})
    assert again.status_code == 200  # `received` may be sent again, as the admin API allows
    insert_event(clean_db, "evt_done", status="processed")
    done = ingress.post("/admin/events/evt_done/retry", data={"csrf_token": token})
    assert done.status_code == 409 and "only failed or received events" in done.text
    missing = ingress.post("/admin/events/evt_never/retry", data={"csrf_token": token})
    assert missing.status_code == 404


def test_retry_all_failed(ingress: TestClient, clean_db: Engine) -> None:
    for event_id in ("evt_1", "evt_2"):
        insert_event(clean_db, event_id, status="failed")
    token = sign_in(ingress)
    answer = ingress.post("/admin/events/retry-failed", data={"csrf_token": token})
    assert "2 failed event(s) queued for a retry" in answer.text
    assert {event_row(clean_db, e)["status"] for e in ("evt_1", "evt_2")} == {"received"}


def test_an_event_page_shows_its_payload_and_full_error(
    ingress: TestClient, clean_db: Engine
) -> None:
    insert_event(clean_db, "evt_broken", event_type="invoice.paid")
    fail_event(clean_db, "evt_broken", "E" * 1500)
    sign_in(ingress)
    page = ingress.get("/admin/events/evt_broken").text
    assert "E" * 1500 in page and "Retry this event" in page
    assert "&#34;type&#34;: &#34;invoice.paid&#34;" in page  # pretty-printed, escaped
    filtered = ingress.get("/admin/events", params={"status": "failed", "type": "invoice.paid"})
    assert "evt_broken" in filtered.text
    assert "evt_broken" not in ingress.get("/admin/events", params={"type": "other"}).text
    assert ingress.get("/admin/events/evt_never").status_code == 404


def test_mapping_a_product_changes_the_users_entitlements(
    ingress: TestClient, clean_db: Engine, inbox: Inbox
) -> None:
    create_project(clean_db)
    deliver(inbox, clean_db, subscription_event(T0, "active", metadata=owner_metadata("u1")))
    assert entitlement_keys(clean_db, "u1") == ["prod_pro"]
    token = sign_in(ingress)
    mapped = ingress.post(
        "/admin/projects/acme/products",
        data={"csrf_token": token, "product_id": "prod_pro", "entitlement_key": "pro"},
    )
    assert "Mapping added" in mapped.text
    assert entitlement_keys(clean_db, "u1") == ["pro"]
    user = ingress.get("/admin/users", params={"project": "acme", "user": "u1"}).text
    assert "<code>pro</code>" in user and "sub_1" in user and "mapped to" in user

    removed = ingress.post(
        "/admin/projects/acme/products/remove",
        data={"csrf_token": token, "product_id": "prod_pro", "entitlement_key": "pro"},
    )
    assert "Mapping removed" in removed.text
    assert entitlement_keys(clean_db, "u1") == ["prod_pro"]
    again = ingress.post(
        "/admin/projects/acme/products/remove",
        data={"csrf_token": token, "product_id": "prod_pro", "entitlement_key": "pro"},
    )
    assert again.status_code == 400 and "maps no" in again.text


def test_bad_mapping_input_is_refused_with_the_reason(
    ingress: TestClient, clean_db: Engine
) -> None:
    create_project(clean_db)
    token = sign_in(ingress)
    for product, key, reason in [
        ("pro", "pro", "product id must look like prod_"),
        ("prod_pro", "Pro Plan", "entitlement key must match"),
        ("prod_pro", "", "entitlement key must match"),
    ]:
        answer = ingress.post(
            "/admin/projects/acme/products",
            data={"csrf_token": token, "product_id": product, "entitlement_key": key},
        )
        assert answer.status_code == 400 and reason in answer.text, answer.text
    unknown = ingress.post(
        "/admin/projects/nope/products",
        data={"csrf_token": token, "product_id": "prod_pro", "entitlement_key": "pro"},
    )
    assert unknown.status_code == 400 and "no project" in unknown.text
    assert rows(clean_db, "SELECT * FROM product_entitlements") == []


def test_revoking_an_app_from_the_project_page(ingress: TestClient, clean_db: Engine) -> None:
    create_project(clean_db)
    create_app_key(clean_db)
    app_id = rows(clean_db, "SELECT id FROM apps")[0]["id"]
    token = sign_in(ingress)
    assert "Revoke" in ingress.get("/admin/projects/acme").text
    answer = ingress.post(f"/admin/projects/acme/apps/{app_id}/revoke", data={"csrf_token": token})
    assert "App revoked" in answer.text
    assert rows(clean_db, "SELECT active FROM apps") == [{"active": False}]
    missing = ingress.post("/admin/projects/acme/apps/app_never/revoke", data={"csrf_token": token})
    assert missing.status_code == 404


def test_a_failed_delivery_is_listed_and_resent(ingress: TestClient, clean_db: Engine) -> None:
    create_project(clean_db)
    endpoint = endpoints.add(clean_db, "acme", "https://app.example/hook", False)
    delivery_id = endpoints.send_test(clean_db, lambda ids: None, endpoint.id)
    with clean_db.begin() as tx:
        tx.execute(text("UPDATE webhook_deliveries SET status = 'failed', last_error = 'timeout'"))
    token = sign_in(ingress)
    page = ingress.get("/admin/projects/acme").text
    assert delivery_id in page and "timeout" in page
    answer = ingress.post(
        f"/admin/deliveries/{delivery_id}/resend", data={"csrf_token": token, "project_id": "acme"}
    )
    assert "Delivery queued to be sent again" in answer.text
    assert rows(clean_db, "SELECT status FROM webhook_deliveries") == [{"status": "pending"}]
    missing = ingress.post(
        "/admin/deliveries/dlv_never/resend", data={"csrf_token": token, "project_id": "acme"}
    )
    assert missing.status_code == 404


def test_a_reconciliation_run_is_refused_without_a_stripe_key_and_queued_with_one(
    ingress_factory, fake_stripe: FakeStripe, clean_db: Engine
) -> None:
    without = ingress_factory()
    token = sign_in(without)
    refused = without.post("/admin/reconciliation", data={"csrf_token": token})
    assert refused.status_code == 503 and "STRIPE_SECRET_KEY" in refused.text
    with_key = ingress_factory(**fake_stripe_env(fake_stripe))
    token = sign_in(with_key)
    for bad in ("0", str(MAX_DAYS_BACK + 1), "soon", "-1"):
        answer = with_key.post(
            "/admin/reconciliation", data={"csrf_token": token, "days_back": bad}
        )
        assert answer.status_code == 400 and "days back must be" in answer.text
    assert run_rows(clean_db) == []
    queued = with_key.post("/admin/reconciliation", data={"csrf_token": token, "days_back": "3"})
    assert "Reconciliation run queued" in queued.text
    [run] = run_rows(clean_db)
    assert run["trigger"] == "admin" and run["days_back"] == 3 and run["status"] == "running"


def test_looking_up_a_user_of_an_unknown_project_or_without_an_id(
    ingress: TestClient, clean_db: Engine
) -> None:
    create_project(clean_db)
    sign_in(ingress)
    assert "No active entitlement" in ingress.get("/admin/users?project=acme&user=ghost").text
    unknown = ingress.get("/admin/users?project=nope&user=u1")
    assert unknown.status_code == 404 and "no project" in unknown.text
    assert ingress.get("/admin/users?project=acme&user=").status_code == 400
    assert ingress.get("/admin/projects/nope").status_code == 404
