"""The database tier: the real PostgreSQL and Redis, the app and the inbox in-process."""

import pytest
import redis
from sqlalchemy import Engine


@pytest.fixture(autouse=True)
def _empty_stores(clean_db: Engine, clean_redis: redis.Redis) -> None:
    """Each database-tier test starts with empty tables and an empty queue."""
