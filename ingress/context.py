"""What every ingress route needs, built once by the composition root (ingress/app.py).

`pool` (asyncpg) serves the hot paths: the webhook insert, the app-key look-up, the entitlement
and metrics reads. `engine` (SQLAlchemy) serves the admin API, whose operations are the same
functions the CLI calls (shared/operations), run in a thread.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
import dramatiq
import redis.asyncio as aioredis
from sqlalchemy import Engine

from shared.queue import enqueue_event, enqueue_reconciliation
from shared.settings import Settings


@dataclass
class IngressContext:
    settings: Settings
    pool: asyncpg.Pool
    broker: dramatiq.Broker
    redis: aioredis.Redis
    engine: Engine

    def enqueue_event(self, event_id: str) -> None:
        enqueue_event(self.broker, event_id)

    def send_reconciliation(self, run_id: str, days_back: int) -> None:
        enqueue_reconciliation(self.broker, run_id, days_back)
