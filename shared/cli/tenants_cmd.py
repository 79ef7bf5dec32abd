"""`billing projects …` and `billing apps …`."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg

from shared import tenants
from shared.settings import load_settings

T = TypeVar("T")


def with_connection(work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """Run one async database job with a fresh connection (CLI commands are one-shot)."""

    async def run() -> T:
        conn = await asyncpg.connect(load_settings().asyncpg_dsn)
        try:
            return await work(conn)
        finally:
            await conn.close()

    return asyncio.run(run())


def register(commands: Any) -> None:
    projects = commands.add_parser("projects", help="create and list projects")
    sub = projects.add_subparsers(dest="action", required=True)
    p = sub.add_parser("create", help="create a project (id: ^[a-z0-9][a-z0-9_-]{0,63}$)")
    p.add_argument("id", help="project id, e.g. acme")
    p.add_argument("--name", help="display name (default: the id)")
    p.set_defaults(run=projects_create)
    p = sub.add_parser("list", help="list projects")
    p.set_defaults(run=projects_list)

    apps = commands.add_parser("apps", help="API keys of a project's apps")
    sub = apps.add_subparsers(dest="action", required=True)
    p = sub.add_parser("create", help="create an app; prints its API key once, on the last line")
    p.add_argument("--project", required=True, help="project id")
    p.add_argument("--name", help="display name")
    p.set_defaults(run=apps_create)
    p = sub.add_parser("list", help="list a project's apps (keys are never shown)")
    p.add_argument("--project", required=True, help="project id")
    p.set_defaults(run=apps_list)
    p = sub.add_parser("revoke", help="revoke an app's key at once")
    p.add_argument("app_id", help="app id, e.g. app_0123abcd…")
    p.set_defaults(run=apps_revoke)


def projects_create(args: argparse.Namespace) -> int:
    with_connection(lambda conn: tenants.create_project(conn, args.id, args.name))
    print(f"created project {args.id}")
    return 0


def projects_list(args: argparse.Namespace) -> int:
    rows = with_connection(tenants.list_projects)
    print(f"{'ID':<24} {'NAME':<24} {'APPS':>4}  CREATED")
    for row in rows:
        print(
            f"{row['id']:<24} {row['name']:<24} {row['active_apps']:>4}  "
            f"{row['created_at']:%Y-%m-%d %H:%M}"
        )
    return 0


def apps_create(args: argparse.Namespace) -> int:
    app, key = with_connection(lambda conn: tenants.create_app(conn, args.project, args.name))
    print(f"created app {app.id} ({app.name}) for project {app.project_id}")
    print("API key (shown once; only its hash is stored):")
    print(key)
    return 0


def apps_list(args: argparse.Namespace) -> int:
    apps = with_connection(lambda conn: tenants.list_apps(conn, args.project))
    print(f"{'ID':<22} {'NAME':<20} {'KEY':<12} {'STATUS':<8} CREATED")
    for app in apps:
        status = "active" if app.active else "revoked"
        print(
            f"{app.id:<22} {app.name:<20} {app.key_prefix + '…':<12} {status:<8} "
            f"{app.created_at:%Y-%m-%d %H:%M}"
        )
    return 0


def apps_revoke(args: argparse.Namespace) -> int:
    app = with_connection(lambda conn: tenants.revoke_app(conn, args.app_id))
    print(f"revoked app {app.id} of project {app.project_id}")
    return 0
