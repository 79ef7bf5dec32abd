"""Engines: psycopg (sync) for workers, CLI and Alembic; asyncpg for the ingress."""

from __future__ import annotations

import asyncpg
from sqlalchemy import Engine, create_engine

from shared.settings import Settings

# No JIT compilation: our statements are short, but a few (the metrics' movements) carry plan
# cost estimates high enough for PostgreSQL to spend 0.7 s compiling a 50 ms query.
SESSION_SETTINGS = {"jit": "off"}


def create_sync_engine(settings: Settings, pool_size: int = 5) -> Engine:
    return create_engine(
        settings.sync_database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        # No server-side prepared statements: their generic plans, chosen while a table was
        # small (an import's first pages), would scan it once it has grown.
        connect_args={
            "connect_timeout": 5,
            "prepare_threshold": None,
            "options": " ".join(f"-c {name}={value}" for name, value in SESSION_SETTINGS.items()),
        },
    )


async def create_async_pool(settings: Settings) -> asyncpg.Pool:
    """The ingress pool: raw asyncpg, so the webhook path builds no ORM objects."""
    pool = await asyncpg.create_pool(
        settings.asyncpg_dsn,
        min_size=0,
        max_size=10,
        timeout=5,
        command_timeout=10,
        reset=_keep_session,
        server_settings=SESSION_SETTINGS,
    )
    assert pool is not None
    return pool


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The ingress sets no session state (no LISTEN, advisory locks or SET), so the default
    reset, a second round trip on every release, buys nothing on the webhook path. asyncpg
    still rolls back any open transaction before calling this."""
