"""Fixtures of the reconciliation tests: the real PostgreSQL and Redis (emptied before each test),
a fake Stripe API over loopback HTTP, and the worker's parts built by its own composition root
with STRIPE_API_BASE pointing at the fake."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis
from sqlalchemy import Engine

from shared.db.reconciliation_runs import RunCounters
from shared.settings import Settings, load_settings
from tests.fakes.fixtures import fake_stripe  # noqa: F401 - the fixture, for this directory
from tests.fakes.stripe_api import FakeStripe
from tests.reconciliation.helpers import PROJECT, create_project, start_run
from tests.support.stores import TEST_DATABASE_URL, TEST_REDIS_URL
from workers.bootstrap import WorkerParts, build_worker_parts
from workers.reconciliation.runner import Progress, Reconciler

RunFn = Callable[..., tuple[str, RunCounters]]


@pytest.fixture(autouse=True)
def _empty_stores(clean_db: Engine, clean_redis: redis.Redis) -> None:
    """Every table truncated (TRUNCATE … CASCADE over the models) and the Redis test db flushed."""


def stripe_env(fake: FakeStripe, **overrides: str) -> dict[str, str]:
    """The worker's environment: the test stores, and the fake as the Stripe API."""
    return {
        "DATABASE_URL": TEST_DATABASE_URL,
        "REDIS_URL": TEST_REDIS_URL,
        "STRIPE_SECRET_KEY": fake.api_key,
        "STRIPE_API_BASE": fake.base_url,
        **overrides,
    }


@pytest.fixture
def recon_settings(fake_stripe: FakeStripe) -> Settings:  # noqa: F811
    return load_settings(stripe_env(fake_stripe))


@pytest.fixture
def parts(recon_settings: Settings) -> Iterator[WorkerParts]:
    """Engine, broker, cache, Stripe client, handlers and inbox, as a worker process builds them."""
    built = build_worker_parts(recon_settings)
    yield built
    built.engine.dispose()
    built.uow.cache.client.close()


@pytest.fixture
def reconciler(parts: WorkerParts) -> Reconciler:
    assert parts.stripe_client is not None
    return Reconciler.from_parts(parts, parts.stripe_client)


@pytest.fixture
def run_reconciliation(parts: WorkerParts, reconciler: Reconciler) -> RunFn:
    """run(days_back=7, progress=None) -> (run_id, counters): a `cli` run row, then the run."""

    def run(days_back: int = 7, progress: Progress | None = None) -> tuple[str, RunCounters]:
        run_id = start_run(parts.engine, days_back)
        if progress is None:
            return run_id, reconciler.run(run_id, days_back)
        return run_id, reconciler.run(run_id, days_back, progress)

    return run


@pytest.fixture
def project(clean_db: Engine) -> str:
    return create_project(clean_db, PROJECT)
