"""Fixtures of the reconciliation tests: the worker's parts built by its own composition root with
STRIPE_API_BASE pointing at the fake Stripe API (`fake_stripe`, tests/conftest.py), and a run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.db.reconciliation_runs import RunCounters
from shared.settings import Settings
from tests.fakes.stripe_api import FakeStripe
from tests.support.state import RunFn, start_run
from tests.support.stripe_account import fake_stripe_settings
from workers.bootstrap import WorkerParts, build_worker_parts
from workers.reconciliation.runner import Progress, Reconciler


@pytest.fixture
def recon_settings(fake_stripe: FakeStripe) -> Settings:
    return fake_stripe_settings(fake_stripe)


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
