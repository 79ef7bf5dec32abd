"""POST /api/v1/admin/reconciliation queues a run, GET …/{run_id} reports it (a real worker
running a queued run: tests/e2e/reconciliation)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
import redis
from sqlalchemy import Engine
from starlette.testclient import TestClient

from shared.db.reconciliation_runs import load_run
from shared.queue import MAINTENANCE_QUEUE, RECONCILE_ACTOR
from tests.fakes.stripe_api import FakeStripe
from tests.support.state import run_rows, start_run
from tests.support.stores import ADMIN_HEADERS, ADMIN_TOKEN, queued_messages
from tests.support.stripe_account import (
    fake_stripe_env,
)
from workers.bootstrap import WorkerParts
from workers.reconciliation.run_actor import run_or_refuse

RUNS = "/api/v1/admin/reconciliation"
ADMIN = ADMIN_HEADERS


@pytest.fixture
def admin_api(fake_stripe: FakeStripe, ingress_factory: Callable[..., TestClient]) -> TestClient:
    """The in-process ingress (lifespan run) configured with the fake as the Stripe API."""
    return ingress_factory(**fake_stripe_env(fake_stripe))


def queued_runs(client: redis.Redis) -> list[dict[str, Any]]:
    return [
        m["kwargs"]
        for m in queued_messages(client, MAINTENANCE_QUEUE)
        if m["actor_name"] == RECONCILE_ACTOR
    ]


def test_post_queues_a_run_with_the_default_window_and_answers_202_with_its_id(
    admin_api: TestClient, clean_db: Engine, clean_redis: redis.Redis
) -> None:
    answer = admin_api.post(RUNS, headers=ADMIN)

    assert answer.status_code == 202
    assert set(answer.json()) == {"run_id"}
    run_id = answer.json()["run_id"]
    [row] = run_rows(clean_db)
    assert (row["id"], row["trigger"], row["days_back"], row["status"]) == (
        run_id,
        "admin",
        7,
        "running",
    )
    assert queued_runs(clean_redis) == [{"run_id": run_id, "days_back": 7}]


def test_post_with_days_back_queues_a_run_over_that_window(
    admin_api: TestClient, clean_db: Engine, clean_redis: redis.Redis
) -> None:
    answer = admin_api.post(RUNS, headers=ADMIN, json={"days_back": 3})

    assert answer.status_code == 202
    run_id = answer.json()["run_id"]
    assert [row["days_back"] for row in run_rows(clean_db)] == [3]
    assert queued_runs(clean_redis) == [{"run_id": run_id, "days_back": 3}]


@pytest.mark.parametrize(
    "body",
    [b'{"days_back": 0}', b'{"days_back": 3651}', b'{"days_back": "3"}', b'{"days_back": true}',
     b'{"days_back": 1.5}', b"[3]", b"days_back=3"],
)  # fmt: skip
def test_post_with_a_bad_days_back_is_400_and_starts_nothing(
    body: bytes, admin_api: TestClient, clean_db: Engine, clean_redis: redis.Redis
) -> None:
    answer = admin_api.post(
        RUNS, headers={**ADMIN, "Content-Type": "application/json"}, content=body
    )

    assert answer.status_code == 400
    assert answer.json()["error"]
    assert run_rows(clean_db) == [] and queued_runs(clean_redis) == []


def test_post_without_stripe_secret_key_is_refused_with_503_and_no_run(
    ingress_factory: Callable[..., TestClient], clean_db: Engine, clean_redis: redis.Redis
) -> None:
    api = ingress_factory()  # the test settings carry no STRIPE_SECRET_KEY

    answer = api.post(RUNS, headers=ADMIN, json={"days_back": 3})

    assert answer.status_code == 503
    assert "STRIPE_SECRET_KEY" in answer.json()["error"]
    assert run_rows(clean_db) == [] and queued_runs(clean_redis) == []


def test_get_of_an_unknown_run_is_404(admin_api: TestClient) -> None:
    answer = admin_api.get(f"{RUNS}/rec_0123456789abcdef", headers=ADMIN)

    assert answer.status_code == 404
    assert answer.json()["error"]


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": ADMIN_TOKEN}]
)
def test_the_reconciliation_endpoints_need_the_admin_token(
    headers: dict[str, str], admin_api: TestClient, clean_db: Engine
) -> None:
    assert admin_api.post(RUNS, headers=headers).status_code == 401
    assert admin_api.get(f"{RUNS}/rec_0123456789abcdef", headers=headers).status_code == 401
    assert run_rows(clean_db) == []


def test_without_admin_api_key_the_reconciliation_endpoints_do_not_exist(
    fake_stripe: FakeStripe, ingress_factory: Callable[..., TestClient], clean_db: Engine
) -> None:
    api = ingress_factory(ADMIN_API_KEY="", **fake_stripe_env(fake_stripe))

    assert api.post(RUNS, headers=ADMIN).status_code == 404
    assert api.get(f"{RUNS}/rec_0123456789abcdef", headers=ADMIN).status_code == 404
    assert run_rows(clean_db) == []


def test_a_queued_run_reaching_a_worker_without_stripe_secret_key_ends_failed_saying_why(
    parts: WorkerParts, clean_db: Engine
) -> None:
    run_id = start_run(parts.engine, 3)

    run_or_refuse(replace(parts, stripe_client=None), run_id, 3)

    row = load_run(parts.engine, run_id)
    assert row is not None
    assert (row["status"], row["errors"]) == ("failed", 1) and row["finished_at"] is not None
    assert "STRIPE_SECRET_KEY" in row["error_message"]
