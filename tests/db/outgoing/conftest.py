"""Outgoing webhooks against real HTTP receivers: a worker's parts with fast retries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import Engine

from shared import tenants
from shared.settings import Settings
from tests.support.stores import settings_for
from workers.bootstrap import WorkerParts, build_worker_parts

PROJECT = "acme"


@pytest.fixture
def outgoing_settings() -> Settings:
    """http:// receivers on loopback, retries after 0 s, a 1 s timeout, 3 tries in all."""
    return settings_for(
        WEBHOOK_ENDPOINTS_ALLOW_HTTP="true",
        WEBHOOK_RETRY_DELAYS="0,0",
        WEBHOOK_TIMEOUT_SECONDS="1",
    )


@pytest.fixture
def parts(
    outgoing_settings: Settings, clean_db: Engine, clean_redis: redis.Redis
) -> Iterator[WorkerParts]:
    built = build_worker_parts(outgoing_settings)
    built.uow.send_deliveries = None  # the tests send by hand, in the order they choose
    with built.engine.begin() as tx:
        tenants.create_project(tx, PROJECT, None)
    yield built
    built.engine.dispose()
