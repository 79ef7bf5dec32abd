import pytest


@pytest.fixture(autouse=True)
def _empty_stores(clean_db, clean_redis):
    """Each database-tier test starts with empty tables and an empty queue."""
