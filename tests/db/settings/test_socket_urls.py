"""libpq's Unix-socket URL forms reach the real PostgreSQL through both drivers, and a
unix:// REDIS_URL reaches a Redis listening on a socket."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import redis
from sqlalchemy import text

from shared.db.engine import create_async_pool, create_sync_engine
from shared.redis_client import create_redis
from shared.settings import load_settings
from tests.support.stores import TEST_DATABASE_URL

SOCKET_DIR = "/var/run/postgresql"
needs_socket = pytest.mark.skipif(
    not Path(SOCKET_DIR).is_dir() or not any(Path(SOCKET_DIR).glob(".s.PGSQL.*")),
    reason=f"no PostgreSQL socket in {SOCKET_DIR}",
)


def _socket_forms() -> list[str]:
    parts = urlsplit(TEST_DATABASE_URL)
    user, database = parts.username or "postgres", parts.path.lstrip("/")
    port = parts.port or 5432
    return [
        f"postgresql://{user}@/{database}?host={SOCKET_DIR}&port={port}",
        f"postgres://{user}@{quote(SOCKET_DIR, safe='')}:{port}/{database}",
    ]


@needs_socket
@pytest.mark.parametrize("url", _socket_forms())
def test_socket_database_urls_connect_with_both_drivers(url):
    settings = load_settings({"DATABASE_URL": url})
    engine = create_sync_engine(settings, pool_size=1)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT inet_server_addr()")).scalar() is None  # a socket
    finally:
        engine.dispose()

    async def ask() -> object:
        pool = await create_async_pool(settings)
        try:
            return await pool.fetchval("SELECT inet_server_addr()")
        finally:
            await pool.close()

    assert asyncio.run(ask()) is None


def test_a_unix_socket_redis_url_reaches_redis(tmp_path):
    sock = tmp_path / "redis.sock"
    server = subprocess.Popen(
        ["redis-server", "--port", "0", "--unixsocket", str(sock), "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        client = create_redis(load_settings({"REDIS_URL": f"unix://{sock}?db=3"}))
        client.set("k", "v")
        assert client.get("k") == b"v"
        assert client.connection_pool.connection_kwargs["db"] == 3
        client.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    with pytest.raises(redis.exceptions.ConnectionError):
        create_redis(load_settings({"REDIS_URL": f"unix://{sock}"})).ping()
