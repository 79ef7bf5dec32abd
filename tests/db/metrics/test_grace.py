"""CONTRACT section 10, grace: with N days, a past_due subscription grants for N days after it
became past_due, then not until it pays again; `expires_at` shows the earlier end; the
scheduler's pass takes the access away (driven clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis
from sqlalchemy import Engine

from shared.entitlements.cache_refresh import EntitlementCache
from shared.operations.grace import change_grace, end_graces
from shared.unit_of_work import UnitOfWork
from tests.stripe_events import T0, owner_metadata, subscription_event
from tests.support.state import create_project, deliver, entitlements_of
from workers.handlers import bind_handlers
from workers.handlers.deps import HandlerDeps
from workers.inbox import Inbox

DAY = 86_400


class Clock:
    def __init__(self, at: int) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return datetime.fromtimestamp(self.at, UTC)


def test_past_due_grants_for_the_grace_then_not_until_it_pays(
    clean_db: Engine, worker_cache: redis.Redis
) -> None:
    clock = Clock(T0)
    uow = UnitOfWork(clean_db, EntitlementCache(worker_cache), clock=clock)
    inbox = Inbox(uow=uow, handlers=bind_handlers(HandlerDeps()))
    create_project(clean_db)
    assert change_grace(uow, "acme", 3) == 0
    meta = owner_metadata("u1")
    period_end = T0 + 30 * DAY

    def snapshot(created: int, status: str) -> None:
        event = subscription_event(created, status, metadata=meta, period_end=period_end)
        deliver(inbox, clean_db, event)

    snapshot(T0, "active")
    clock.at = T0 + DAY + 60
    snapshot(T0 + DAY, "past_due")
    grant = entitlements_of(clean_db, "u1")["prod_pro"]
    grace_end = datetime.fromtimestamp(T0 + DAY, UTC) + timedelta(days=3)
    assert grant["expires_at"] == grace_end.isoformat().replace("+00:00", "Z")

    clock.at = T0 + 2 * DAY  # a later past_due snapshot keeps the grace from the first one
    snapshot(T0 + 2 * DAY, "past_due")
    assert "prod_pro" in entitlements_of(clean_db, "u1")

    clock.at = T0 + 4 * DAY + 1  # the grace is over: the scheduler's pass takes it away
    assert end_graces(uow) == 1
    assert entitlements_of(clean_db, "u1") == {}
    assert end_graces(uow) == 0

    snapshot(T0 + 5 * DAY, "active")  # paid again
    assert "prod_pro" in entitlements_of(clean_db, "u1")


def test_unlimited_grace_keeps_the_contract_section_3_rule(
    clean_db: Engine, worker_cache: redis.Redis
) -> None:
    clock = Clock(T0 + 400 * DAY)
    uow = UnitOfWork(clean_db, EntitlementCache(worker_cache), clock=clock)
    inbox = Inbox(uow=uow, handlers=bind_handlers(HandlerDeps()))
    create_project(clean_db)
    change_grace(uow, "acme", None)
    deliver(inbox, clean_db, subscription_event(T0, "past_due", metadata=owner_metadata("u1")))
    assert "prod_pro" in entitlements_of(clean_db, "u1")
    assert end_graces(uow) == 0
