"""Adoption tests: a worker's parts against the test stores, the fake Stripe API over real HTTP,
and the project `acme` set up as a team adopting an existing account would."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import Engine

from shared import tenants
from shared.settings import Settings, load_settings
from tests.db.adoption.account import PROJECT
from tests.fakes.fixtures import fake_stripe  # noqa: F401 - the fixture
from tests.fakes.stripe_api import FakeStripe
from tests.support.stores import TEST_ENV
from workers.adoption.importer import Importer
from workers.bootstrap import WorkerParts, build_worker_parts


@pytest.fixture
def adoption_settings(fake_stripe: FakeStripe) -> Settings:  # noqa: F811
    return load_settings(
        {
            **TEST_ENV,
            "STRIPE_SECRET_KEY": fake_stripe.api_key,
            "STRIPE_API_BASE": fake_stripe.base_url,
            "STRIPE_API_RATE": "0",
        }
    )


@pytest.fixture
def parts(
    adoption_settings: Settings, clean_db: Engine, clean_redis: redis.Redis
) -> Iterator[WorkerParts]:
    built = build_worker_parts(adoption_settings)
    yield built
    built.engine.dispose()


@pytest.fixture
def acme(parts: WorkerParts) -> str:
    """`billing projects create acme`, `projects default acme`, `projects user-keys acme userId
    user_id`: the three commands of the README's adoption walk-through."""
    with parts.engine.begin() as tx:
        tenants.create_project(tx, PROJECT, None)
        tenants.set_default_project(tx, PROJECT)
        tenants.set_user_id_keys(tx, PROJECT, ["userId", "user_id"])
    return PROJECT


@pytest.fixture
def importer(parts: WorkerParts) -> Importer:
    assert parts.stripe_client is not None
    return Importer.from_parts(parts, parts.stripe_client)
