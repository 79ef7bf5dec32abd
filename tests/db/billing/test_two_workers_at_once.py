"""Two workers at once: whichever of two related events commits first, no change is lost."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import redis
from sqlalchemy import Engine

from tests.stripe_events import (
    PERIOD_1,
    T0,
    checkout_session_event,
    owner_metadata,
    subscription_event,
)
from tests.support.processes import wait_until
from tests.support.state import (
    cached_entitlements,
    entitlements_of,
    rows,
    subscription_grant,
)
from tests.support.stores import store_event
from workers.inbox import Inbox

Json = dict[str, Any]


def someone_waits_for_a_lock(engine: Engine) -> bool:
    found = rows(
        engine,
        """SELECT 1 FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'""",
    )
    return bool(found)


def process_while_open(inbox: Inbox, engine: Engine, first: Json, second: Json) -> None:
    """Apply `first` in a transaction left open, process `second` in another thread (another
    worker), commit `first` once `second` has either finished or waits for one of its locks,
    then let `second` finish. No interleaving of the two may lose a change."""
    store_event(engine, first)
    second_id = store_event(engine, second)
    outcome: list[str | None] = []
    worker = threading.Thread(target=lambda: outcome.append(inbox.process(second_id)))
    with inbox.uow.begin() as work:  # committed, and the cache filled, when the block ends
        work.touch(inbox.handlers[first["type"]](work.tx, first))
        work.flush()
        worker.start()
        wait_until(
            lambda: not worker.is_alive() or someone_waits_for_a_lock(engine),
            timeout_s=30,
            what="the second event to finish or to wait for a lock",
        )
    worker.join(timeout=30)
    assert outcome == ["processed"]


@pytest.mark.parametrize("session_first", [False, True], ids=["subscription_open", "session_open"])
def test_customer_link_racing_an_ownerless_subscription_still_entitles(
    inbox: Inbox, clean_db: Engine, worker_cache: redis.Redis, project: str, session_first: bool
) -> None:
    session = checkout_session_event(
        T0, mode="subscription", subscription="sub_1", metadata=owner_metadata("u1")
    )
    subscription = subscription_event(T0 + 1, event_type="customer.subscription.created")
    first, second = (session, subscription) if session_first else (subscription, session)
    process_while_open(inbox, clean_db, first, second)
    expected = {"prod_pro": subscription_grant("sub_1", "prod_pro", PERIOD_1)}
    assert entitlements_of(clean_db, "u1") == expected
    assert cached_entitlements(worker_cache, "u1") == expected
