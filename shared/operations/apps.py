"""Projects and their apps as operators see them, for the CLI and the dashboard: list, revoke."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Row

from shared import tenants
from shared.tenants import AppRecord


def projects(engine: Engine) -> list[Row[Any]]:
    with engine.connect() as conn:
        return tenants.list_projects(conn)


def apps_of(engine: Engine, project_id: str) -> list[AppRecord]:
    with engine.connect() as conn:
        return tenants.list_apps(conn, project_id)


def revoke(engine: Engine, app_id: str) -> AppRecord:
    """The key stops working at once (the read API looks it up on every request)."""
    with engine.begin() as tx:
        return tenants.revoke_app(tx, app_id)
