"""`billing projects …` and `billing apps …`."""

from __future__ import annotations

import argparse
from typing import Any

from cli.context import parts
from shared import tenants
from shared.operations import apps
from shared.operations.grace import change_grace


def register(commands: Any) -> None:
    projects = commands.add_parser("projects", help="create and list projects")
    sub = projects.add_subparsers(dest="action", required=True)
    p = sub.add_parser("create", help="create a project (id: ^[a-z0-9][a-z0-9_-]{0,63}$)")
    p.add_argument("id", help="project id, e.g. acme")
    p.add_argument("--name", help="display name (default: the id)")
    p.set_defaults(run=projects_create)
    p = sub.add_parser("list", help="list projects")
    p.set_defaults(run=projects_list)
    p = sub.add_parser(
        "default",
        help="make ID the project of every object whose metadata names no project_id",
        description="At most one project is the default. Objects processed from now on that name "
        "no project_id belong to it (with the user id read from its user keys); objects already "
        "stored keep their owner until an import, a resync or their next event.",
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", help="project id")
    which.add_argument("--none", action="store_true", help="no default project any more")
    p.set_defaults(run=projects_default)
    p = sub.add_parser(
        "user-keys",
        help="the metadata keys read, in order, for the user id (default: user_id)",
        description="For accounts whose objects carry the app's user id under their own key "
        "(userId, supabase_user_id, …). A Checkout Session's client_reference_id still stands "
        "in when none of the keys is set.",
    )
    p.add_argument("id", help="project id")
    p.add_argument("keys", nargs="+", metavar="KEY", help="metadata key, e.g. userId")
    p.set_defaults(run=projects_user_keys)
    p = sub.add_parser(
        "grace",
        help="how long a past_due subscription keeps granting (default: unlimited)",
        description="With N days, a past_due subscription grants for N days after it became "
        "past_due and then not, until it pays again; its expires_at shows the earlier of its "
        "period end and the grace end. The project's users are recomputed at once.",
    )
    p.add_argument("id", help="project id")
    p.add_argument(
        "--past-due-days", required=True, metavar="N|unlimited", help="days, or unlimited"
    )
    p.set_defaults(run=projects_grace)

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
    tenants.validate_project_id(args.id)
    with parts().engine.begin() as tx:
        tenants.create_project(tx, args.id, args.name)
    print(f"created project {args.id}")
    return 0


def projects_list(args: argparse.Namespace) -> int:
    rows = apps.projects(parts().engine)
    print(f"{'ID':<24} {'NAME':<24} {'APPS':>4}  {'CREATED':<16}  DEFAULT  USER KEYS")
    for row in rows:
        default = "yes" if row.is_default else ""
        print(
            f"{row.id:<24} {row.name:<24} {row.active_apps:>4}  "
            f"{row.created_at:%Y-%m-%d %H:%M}  {default:<7}  {','.join(row.user_id_keys)}"
        )
    return 0


def projects_default(args: argparse.Namespace) -> int:
    project_id = None if args.none else tenants.validate_project_id(args.id)
    with parts().engine.begin() as tx:
        tenants.set_default_project(tx, project_id)
    print(f"default project: {project_id}" if project_id else "no default project")
    return 0


def projects_user_keys(args: argparse.Namespace) -> int:
    tenants.validate_project_id(args.id)
    with parts().engine.begin() as tx:
        tenants.set_user_id_keys(tx, args.id, args.keys)
    print(f"project {args.id} reads the user id from metadata: {', '.join(args.keys)}")
    return 0


def projects_grace(args: argparse.Namespace) -> int:
    tenants.validate_project_id(args.id)
    raw = args.past_due_days.strip().lower()
    if raw == "unlimited":
        days = None
    elif raw.isdigit():
        days = int(raw)
    else:
        raise tenants.TenantError(
            f"--past-due-days must be a number of days or unlimited, got {raw!r}"
        )
    recomputed = change_grace(parts().uow, args.id, days)
    grace = "unlimited" if days is None else f"{days} day(s)"
    print(f"project {args.id}: past_due grace {grace}; recomputed {recomputed} user(s)")
    return 0


def apps_create(args: argparse.Namespace) -> int:
    tenants.validate_project_id(args.project)
    with parts().engine.begin() as tx:
        app, key = tenants.create_app(tx, args.project, args.name)
    print(f"created app {app.id} ({app.name}) for project {app.project_id}")
    print("API key (shown once; only its hash is stored):")
    print(key)
    return 0


def apps_list(args: argparse.Namespace) -> int:
    tenants.validate_project_id(args.project)
    project_apps = apps.apps_of(parts().engine, args.project)
    print(f"{'ID':<22} {'NAME':<20} {'KEY':<12} {'STATUS':<8} CREATED")
    for app in project_apps:
        status = "active" if app.active else "revoked"
        print(
            f"{app.id:<22} {app.name:<20} {app.key_prefix + '…':<12} {status:<8} "
            f"{app.created_at:%Y-%m-%d %H:%M}"
        )
    return 0


def apps_revoke(args: argparse.Namespace) -> int:
    app = apps.revoke(parts().engine, args.app_id)
    print(f"revoked app {app.id} of project {app.project_id}")
    return 0
