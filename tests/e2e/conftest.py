"""The end-to-end tier: real `billing serve`, `billing worker` and scheduler processes (and
localstripe) on loopback ports, against the real PostgreSQL and Redis."""

import pytest
import redis
from sqlalchemy import Engine


@pytest.fixture(autouse=True)
def _empty_stores(clean_db: Engine, clean_redis: redis.Redis) -> None:
    """Each end-to-end test starts with empty tables and an empty queue."""
