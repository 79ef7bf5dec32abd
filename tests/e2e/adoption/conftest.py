"""Adopting an existing Stripe account over real processes: `billing import` killed and resumed,
the admin API served by `billing serve` with a real `billing worker`, and the CLI. The fake Stripe
API (real HTTP on loopback) stands for the account; each test starts with empty stores."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy import Engine

from tests.fakes.fixtures import fake_stripe  # noqa: F401 - the fixture, for this directory


@pytest.fixture(autouse=True)
def _empty_stores(clean_db: Engine, clean_redis: redis.Redis) -> None:
    """Every table truncated and the Redis test db flushed before each test."""


@pytest.fixture
def engine(clean_db: Engine) -> Engine:
    """The test database, emptied."""
    return clean_db
