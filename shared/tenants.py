"""Every statement on `projects` and `apps`: the operators' commands and the read API's key
look-up (the only one on asyncpg: it runs on every app request)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import Connection, Row, text

from shared.api_keys import display_prefix, generate_api_key, hash_api_key
from shared.db.sql import Statement
from shared.db.transaction_scope import transaction_scope

PROJECT_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# Stripe's metadata keys: at most 40 characters, no square brackets.
METADATA_KEY_PATTERN = re.compile(r"^[^\[\]\s]{1,40}$")

INSERT_PROJECT = Statement(
    """INSERT INTO projects (id, name) VALUES (:id, :name)
       ON CONFLICT (id) DO NOTHING RETURNING 1"""
)
PROJECT_EXISTS = Statement("SELECT 1 FROM projects WHERE id = :id")
LIST_PROJECTS = Statement(
    """SELECT p.id, p.name, p.created_at, p.is_default, p.user_id_keys,
              count(a.id) FILTER (WHERE a.active) AS active_apps
       FROM projects p LEFT JOIN apps a ON a.project_id = p.id
       GROUP BY p.id ORDER BY p.id"""
)
INSERT_APP = Statement(
    """INSERT INTO apps (id, project_id, name, key_hash, key_prefix)
       VALUES (:id, :project_id, :name, :key_hash, :key_prefix) RETURNING *"""
)
LIST_APPS = Statement("SELECT * FROM apps WHERE project_id = :project_id ORDER BY created_at, id")
REVOKE_APP = Statement(
    """UPDATE apps SET active = false, revoked_at = coalesce(revoked_at, now())
       WHERE id = :id RETURNING *"""
)
# The named project, or the default one when none is named.
PROJECT_CONFIG = Statement(
    """SELECT id, user_id_keys FROM projects
       WHERE id = coalesce(CAST(:id AS text), (SELECT id FROM projects WHERE is_default))"""
)
# Two statements: the unique index on the default is checked row by row, so the old default
# must be cleared before the new one is set.
CLEAR_DEFAULT = Statement("UPDATE projects SET is_default = false WHERE is_default")
SET_DEFAULT = Statement("UPDATE projects SET is_default = true WHERE id = :id")
SET_USER_ID_KEYS = Statement("UPDATE projects SET user_id_keys = :keys WHERE id = :id RETURNING id")
APP_BY_KEY_HASH = Statement(
    "SELECT id, project_id, active, key_hash FROM apps WHERE key_hash = :key_hash"
)


class TenantError(ValueError):
    """An operator's request that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class ProjectConfig:
    """What attribution needs of a project."""

    id: str
    user_id_keys: tuple[str, ...]


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


def create_project(tx: Connection, project_id: str, name: str | None) -> None:
    _forget_configs(tx)
    validate_project_id(project_id)
    params = {"id": project_id, "name": name or project_id}
    if tx.execute(INSERT_PROJECT.sync, params).first() is None:
        raise TenantError(f"project {project_id!r} already exists")


def project_exists(tx: Connection, project_id: str) -> bool:
    return tx.execute(PROJECT_EXISTS.sync, {"id": project_id}).first() is not None


def _forget_configs(tx: Connection) -> None:
    scope = transaction_scope(tx)
    for key in [k for k in scope if isinstance(k, tuple) and k[0] == "project_config"]:
        del scope[key]


def project_config(tx: Connection, project_id: str | None) -> ProjectConfig | None:
    """The named project's configuration; with None, the default project's (if there is one).
    Read once per transaction (a batch of events names the same few projects again and again)."""
    read = transaction_scope(tx)
    key = ("project_config", project_id)
    if key not in read:
        row = tx.execute(PROJECT_CONFIG.sync, {"id": project_id}).first()
        read[key] = ProjectConfig(row.id, tuple(row.user_id_keys)) if row is not None else None
    config: ProjectConfig | None = read[key]
    return config


def set_default_project(tx: Connection, project_id: str | None) -> None:
    """Make `project_id` the only default project; None: no default any more."""
    _forget_configs(tx)
    if project_id is not None:
        require_project(tx, project_id)
    tx.execute(CLEAR_DEFAULT.sync)
    if project_id is not None:
        tx.execute(SET_DEFAULT.sync, {"id": project_id})


def set_user_id_keys(tx: Connection, project_id: str, keys: Sequence[str]) -> None:
    _forget_configs(tx)
    require_project(tx, project_id)
    bad = [key for key in keys if not METADATA_KEY_PATTERN.fullmatch(key)]
    if not keys or bad:
        raise TenantError(
            f"invalid metadata key(s) {bad or list(keys)!r}: use 1-40 characters, no spaces or "
            "brackets (Stripe's own limit for metadata keys)"
        )
    tx.execute(SET_USER_ID_KEYS.sync, {"id": project_id, "keys": list(dict.fromkeys(keys))})


MAX_GRACE_DAYS = 3650


def set_grace(tx: Connection, project_id: str, past_due_days: int | None) -> None:
    """None: a past_due subscription grants until Stripe ends it (CONTRACT section 3)."""
    require_project(tx, project_id)
    if past_due_days is not None and not 0 <= past_due_days <= MAX_GRACE_DAYS:
        raise TenantError(f"--past-due-days must be between 0 and {MAX_GRACE_DAYS}, or unlimited")
    tx.execute(
        text("UPDATE projects SET grace_past_due_days = :days WHERE id = :id"),
        {"id": project_id, "days": past_due_days},
    )


def list_projects(tx: Connection) -> list[Row[Any]]:
    return list(tx.execute(LIST_PROJECTS.sync))


def require_project(tx: Connection, project_id: str) -> None:
    validate_project_id(project_id)
    if not project_exists(tx, project_id):
        raise TenantError(f"no project {project_id!r}; create it with `billing projects create`")


def create_app(tx: Connection, project_id: str, name: str | None) -> tuple[AppRecord, str]:
    """Returns the new app and its API key, which is never retrievable again."""
    require_project(tx, project_id)
    key = generate_api_key()
    app_id = "app_" + secrets.token_hex(8)
    params = {
        "id": app_id,
        "project_id": project_id,
        "name": name or app_id,
        "key_hash": hash_api_key(key),
        "key_prefix": display_prefix(key),
    }
    return _app(tx.execute(INSERT_APP.sync, params).one()), key


def list_apps(tx: Connection, project_id: str) -> list[AppRecord]:
    require_project(tx, project_id)
    return [_app(row) for row in tx.execute(LIST_APPS.sync, {"project_id": project_id})]


def revoke_app(tx: Connection, app_id: str) -> AppRecord:
    row = tx.execute(REVOKE_APP.sync, {"id": app_id}).first()
    if row is None:
        raise TenantError(f"no app {app_id!r}")
    return _app(row)


async def find_app_by_key(pool: asyncpg.Pool, key: str) -> asyncpg.Record | None:
    """Look an app up by its key's hash; the stored hash is the only copy there is."""
    params = {"key_hash": hash_api_key(key)}
    record: asyncpg.Record | None = await pool.fetchrow(
        APP_BY_KEY_HASH.asyncpg_sql, *APP_BY_KEY_HASH.asyncpg_args(params)
    )
    return record


def _app(row: Row[Any]) -> AppRecord:
    return AppRecord(
        id=row.id,
        project_id=row.project_id,
        name=row.name,
        key_prefix=row.key_prefix,
        active=row.active,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
