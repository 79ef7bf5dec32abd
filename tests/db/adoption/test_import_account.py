"""`billing import` over a whole account in the fake Stripe API (real HTTP), in-process."""

from __future__ import annotations

import time

from sqlalchemy import text

from shared.db import webhook_events
from shared.db.imports import load_import
from shared.operations import customer_links
from tests import stripe_events as se
from tests.db.adoption.account import (
    API_LINK_ONLY,
    CHECKOUT_ONLY,
    OTHER_KEY,
    OUR_METADATA,
    PERIOD_END,
    PRODUCT,
    PROJECT,
    build_account,
    user_id,
)
from tests.db.adoption.helpers import entitled_users, run_import, state_snapshot
from tests.fakes.stripe_api import FakeStripe
from tests.support.stores import truncate_all_tables
from workers.adoption.importer import Importer, Progress
from workers.bootstrap import WorkerParts


def test_an_account_whose_owners_live_in_four_places_ends_with_every_user_entitled(
    fake_stripe: FakeStripe, parts: WorkerParts, acme: str, importer: Importer
) -> None:
    account = build_account(fake_stripe, 2000)

    summary = run_import(importer)

    assert summary["status"] == "finished"
    assert summary["customers"] == 2000 and summary["subscriptions"] == 2000
    assert summary["checkout_sessions"] == 500
    assert summary["owners_linked"] == 1500  # our metadata, userId, client_reference_id
    assert summary["unowned"] == 500  # their owner lives only in the app's database
    assert summary["errors"] == 0
    entitled = entitled_users(parts.engine, PROJECT, PRODUCT)
    for place in (OUR_METADATA, OTHER_KEY, CHECKOUT_ONLY):
        assert {account.users[c] for c in account.by_place[place]} <= entitled
    assert not {account.users[c] for c in account.by_place[API_LINK_ONLY]} & entitled

    for customer in account.by_place[API_LINK_ONLY]:  # the app links the rest after the import
        customer_links.link(parts.uow, PROJECT, customer, account.users[customer])

    assert entitled_users(parts.engine, PROJECT, PRODUCT) == set(account.users.values())


def test_importing_again_changes_nothing(
    fake_stripe: FakeStripe, parts: WorkerParts, acme: str, importer: Importer
) -> None:
    build_account(fake_stripe, 120)
    run_import(importer)
    before = state_snapshot(parts.engine)

    again = run_import(importer)

    assert state_snapshot(parts.engine) == before
    assert again["status"] == "finished" and again["owners_linked"] == 0


def test_a_429_storm_and_a_passing_500_slow_the_import_but_fail_nothing(
    fake_stripe: FakeStripe, parts: WorkerParts, acme: str, importer: Importer
) -> None:
    build_account(fake_stripe, 120)
    pages: list[Progress] = []

    def storm(progress: Progress) -> None:
        pages.append(progress)
        if len(pages) == 1:
            fake_stripe.rate_limit_next(3, retry_after_s=1)
        if len(pages) == 3:
            fake_stripe.fail_next(1, 500)

    importer.on_page = storm
    summary = run_import(importer)

    assert summary["status"] == "finished" and summary["errors"] == 0
    assert len(entitled_users(parts.engine, PROJECT, PRODUCT)) == 90  # 3 places of 4
    requests = [r for r in fake_stripe.request_log if r[1].startswith("/v1/")]
    assert len(requests) >= len(pages) + 3 + 1  # each page, three 429s and a 500, retried


def test_a_stripe_outage_stops_the_import_between_pages_and_resume_finishes_it(
    fake_stripe: FakeStripe, parts: WorkerParts, acme: str, importer: Importer
) -> None:
    build_account(fake_stripe, 250)
    run_import(importer)
    uninterrupted = state_snapshot(parts.engine)
    truncate_all_tables(parts.engine)
    with parts.engine.begin() as tx:  # the tables were emptied: set the project up again
        tx.execute(text("INSERT INTO projects (id, name, is_default, user_id_keys) "
                        "VALUES ('acme', 'acme', true, '{userId,user_id}')"))  # fmt: skip

    fake_stripe.fail_after(4, 500)  # customers (3 pages) and one page of sessions, then down
    stopped = run_import(importer)

    assert stopped["status"] == "failed" and stopped["errors"] == 1
    assert "APIError" in stopped["error_message"] or "500" in stopped["error_message"]
    assert (stopped["stage"], stopped["pages"]) == ("subscriptions", 4)
    with parts.engine.connect() as conn:  # nothing of the page that failed was applied
        assert conn.execute(text("SELECT count(*) FROM subscriptions")).scalar_one() == 0

    fake_stripe.clear_faults()
    resumed = importer.run(stopped["id"])

    assert resumed["status"] == "finished"
    assert state_snapshot(parts.engine) == uninterrupted


def test_a_webhook_arriving_during_the_import_keeps_the_newer_state(
    fake_stripe: FakeStripe, parts: WorkerParts, acme: str, importer: Importer
) -> None:
    build_account(fake_stripe, 8)
    newer = se.subscription(
        "sub_000000",
        customer="cus_000000",
        status="past_due",
        products=[PRODUCT],
        period_end=PERIOD_END,
        metadata={"project_id": PROJECT, "user_id": user_id(0)},
    )
    webhook = se.event("customer.subscription.updated", newer, created=int(time.time()) + 3600)

    def deliver_webhook(progress: Progress) -> None:
        if progress.stage == "customers":  # after the customers' page, before subscriptions
            with parts.engine.begin() as tx:
                webhook_events.insert_if_new(tx, webhook_events.event_row(webhook))
            assert parts.inbox.process(webhook["id"]) == "processed"

    importer.on_page = deliver_webhook
    summary = run_import(importer)

    assert summary["status"] == "finished"
    with parts.engine.connect() as conn:
        status = conn.execute(
            text("SELECT status FROM subscriptions WHERE id = 'sub_000000'")
        ).scalar_one()
    assert status == "past_due"  # Stripe's page said active, but it was listed before the event
    row = load_import(parts.engine, summary["id"])
    assert row is not None and row["subscriptions"] == 8
