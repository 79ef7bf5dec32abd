"""The support desk's look-ups through the admin API: what a user has, whose a customer is."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from shared.operations import customer_links
from tests.db.adoption.account import PRODUCT, PROJECT, build_account
from tests.db.adoption.helpers import run_import
from tests.fakes.stripe_api import FakeStripe
from tests.support.stores import ADMIN_TOKEN
from workers.adoption.importer import Importer
from workers.bootstrap import WorkerParts

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def client(ingress_factory: Callable[..., TestClient]) -> TestClient:
    return ingress_factory()


@pytest.fixture
def imported(fake_stripe: FakeStripe, parts: WorkerParts, acme: str, importer: Importer) -> None:
    build_account(fake_stripe, 4)  # cus_000000..3: metadata, userId, checkout, nowhere
    run_import(importer)
    customer_links.link(parts.uow, PROJECT, "cus_000003", "user-3")


def test_a_user_shows_entitlements_customers_subscriptions_and_purchases(
    client: TestClient, imported: None
) -> None:
    answer = client.get(f"/api/v1/admin/projects/{PROJECT}/users/user-1", headers=ADMIN)

    assert answer.status_code == 200
    body = answer.json()
    assert body["project_id"] == PROJECT and body["user_id"] == "user-1"
    assert body["entitlements"][PRODUCT]["source_id"] == "sub_000001"
    assert body["customers"] == ["cus_000001"]
    assert [s["id"] for s in body["subscriptions"]] == ["sub_000001"]
    assert body["subscriptions"][0]["status"] == "active"
    assert body["subscriptions"][0]["product_ids"] == [PRODUCT]
    assert body["purchases"] == []


def test_a_user_never_seen_has_empty_lists(client: TestClient, imported: None) -> None:
    body = client.get(f"/api/v1/admin/projects/{PROJECT}/users/nobody", headers=ADMIN).json()
    assert body["entitlements"] == {} and body["customers"] == [] and body["subscriptions"] == []


@pytest.mark.parametrize(
    ("customer", "source", "user"),
    [("cus_000000", "metadata", "user-0"), ("cus_000003", "api", "user-3")],
)
def test_a_customer_shows_its_owner_and_how_it_was_linked(
    client: TestClient, imported: None, customer: str, source: str, user: str
) -> None:
    body = client.get(f"/api/v1/admin/customers/{customer}", headers=ADMIN).json()

    assert body["customer_id"] == customer
    assert (body["project_id"], body["user_id"], body["link_source"]) == (PROJECT, user, source)
    assert len(body["subscriptions"]) == 1


def test_unknown_and_malformed_customers_and_missing_tokens(
    client: TestClient, imported: None
) -> None:
    assert client.get("/api/v1/admin/customers/cus_unknown9", headers=ADMIN).status_code == 404
    assert client.get("/api/v1/admin/customers/nope", headers=ADMIN).status_code == 400
    assert client.get("/api/v1/admin/projects/Bad!/users/u", headers=ADMIN).status_code == 400
    assert client.get("/api/v1/admin/customers/cus_000000").status_code == 401
    assert client.get(f"/api/v1/admin/projects/{PROJECT}/users/user-1").status_code == 401
