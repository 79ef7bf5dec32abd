"""PUT/GET/DELETE /api/v1/projects/{project_id}/customers/{customer_id}: the app's own link."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text
from starlette.testclient import TestClient

from shared import tenants
from shared.db import webhook_events
from tests import stripe_events as se
from tests.db.adoption.helpers import entitled_users
from tests.support.stores import run_db, settings_for
from workers.bootstrap import WorkerParts

PATH = "/api/v1/projects/{project}/customers/{customer}"


@pytest.fixture
def keys(parts: WorkerParts) -> dict[str, str]:
    """An app key of `acme` (not the default project here) and one of `other`."""

    def make(tx: Connection) -> dict[str, str]:
        tenants.create_project(tx, "acme", None)
        tenants.create_project(tx, "other", None)
        return {
            "acme": tenants.create_app(tx, "acme", "ios")[1],
            "other": tenants.create_app(tx, "other", "web")[1],
        }

    return run_db(settings_for(), make)


@pytest.fixture
def client(ingress_factory: Callable[..., TestClient]) -> TestClient:
    return ingress_factory()


def url(customer: str = "cus_A1", project: str = "acme") -> str:
    return PATH.format(project=project, customer=customer)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def api_links(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, api_project_id, api_user_id FROM customers ORDER BY id")
        )
        return [tuple(row) for row in rows]


def deliver(parts: WorkerParts, event: dict[str, Any]) -> None:
    with parts.engine.begin() as tx:
        webhook_events.insert_if_new(tx, webhook_events.event_row(event))
    assert parts.inbox.process(event["id"]) == "processed"


def ownerless_subscription(parts: WorkerParts, customer: str = "cus_A1") -> None:
    """A subscription whose customer carries none of our metadata: nobody's until linked."""
    sub = se.subscription(
        "sub_1", customer=customer, status="active", products=["prod_pro"], period_end=2 * 10**9
    )
    deliver(parts, se.event("customer.subscription.created", sub, created=1_700_000_000))


def test_put_links_the_customer_and_entitles_its_user_at_once(
    client: TestClient, keys: dict[str, str], parts: WorkerParts
) -> None:
    ownerless_subscription(parts)
    assert entitled_users(parts.engine, "acme", "prod_pro") == set()

    answer = client.put(url(), json={"user_id": "42"}, headers=auth(keys["acme"]))

    assert answer.status_code == 200
    assert answer.json() == {
        "project_id": "acme",
        "customer_id": "cus_A1",
        "user_id": "42",
        "source": "api",
    }
    assert entitled_users(parts.engine, "acme", "prod_pro") == {"42"}
    assert client.get(url(), headers=auth(keys["acme"])).json()["user_id"] == "42"


def test_moving_the_link_moves_the_entitlement_and_delete_takes_it_away(
    client: TestClient, keys: dict[str, str], parts: WorkerParts
) -> None:
    ownerless_subscription(parts)
    client.put(url(), json={"user_id": "42"}, headers=auth(keys["acme"]))

    client.put(url(), json={"user_id": "43"}, headers=auth(keys["acme"]))
    assert entitled_users(parts.engine, "acme", "prod_pro") == {"43"}

    assert client.delete(url(), headers=auth(keys["acme"])).status_code == 204
    assert entitled_users(parts.engine, "acme", "prod_pro") == set()
    assert client.get(url(), headers=auth(keys["acme"])).status_code == 404
    assert client.delete(url(), headers=auth(keys["acme"])).status_code == 204  # idempotent


def test_an_api_link_outranks_the_metadata_link_and_delete_restores_it(
    client: TestClient, keys: dict[str, str], parts: WorkerParts
) -> None:
    session = se.checkout_session(
        "cs_1",
        mode="subscription",
        customer="cus_A1",
        metadata={"project_id": "acme", "user_id": "from-metadata"},
    )
    deliver(parts, se.event("checkout.session.completed", session, created=1_700_000_000))
    ownerless_subscription(parts)
    assert entitled_users(parts.engine, "acme", "prod_pro") == {"from-metadata"}
    assert client.get(url(), headers=auth(keys["acme"])).json()["source"] == "metadata"

    client.put(url(), json={"user_id": "42"}, headers=auth(keys["acme"]))
    assert entitled_users(parts.engine, "acme", "prod_pro") == {"42"}

    client.delete(url(), headers=auth(keys["acme"]))
    assert entitled_users(parts.engine, "acme", "prod_pro") == {"from-metadata"}


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_no_key_is_401_and_another_projects_key_is_403_with_nothing_stored(
    client: TestClient, keys: dict[str, str], parts: WorkerParts, method: str
) -> None:
    body = {"json": {"user_id": "42"}} if method == "PUT" else {}
    assert client.request(method, url(), **body).status_code == 401
    bad_key = client.request(method, url(), headers=auth("bk_nope"), **body)
    assert bad_key.status_code == 401
    foreign = client.request(method, url(), headers=auth(keys["other"]), **body)
    assert foreign.status_code == 403
    assert foreign.json()["error"]
    assert api_links(parts.engine) == []


@pytest.mark.parametrize(
    ("customer", "body"),
    [
        ("cus_A1", {"user_id": ""}),
        ("cus_A1", {"user_id": "   "}),
        ("cus_A1", {"user_id": 42}),
        ("cus_A1", {}),
        ("cus_A1", ["42"]),
        ("cus_A1", "not json"),
        ("cust_A1", {"user_id": "42"}),
        ("cus_", {"user_id": "42"}),
        ("cus_A-1", {"user_id": "42"}),
        ("sub_123", {"user_id": "42"}),
    ],
)
def test_bad_customer_ids_and_user_ids_are_400_with_nothing_stored(
    client: TestClient, keys: dict[str, str], parts: WorkerParts, customer: str, body: Any
) -> None:
    payload = {"content": body} if isinstance(body, str) else {"json": body}
    answer = client.put(url(customer), headers=auth(keys["acme"]), **payload)

    assert answer.status_code == 400
    assert answer.json()["error"]
    assert api_links(parts.engine) == []


def test_a_customer_owned_in_another_project_is_refused_409(
    client: TestClient, keys: dict[str, str], parts: WorkerParts
) -> None:
    client.put(url(), json={"user_id": "42"}, headers=auth(keys["acme"]))

    answer = client.put(url(project="other"), json={"user_id": "7"}, headers=auth(keys["other"]))

    assert answer.status_code == 409
    assert api_links(parts.engine) == [("cus_A1", "acme", "42")]
    assert client.get(url(project="other"), headers=auth(keys["other"])).status_code == 404
    assert client.delete(url(project="other"), headers=auth(keys["other"])).status_code == 204
    assert api_links(parts.engine) == [("cus_A1", "acme", "42")]
