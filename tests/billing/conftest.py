"""Fixtures of the worker-side tests: an Inbox wired as workers/main.py wires it, on the real
PostgreSQL (TEST_DATABASE_URL) and Redis (TEST_REDIS_URL), emptied before each test.

`settings`, `db_engine`, `redis_client`, `clean_db` and `clean_redis` come from tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import Engine

from shared.db.engine import create_sync_engine
from shared.entitlements.cache_refresh import EntitlementCache
from shared.settings import Settings
from shared.unit_of_work import UnitOfWork
from tests.billing.helpers import PROJECT, create_project
from tests.fakes.fixtures import fake_stripe  # noqa: F401 - the fixture, for this directory
from workers.handlers import bind_handlers
from workers.handlers.deps import HandlerDeps
from workers.inbox import Inbox


@pytest.fixture
def empty_stores(clean_db: Engine, clean_redis: redis.Redis) -> None:
    """Every table truncated and the Redis test database flushed; the pure tests need neither,
    so the database-tier modules ask for it with `pytestmark`."""


@pytest.fixture(scope="session")
def worker_engine(settings: Settings) -> Iterator[Engine]:
    """The worker's own engine, built as its composition root builds it."""
    engine = create_sync_engine(settings)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def worker_cache(settings: Settings) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=1, socket_timeout=2)
    yield client
    client.close()


@pytest.fixture(scope="session")
def inbox(worker_engine: Engine, worker_cache: redis.Redis) -> Inbox:
    """What a worker thread calls: the handlers of the registry with no Stripe key configured."""
    uow = UnitOfWork(worker_engine, EntitlementCache(worker_cache))
    return Inbox(uow=uow, handlers=bind_handlers(HandlerDeps()))


@pytest.fixture
def project(clean_db: Engine) -> str:
    """The project every owner metadata of these tests names."""
    return create_project(clean_db, PROJECT)
