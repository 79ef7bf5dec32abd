"""What every ingress route needs, built once by the composition root (ingress/app.py).

`pool` (asyncpg) serves the hot paths: the webhook insert, the app-key look-up, the entitlement
and metrics reads. `engine` and `uow` (SQLAlchemy) serve the admin API and the customer links,
whose operations are the same functions the CLI calls (shared/operations), run in a thread.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
import dramatiq
import redis.asyncio as aioredis
from sqlalchemy import Engine

from ingress.enqueuer import BackgroundEnqueuer
from ingress.group_commit import GroupCommitter
from shared.queue import (
    enqueue_deliveries,
    enqueue_event,
    enqueue_import,
    enqueue_reconciliation,
)
from shared.settings import Settings
from shared.unit_of_work import UnitOfWork


@dataclass
class IngressContext:
    settings: Settings
    pool: asyncpg.Pool
    broker: dramatiq.Broker
    redis: aioredis.Redis
    engine: Engine
    uow: UnitOfWork
    committer: GroupCommitter  # the webhook path's inserts
    enqueuer: BackgroundEnqueuer  # the webhook path's enqueues, off the event loop

    def enqueue_event(self, event_id: str) -> None:
        enqueue_event(self.broker, event_id)

    def send_deliveries(self, delivery_ids: list[str]) -> None:
        enqueue_deliveries(self.broker, delivery_ids)

    def enqueue_import(self, import_id: str) -> None:
        enqueue_import(self.broker, import_id)

    def send_reconciliation(self, run_id: str, days_back: int) -> None:
        enqueue_reconciliation(self.broker, run_id, days_back)
