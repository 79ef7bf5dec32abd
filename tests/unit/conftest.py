"""The pure tier: no PostgreSQL, Redis or service process (fakeredis is fine). A unit test that
asks for a fixture of the stores fails, pointing at the tier where it belongs."""

import pytest

STORE_FIXTURES = {
    "db_engine", "redis_client", "clean_db", "clean_redis", "project", "worker_engine",
    "worker_cache", "inbox", "ingress_factory", "ingress", "web_server", "worker_process",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _no_stores(request: pytest.FixtureRequest) -> None:
    used = sorted(STORE_FIXTURES & set(request.fixturenames))
    assert not used, f"{request.node.nodeid} uses {used}: move it to tests/db or tests/e2e"
