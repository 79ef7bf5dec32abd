"""The admin API of section 8 with a real `billing serve` and a real `billing worker`: an import
queued, run by the worker and reported; one customer resynced while the ingress waits for the
worker's answer; look-ups; resuming; and the admin token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from shared.db.imports import create_import, finish_import
from shared.statuses import RunStatus
from tests.db.adoption.account import PERIOD_END, PRODUCT, PROJECT, build_account
from tests.e2e.adoption.helpers import (
    BOOK,
    SUMMARY_FIELDS,
    add_book_purchases,
    app_key,
    entitled_users,
    import_rows,
    is_iso_utc,
    set_up_acme,
    stripe_env,
)
from tests.fakes.stripe_api import FakeStripe
from tests.support import processes
from tests.support.stores import ADMIN_TOKEN, process_env

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
IMPORTS = "/api/v1/admin/imports"
DEADLINE_S = 90.0
CUSTOMERS = 8  # two per place an owner can live
UNKNOWN_IMPORT = "imp_00000000000000000000000000000000"


@pytest.fixture
def web(fake_stripe: FakeStripe, engine: Engine, tmp_path: Path) -> Iterator[httpx.Client]:  # noqa: F811
    proc, base_url = processes.start_web(stripe_env(fake_stripe), tmp_path)
    try:
        with httpx.Client(base_url=base_url, timeout=DEADLINE_S + 10) as client:
            yield client
    finally:
        proc.stop()


@pytest.fixture
def worker(
    fake_stripe: FakeStripe,
    engine: Engine,
    tmp_path: Path,  # noqa: F811
) -> Iterator[processes.ServiceProcess]:
    proc = processes.start_worker(stripe_env(fake_stripe), tmp_path)
    yield proc
    proc.stop()


def wait_for_import_end(
    web: httpx.Client,
    import_id: str,
    worker: processes.ServiceProcess,
    ended_before: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The import's report once it is no longer running (and, for a resumed import, once the run
    that `ended_before` reported is not the one reported any more)."""

    def ended() -> dict[str, Any] | None:
        answer = web.get(f"{IMPORTS}/{import_id}", headers=ADMIN)
        assert answer.status_code == 200, answer.text
        report: dict[str, Any] = answer.json()
        if ended_before is not None and report["finished_at"] == ended_before["finished_at"]:
            return None
        return report if report["status"] != "running" else None

    report = processes.wait_until(ended, DEADLINE_S, f"import {import_id} to end", 0.2, worker)
    assert isinstance(report, dict)
    return report


def test_an_import_queued_through_the_admin_api_is_run_by_a_worker_and_reported(
    fake_stripe: FakeStripe,  # noqa: F811
    engine: Engine,
    web: httpx.Client,
    worker: processes.ServiceProcess,
) -> None:
    account = build_account(fake_stripe, CUSTOMERS)
    add_book_purchases(fake_stripe, account, [0, 1])
    set_up_acme(engine)

    started = web.post(IMPORTS, headers=ADMIN)

    assert started.status_code == 202, started.text
    assert set(started.json()) == {"import_id"}
    import_id = started.json()["import_id"]
    assert import_id.startswith("imp_")
    report = wait_for_import_end(web, import_id, worker)
    assert set(report) >= SUMMARY_FIELDS
    assert report["import_id"] == import_id and report["status"] == "finished", report
    assert {name: report[name] for name in SUMMARY_FIELDS - {"import_id", "status", "started_at",
                                                             "finished_at"}} == {
        "customers": CUSTOMERS,
        "checkout_sessions": CUSTOMERS // 4,
        "subscriptions": CUSTOMERS,
        "purchases": 2,
        "owners_linked": 3 * CUSTOMERS // 4,  # our metadata, userId, client_reference_id
        "unowned": CUSTOMERS // 4,  # the owner lives only in the app's database
        "errors": 0,
    }  # fmt: skip
    assert is_iso_utc(report["started_at"]) and is_iso_utc(report["finished_at"])
    assert report["started_at"] <= report["finished_at"]
    assert entitled_users(engine, PRODUCT) == {"user-0", "user-1", "user-2", "user-4", "user-5",
                                               "user-6"}  # fmt: skip
    assert entitled_users(engine, BOOK) == {"user-0", "user-1"}

    # A finished import cannot be resumed; an unknown one is not there.
    again = web.post(IMPORTS, headers=ADMIN, json={"resume": import_id})
    assert again.status_code == 409 and again.json()["error"]
    assert web.post(IMPORTS, headers=ADMIN, json={"resume": UNKNOWN_IMPORT}).status_code == 404
    assert [row["id"] for row in import_rows(engine)] == [import_id]


