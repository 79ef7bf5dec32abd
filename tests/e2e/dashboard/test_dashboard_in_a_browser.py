"""An operator answers "what failed, why, and is it fixed now" and "what does this user have,
and why" in the dashboard, in a real browser with JavaScript off, against real `billing serve`
and `billing worker` processes and the fake Stripe API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect
from sqlalchemy import Engine

from tests import stripe_events as se
from tests.e2e.dashboard.conftest import Service
from tests.fakes.stripe_api import FakeStripe
from tests.support import processes
from tests.support.stores import ADMIN_TOKEN, fail_event, insert_event, store_event
from tests.support.stripe_account import add_purchase, add_subscription, stripe_event

pytestmark = pytest.mark.e2e
DESKTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=390, height=844)
OUTAGE = "OperationalError: connection to server at 127.0.0.1 port 5432 failed: server closed"
DEADLINE_S = 30


@pytest.fixture
def page(browser: Browser, service: Service) -> Iterator[Page]:
    """A page with JavaScript off, that fails the test on any request to another host."""
    context = browser.new_context(
        base_url=service.base_url, viewport=DESKTOP, java_script_enabled=False
    )
    elsewhere: list[str] = []
    context.on(
        "request",
        lambda request: (
            None if request.url.startswith(service.base_url) else elsewhere.append(request.url)
        ),
    )
    page = context.new_page()
    yield page
    context.close()
    assert elsewhere == [], f"the dashboard asked another host: {elsewhere}"


def sign_in(page: Page) -> None:
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login$"))
    page.get_by_label("Admin key").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()


def reload_until(page: Page, text: str, service: Service) -> None:
    """Reload (no script on these pages) until `text` shows up."""

    def shown() -> bool:
        page.reload()
        return text in page.content()

    processes.wait_until(shown, DEADLINE_S, f"{text!r} on {page.url}", 0.3, service.worker)


def test_an_operator_retries_a_failed_event_and_sees_what_the_user_gains_and_why(
    page: Page, service: Service, stripe_account: FakeStripe, project: str, clean_db: Engine,
    screenshots: Path,
) -> None:  # fmt: skip
    sub = add_subscription(stripe_account, "sub_alice", "alice", product="prod_pro")
    event = stripe_event(stripe_account, "customer.subscription.created", sub, sub["created"])
    store_event(clean_db, event)
    fail_event(clean_db, event["id"], OUTAGE)
    earlier_day(clean_db)

    sign_in(page)
    failed = page.get_by_role("region", name="Failed events")
    expect(failed.get_by_role("link", name=event["id"])).to_be_visible()
    expect(failed).to_contain_text("OperationalError")
    page.screenshot(path=screenshots / "overview-before-retry.png", full_page=True)

    failed.get_by_role("link", name=event["id"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(event["id"])
    expect(page.locator("pre.error-text")).to_have_text(OUTAGE)
    expect(page.locator("pre.payload")).to_contain_text('"id": "sub_alice"')
    page.screenshot(path=screenshots / "event.png", full_page=True)
    page.get_by_role("button", name="Retry this event").click()
    expect(page.get_by_role("status")).to_contain_text("Queued for a retry")
    reload_until(page, "status-processed", service)
    expect(page.locator(".status")).to_have_text("processed")

    look_up(page, "alice")
    grant = page.locator("table.grants tbody tr")
    expect(grant).to_have_count(1)
    expect(grant).to_contain_text("prod_pro")
    expect(grant).to_contain_text("no mapping")

    page.get_by_role("link", name="Projects").click()
    page.screenshot(path=screenshots / "projects.png", full_page=True)
    page.get_by_role("link", name=se.PROJECT).click()
    page.get_by_label("Product", exact=True).fill("prod_pro")
    page.get_by_label("Entitlement key").fill("pro")
    page.get_by_role("button", name="Add mapping").click()
    expect(page.get_by_role("status")).to_contain_text("Mapping added")
    expect(page.get_by_role("region", name="Product mappings")).to_contain_text("pro")
    page.screenshot(path=screenshots / "project.png", full_page=True)

    look_up(page, "alice")
    expect(grant).to_have_count(1)
    expect(grant.get_by_role("rowheader")).to_have_text("pro")
    expect(grant).to_contain_text("subscription sub_alice (active)")
    expect(grant).to_contain_text("mapped to pro")
    page.screenshot(path=screenshots / "user.png", full_page=True)

    page.goto("/admin/events?status=processed")
    expect(page.get_by_role("link", name=event["id"])).to_be_visible()
    page.screenshot(path=screenshots / "events.png", full_page=True)


def test_an_operator_starts_a_reconciliation_run_and_sees_it_finish(
    page: Page, service: Service, stripe_account: FakeStripe, project: str, clean_db: Engine,
    screenshots: Path,
) -> None:  # fmt: skip
    """The run finds a purchase whose event never arrived, and the buyer gains it."""
    book = add_purchase(stripe_account, "pi_book", "bob", product="prod_book")
    stripe_event(stripe_account, "payment_intent.succeeded", book, book["created"])
    earlier_day(clean_db)

    sign_in(page)
    runs = page.get_by_role("region", name="Reconciliation runs")
    expect(runs).to_contain_text("No run yet")
    runs.get_by_label("Days back").fill("3")
    runs.get_by_role("button", name="Start a reconciliation run").click()
    expect(page.get_by_role("status")).to_contain_text("Reconciliation run queued")
    _wait_finished(page, service)
    page.goto("/admin/")
    row = runs.locator("tbody tr").first
    expect(row).to_contain_text("finished")
    expect(row).to_contain_text("admin")
    expect(row.locator("td").last).to_have_text("0")  # errors
    page.screenshot(path=screenshots / "overview.png", full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=screenshots / "overview-phone.png", full_page=True)
    page.set_viewport_size(DESKTOP)

    look_up(page, "bob")
    grant = page.locator("table.grants tbody tr")
    expect(grant.get_by_role("rowheader")).to_have_text("prod_book")
    expect(grant).to_contain_text("purchase pi_book (succeeded)")
    expect(grant).to_contain_text("never (lifetime)")


def earlier_day(engine: Engine) -> None:
    """Events of the last day, for the overview's chart (and its screenshot)."""
    statuses = ["processed"] * 3 + ["skipped"]
    for n in range(40):
        insert_event(engine, f"evt_earlier_{n}", status=statuses[n % 4], age_hours=n * 7 % 23)
    insert_event(engine, "evt_earlier_failed", "invoice.payment_succeeded", age_hours=4)
    fail_event(engine, "evt_earlier_failed", "InvoiceMissing: no invoice in_1 at Stripe")


def look_up(page: Page, user_id: str) -> None:
    page.get_by_role("link", name="Users").click()
    page.get_by_label("User id").fill(user_id)
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_role("heading", level=2).first).to_contain_text(user_id)


def _wait_finished(page: Page, service: Service) -> None:
    def finished() -> bool:
        page.reload()
        status = page.get_by_role("region", name="Reconciliation runs").locator(".status").first
        return status.inner_text().endswith("finished")

    processes.wait_until(finished, DEADLINE_S, "the run to finish", 0.3, service.worker)
