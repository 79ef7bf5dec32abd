"""Fixtures of every tier. Stores are the real PostgreSQL (TEST_DATABASE_URL) and Redis
(TEST_REDIS_URL); `make test` creates and migrates the database before pytest runs."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, create_engine
from starlette.testclient import TestClient

from ingress.app import create_app
from shared.settings import Settings
from tests.support import processes
from tests.support.signing import sign as _sign
from tests.support.stores import (
    TEST_REDIS_URL,
    process_env,
    settings_for,
    truncate_all_tables,
)


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
def sign() -> Callable[..., str]:
    """sign(body, secret, timestamp=None) -> Stripe-Signature header."""
    return _sign


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
