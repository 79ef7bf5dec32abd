"""CONTRACT section 10 over HTTP: /mrr and /movements answer the app of their project only,
and refuse a bad window with 400, changing nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.stripe_events import OTHER_PROJECT, PROJECT, T0, owner_metadata, subscription_event
from tests.support.state import create_app_key, create_project, deliver_all, state_dump
from workers.inbox import Inbox

MRR = f"/api/v1/metrics/project/{PROJECT}/mrr"
MOVES = f"/api/v1/metrics/project/{PROJECT}/movements"


@pytest.fixture
def key(clean_db: Engine, project: str) -> str:
    return create_app_key(clean_db)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize("path", [MRR, MOVES + "?from=2026-01-01&to=2026-01-31"])
def test_auth_matrix(ingress: TestClient, clean_db: Engine, key: str, path: str) -> None:
    create_project(clean_db, OTHER_PROJECT)
    other = create_app_key(clean_db, OTHER_PROJECT)
    assert ingress.get(path).status_code == 401
    assert ingress.get(path, headers=auth("bk_nope")).status_code == 401
    assert ingress.get(path, headers=auth(other)).status_code == 403
    assert ingress.get(path, headers=auth(key)).status_code == 200


def test_mrr_of_paying_subscriptions(
    ingress: TestClient, clean_db: Engine, key: str, inbox: Inbox
) -> None:
    events = [
        subscription_event(T0, "active", sub_id="sub_a", customer="cus_a",
                           metadata=owner_metadata("ua")),
        subscription_event(T0, "past_due", sub_id="sub_b", customer="cus_b",
                           metadata=owner_metadata("ub")),
        subscription_event(T0, "trialing", sub_id="sub_c", customer="cus_c",
                           metadata=owner_metadata("uc")),
    ]  # fmt: skip
    assert set(deliver_all(inbox, clean_db, events)) == {"processed"}
    body = ingress.get(MRR, headers=auth(key)).json()
    assert body == {
        "project_id": PROJECT,
        "currencies": {
            "usd": {"mrr": 4000, "arr": 48000, "paying_subscriptions": 2, "not_counted": 0}
        },
    }


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?from=2026-01-01",
        "?to=2026-01-01",
        "?from=2026-13-01&to=2026-12-31",
        "?from=20260101&to=20260102",
        "?from=2026-02-01&to=2026-01-01",
        "?from=2025-01-01&to=2026-01-02",
        "?from=%00&to=2026-01-01",
    ],
)
def test_bad_window_is_400_and_changes_nothing(
    ingress: TestClient, clean_db: Engine, key: str, query: str
) -> None:
    before = state_dump(clean_db)
    response = ingress.get(MOVES + query, headers=auth(key))
    assert response.status_code == 400, response.text
    assert response.json()["error"]
    assert state_dump(clean_db) == before


def test_a_whole_year_of_366_days_is_allowed(ingress: TestClient, key: str) -> None:
    response = ingress.get(MOVES + "?from=2024-01-01&to=2024-12-31", headers=auth(key))
    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"], body["churn_rate"]) == ("2024-01-01", "2024-12-31", None)