def test_a_customer_changed_in_stripe_is_resynced_at_once_and_its_user_entitlements_follow(
    fake_stripe: FakeStripe,  # noqa: F811
    engine: Engine,
    web: httpx.Client,
    worker: processes.ServiceProcess,
) -> None:
    build_account(fake_stripe, CUSTOMERS)
    set_up_acme(engine)
    key = {"Authorization": f"Bearer {app_key(engine)}"}
    import_id = web.post(IMPORTS, headers=ADMIN).json()["import_id"]
    assert wait_for_import_end(web, import_id, worker)["status"] == "finished"
    read_path = f"/api/v1/entitlements/project/{PROJECT}/user/user-1"
    before = web.get(read_path, headers=key)  # fills the cache with the imported state
    assert before.status_code == 200 and set(before.json()["entitlements"]) == {PRODUCT}

    # The support desk's case: Stripe changed (here: canceled) and no webhook said so.
    fake_stripe.update(
        "sub_000001", status="canceled", canceled_at=PERIOD_END - 100, ended_at=PERIOD_END - 100
    )
    answer = web.post("/api/v1/admin/customers/cus_000001/resync", headers=ADMIN)

    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "customer_id": "cus_000001",
        "subscriptions_checked": 1,
        "purchases_checked": 0,
        "corrected": 1,
    }
    assert web.get(read_path, headers=key).json()["entitlements"] == {}
    user = web.get(f"/api/v1/admin/projects/{PROJECT}/users/user-1", headers=ADMIN)
    assert user.status_code == 200
    assert user.json()["entitlements"] == {}
    assert [(s["id"], s["status"]) for s in user.json()["subscriptions"]] == [
        ("sub_000001", "canceled")
    ]
    customer = web.get("/api/v1/admin/customers/cus_000001", headers=ADMIN)
    assert customer.status_code == 200
    assert (customer.json()["user_id"], customer.json()["link_source"]) == ("user-1", "metadata")
    assert entitled_users(engine, PRODUCT) == {"user-0", "user-2", "user-4", "user-5", "user-6"}

    # Nothing changed since: resyncing again corrects nothing.
    again = web.post("/api/v1/admin/customers/cus_000001/resync", headers=ADMIN)
    assert again.status_code == 200 and again.json()["corrected"] == 0


def test_an_import_stopped_by_stripe_failing_resumes_through_the_admin_api(
    fake_stripe: FakeStripe,  # noqa: F811
    engine: Engine,
    web: httpx.Client,
    worker: processes.ServiceProcess,
) -> None:
    build_account(fake_stripe, 250)  # 3 pages of customers
    set_up_acme(engine)
    fake_stripe.fail_after(2, 500)  # the third page fails, and so do stripe's own retries

    import_id = web.post(IMPORTS, headers=ADMIN).json()["import_id"]
    failed = wait_for_import_end(web, import_id, worker)

    assert (failed["status"], failed["errors"], failed["customers"]) == ("failed", 1, 200)
    assert failed["finished_at"] is not None
    fake_stripe.clear_faults()
    resumed = web.post(IMPORTS, headers=ADMIN, json={"resume": import_id})
    assert resumed.status_code == 202 and resumed.json() == {"import_id": import_id}
    done = wait_for_import_end(web, import_id, worker, ended_before=failed)
    assert (done["status"], done["customers"], done["subscriptions"]) == ("finished", 250, 250)
    assert len(entitled_users(engine, PRODUCT)) == 250 - 250 // 4


