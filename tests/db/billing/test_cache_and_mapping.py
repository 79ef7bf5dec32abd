"""The cache holds what the database holds, and a product mapping changes the users' keys."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy import Engine

from cli.main import main as billing
from shared.settings import Settings
from tests.stripe_events import (
    OTHER_PROJECT,
    PERIOD_1,
    PERIOD_2,
    PROJECT,
    T0,
    mixed_history,
    owner_metadata,
    payment_intent_event,
    refund_event,
    subscription_event,
)
from tests.support.state import (
    cached_entitlements,
    create_project,
    deliver,
    deliver_all,
    entitled_users,
    entitlements_of,
    map_product,
    subscription_grant,
)
from workers.inbox import Inbox


def test_cache_entry_equals_the_database_entitlements(
    inbox: Inbox, clean_db: Engine, worker_cache: redis.Redis, project: str
) -> None:
    map_product(clean_db, "prod_pro", "pro")
    events = mixed_history("new")[:-1] + [
        subscription_event(T0, sub_id="sub_2", customer="cus_2", metadata=owner_metadata("u2")),
        payment_intent_event(
            T0, pi_id="pi_3", customer="cus_3", metadata=owner_metadata("u3", product_id="b")
        ),
        refund_event(T0 + 1, 4900, pi_id="pi_3"),
    ]
    deliver_all(inbox, clean_db, events)
    users = entitled_users(clean_db)
    assert {user for _, user in users} == {"u1", "u2", "u3"}
    for project_id, user in users:
        assert cached_entitlements(worker_cache, user, project_id) == entitlements_of(
            clean_db, user, project_id
        )
    assert set(entitlements_of(clean_db, "u1")) == {"pro", "prod_book"}
    assert entitlements_of(clean_db, "u3") == {}


def test_products_map_changes_the_users_entitlement_key(
    inbox: Inbox,
    clean_db: Engine,
    worker_cache: redis.Redis,
    settings: Settings,
    project: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    deliver(inbox, clean_db, subscription_event(T0, metadata=owner_metadata("u1")))
    create_project(clean_db, OTHER_PROJECT)
    deliver(
        inbox,
        clean_db,
        subscription_event(
            T0, sub_id="sub_9", customer="cus_9", metadata=owner_metadata("u9", OTHER_PROJECT)
        ),
    )
    assert set(cached_entitlements(worker_cache, "u1") or {}) == {"prod_pro"}
    monkeypatch.setenv("DATABASE_URL", settings.database_url.get_secret_value())
    monkeypatch.setenv("REDIS_URL", settings.redis_url.get_secret_value())
    argv = [
        "products",
        "map",
        "--project",
        PROJECT,
        "--product",
        "prod_pro",
        "--entitlement",
        "pro",
    ]
    assert billing(argv) == 0
    assert "pro" in capsys.readouterr().out
    expected = {"pro": subscription_grant("sub_1", "prod_pro", PERIOD_1)}
    assert entitlements_of(clean_db, "u1") == expected
    assert cached_entitlements(worker_cache, "u1") == expected
    # Another project's mapping is its own.
    assert set(entitlements_of(clean_db, "u9", OTHER_PROJECT)) == {"prod_pro"}
    # Events after the mapping use it too.
    deliver(
        inbox,
        clean_db,
        subscription_event(T0 + 5, period_end=PERIOD_2, metadata=owner_metadata("u1")),
    )
    assert entitlements_of(clean_db, "u1") == {
        "pro": subscription_grant("sub_1", "prod_pro", PERIOD_2)
    }
