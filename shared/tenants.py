"""Projects and their apps (API clients): used by the CLI and by request authentication."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from shared.api_keys import display_prefix, generate_api_key, hash_api_key

PROJECT_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class TenantError(ValueError):
    """An operator's request that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class AppRecord:
    id: str
    project_id: str
    name: str
    key_prefix: str
    active: bool
    created_at: datetime
    revoked_at: datetime | None


def validate_project_id(project_id: str) -> str:
    if not PROJECT_ID_PATTERN.fullmatch(project_id):
        raise TenantError(
            f"invalid project id {project_id!r}: use 1-64 of a-z 0-9 _ -, starting with a-z or 0-9"
        )
    return project_id


async def create_project(conn: asyncpg.Connection, project_id: str, name: str | None) -> None:
    validate_project_id(project_id)
    inserted = await conn.fetchval(
        "INSERT INTO projects (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING 1",
        project_id,
        name or project_id,
    )
    if inserted is None:
        raise TenantError(f"project {project_id!r} already exists")


async def list_projects(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT p.id, p.name, p.created_at,
                  count(a.id) FILTER (WHERE a.active) AS active_apps
           FROM projects p LEFT JOIN apps a ON a.project_id = p.id
           GROUP BY p.id ORDER BY p.id"""
    )


async def require_project(conn: asyncpg.Connection, project_id: str) -> None:
    validate_project_id(project_id)
    if await conn.fetchval("SELECT 1 FROM projects WHERE id = $1", project_id) is None:
        raise TenantError(f"no project {project_id!r}; create it with `billing projects create`")


async def create_app(
    conn: asyncpg.Connection, project_id: str, name: str | None
) -> tuple[AppRecord, str]:
    """Returns the new app and its API key, which is never retrievable again."""
    await require_project(conn, project_id)
    key = generate_api_key()
    app_id = "app_" + secrets.token_hex(8)
    row = await conn.fetchrow(
        """INSERT INTO apps (id, project_id, name, key_hash, key_prefix)
           VALUES ($1, $2, $3, $4, $5) RETURNING *""",
        app_id,
        project_id,
        name or app_id,
        hash_api_key(key),
        display_prefix(key),
    )
    return _app(row), key


async def list_apps(conn: asyncpg.Connection, project_id: str) -> list[AppRecord]:
    await require_project(conn, project_id)
    rows = await conn.fetch(
        "SELECT * FROM apps WHERE project_id = $1 ORDER BY created_at, id", project_id
    )
    return [_app(row) for row in rows]


async def revoke_app(conn: asyncpg.Connection, app_id: str) -> AppRecord:
    row = await conn.fetchrow(
        """UPDATE apps SET active = false, revoked_at = coalesce(revoked_at, now())
           WHERE id = $1 RETURNING *""",
        app_id,
    )
    if row is None:
        raise TenantError(f"no app {app_id!r}")
    return _app(row)


async def find_app_by_key(
    conn: asyncpg.Pool | asyncpg.Connection, key: str
) -> asyncpg.Record | None:
    """Look an app up by its key's hash; the stored hash is the only copy there is."""
    return await conn.fetchrow(
        "SELECT id, project_id, active, key_hash FROM apps WHERE key_hash = $1", hash_api_key(key)
    )


def _app(row: asyncpg.Record) -> AppRecord:
    return AppRecord(
        id=row["id"],
        project_id=row["project_id"],
        name=row["name"],
        key_prefix=row["key_prefix"],
        active=row["active"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )
