"""Fixtures of every tier (a test only pays for those it asks for). Stores are the real
PostgreSQL (TEST_DATABASE_URL) and Redis (TEST_REDIS_URL); `make test` creates and migrates the
database before pytest runs. The tiers' own conftests empty the stores before each test."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, create_engine
from starlette.testclient import TestClient

from ingress.app import create_app
from shared.db.engine import create_sync_engine
from shared.entitlements.cache_refresh import EntitlementCache
from shared.settings import Settings
from shared.unit_of_work import UnitOfWork
from tests.fakes.fixtures import fake_stripe  # noqa: F401 - the fixture, for every tier
from tests.stripe_events import PROJECT
from tests.support import processes
from tests.support.state import create_project
from tests.support.stores import (
    TEST_REDIS_URL,
    process_env,
    settings_for,
    truncate_all_tables,
)
from workers.handlers import bind_handlers
from workers.handlers.deps import HandlerDeps
from workers.inbox import Inbox


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The service's settings for the test stores: two webhook secrets, fast retries and relay."""
    return settings_for()


@pytest.fixture(scope="session")
def db_engine(settings: Settings) -> Iterator[Engine]:
    engine = create_engine(settings.sync_database_url, pool_size=2, max_overflow=4)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(TEST_REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def clean_db(db_engine: Engine) -> Engine:
    """Every table emptied: tests that start real processes cannot share a rolled-back txn."""
    truncate_all_tables(db_engine)
    return db_engine


@pytest.fixture
def clean_redis(redis_client: redis.Redis) -> redis.Redis:
    redis_client.flushdb()
    return redis_client


@pytest.fixture
def project(clean_db: Engine) -> str:
    """The project every owner metadata of tests/stripe_events names by default."""
    return create_project(clean_db, PROJECT)


@pytest.fixture(scope="session")
def worker_engine(settings: Settings) -> Iterator[Engine]:
    """The worker's own engine, built as its composition root builds it."""
    engine = create_sync_engine(settings)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def worker_cache(settings: Settings) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(
        settings.redis_url.get_secret_value(), socket_connect_timeout=1, socket_timeout=2
    )
    yield client
    client.close()


@pytest.fixture(scope="session")
def inbox(worker_engine: Engine, worker_cache: redis.Redis) -> Inbox:
    """What a worker thread calls: the handlers of the registry with no Stripe key configured."""
    uow = UnitOfWork(worker_engine, EntitlementCache(worker_cache))
    return Inbox(uow=uow, handlers=bind_handlers(HandlerDeps()))


@pytest.fixture
def env() -> dict[str, str]:
    """Environment for subprocesses of the service, pointing at the test stores."""
    return process_env()


@pytest.fixture
def ingress_factory(settings: Settings) -> Iterator[Callable[..., TestClient]]:
    """In-process ingress (lifespan run): make(**env_overrides) -> TestClient."""
    with contextlib.ExitStack() as stack:

        def make(**overrides: str) -> TestClient:
            app_settings = settings_for(**overrides) if overrides else settings
            return stack.enter_context(TestClient(create_app(app_settings)))

        yield make


@pytest.fixture
def ingress(ingress_factory: Callable[..., TestClient]) -> TestClient:
    return ingress_factory()


@pytest.fixture
def web_server(
    clean_db: Engine, clean_redis: redis.Redis, env: dict[str, str], tmp_path: Path
) -> Iterator[str]:
    """A real `billing serve` on a free loopback port; yields its base URL."""
    proc, base_url = processes.start_web(env, tmp_path)
    yield base_url
    proc.stop()


@pytest.fixture
def worker_process(
    clean_db: Engine, clean_redis: redis.Redis, env: dict[str, str], tmp_path: Path
) -> Iterator[processes.ServiceProcess]:
    """A real `billing worker --processes 1 --threads 2`."""
    proc = processes.start_worker(env, tmp_path)
    yield proc
    proc.stop()