def test_a_resume_accepted_with_202_reports_the_import_running_again_until_a_worker_ends_it(
    fake_stripe: FakeStripe,  # noqa: F811
    engine: Engine,
    web: httpx.Client,
) -> None:
    """No worker runs here: what a client polling after its 202 sees before one picks it up."""
    import_id = create_import(engine, "admin")
    finish_import(engine, import_id, RunStatus.FAILED, "APIError: Stripe was down", errors=1)
    assert web.get(f"{IMPORTS}/{import_id}", headers=ADMIN).json()["status"] == "failed"

    resumed = web.post(IMPORTS, headers=ADMIN, json={"resume": import_id})

    assert resumed.status_code == 202 and resumed.json() == {"import_id": import_id}
    report = web.get(f"{IMPORTS}/{import_id}", headers=ADMIN).json()
    # Polling "until status is not running" must not stop at the previous run's failure.
    assert (report["status"], report["finished_at"]) == ("running", None), report


def test_the_adoption_endpoints_need_the_admin_token(
    fake_stripe: FakeStripe,  # noqa: F811
    engine: Engine,
    web: httpx.Client,
) -> None:
    import_id = create_import(engine, "cli")
    calls = [
        ("POST", IMPORTS),
        ("GET", f"{IMPORTS}/{import_id}"),
        ("POST", "/api/v1/admin/customers/cus_000001/resync"),
        ("GET", "/api/v1/admin/customers/cus_000001"),
        ("GET", f"/api/v1/admin/projects/{PROJECT}/users/user-1"),
    ]
    for headers in ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": ADMIN_TOKEN}):
        for method, path in calls:
            answer = web.request(method, path, headers=headers)
            assert answer.status_code == 401, (method, path, headers, answer.text)
            assert answer.json()["error"]
    assert [row["id"] for row in import_rows(engine)] == [import_id]
    assert fake_stripe.request_log == []

    unknown = web.get(f"{IMPORTS}/{UNKNOWN_IMPORT}", headers=ADMIN)
    assert unknown.status_code == 404 and unknown.json()["error"]
    known = web.get(f"{IMPORTS}/{import_id}", headers=ADMIN)
    assert known.status_code == 200 and known.json()["status"] == "running"
    missing = web.get("/api/v1/admin/customers/cus_000001", headers=ADMIN)
    assert missing.status_code == 404 and missing.json()["error"]


def test_without_admin_api_key_the_adoption_endpoints_do_not_exist(
    fake_stripe: FakeStripe,  # noqa: F811
    engine: Engine,
    tmp_path: Path,
) -> None:
    import_id = create_import(engine, "cli")
    proc, base_url = processes.start_web(stripe_env(fake_stripe, ADMIN_API_KEY=""), tmp_path)
    try:
        with httpx.Client(base_url=base_url, timeout=10) as client:
            for method, path in [
                ("POST", IMPORTS),
                ("GET", f"{IMPORTS}/{import_id}"),
                ("POST", "/api/v1/admin/customers/cus_000001/resync"),
                ("GET", "/api/v1/admin/customers/cus_000001"),
                ("GET", f"/api/v1/admin/projects/{PROJECT}/users/user-1"),
            ]:
                answer = client.request(method, path, headers=ADMIN)
                assert answer.status_code == 404, (method, path, answer.text)
                assert answer.json()["error"]
    finally:
        proc.stop()
    assert [row["id"] for row in import_rows(engine)] == [import_id]


def test_without_stripe_secret_key_imports_and_resyncs_are_refused_and_nothing_is_stored(
    engine: Engine, tmp_path: Path
) -> None:
    env = process_env(STRIPE_SECRET_KEY="")
    proc, base_url = processes.start_web(env, tmp_path)
    try:
        with httpx.Client(base_url=base_url, timeout=10) as client:
            for path in (IMPORTS, "/api/v1/admin/customers/cus_000001/resync"):
                answer = client.post(path, headers=ADMIN)
                assert answer.status_code == 503, (path, answer.text)
                assert "STRIPE_SECRET_KEY" in answer.json()["error"]
    finally:
        proc.stop()
    assert import_rows(engine) == []
