"""`billing projects …` and `billing apps …`."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.context import parts
from cli.options import AsJson, Project, sub_app
from cli.output import print_json, print_table
from shared import tenants
from shared.operations import apps as project_apps
from shared.operations.grace import change_grace

ProjectId = Annotated[
    str, typer.Argument(metavar="ID", help="The project's id, e.g. acme.", show_default=False)
]


def register(app: typer.Typer) -> None:
    projects = sub_app("projects", "Create, list and configure projects.")
    projects.command(
        "create", help="Create a project (its id matches ^[a-z0-9][a-z0-9_-]{0,63}$)."
    )(projects_create)
    projects.command("list", help="List the projects.")(projects_list)
    projects.command(
        "default",
        help="Make ID the project of every object whose metadata names no project_id. At most "
        "one project is the default. Objects processed from now on that name no project_id "
        "belong to it (with the user id read from its user keys); objects already stored keep "
        "their owner until an import, a resync or their next event.",
    )(projects_default)
    projects.command(
        "user-keys",
        help="Set the metadata keys read, in order, for the user id (default: user_id). For "
        "accounts whose objects carry the app's user id under their own key (userId, "
        "supabase_user_id, …). A Checkout Session's client_reference_id still stands in when "
        "none of the keys is set.",
    )(projects_user_keys)
    projects.command(
        "grace",
        help="Set how long a past_due subscription keeps granting (default: unlimited). With N "
        "days, a past_due subscription grants for N days after it became past_due and then not, "
        "until it pays again; its expires_at shows the earlier of its period end and the grace "
        "end. The project's users are recomputed at once.",
    )(projects_grace)
    app.add_typer(projects)

    apps = sub_app("apps", "Create, list and revoke the API keys of a project's apps.")
    apps.command("create", help="Create an app; prints its API key once, alone on the last line.")(
        apps_create
    )
    apps.command("list", help="List a project's apps (keys are never shown).")(apps_list)
    apps.command("revoke", help="Revoke an app's key at once.")(apps_revoke)
    app.add_typer(apps)


def projects_create(
    project_id: Annotated[
        str,
        typer.Argument(metavar="ID", help="The new project's id, e.g. acme.", show_default=False),
    ],
    name: Annotated[
        str | None, typer.Option(help="The display name (default: the id).", show_default=False)
    ] = None,
) -> int:
    tenants.validate_project_id(project_id)
    with parts().engine.begin() as tx:
        tenants.create_project(tx, project_id, name)
    print(f"created project {project_id}")
    return 0


def projects_list(as_json: AsJson = False) -> int:
    rows = project_apps.projects(parts().engine)
    if as_json:
        listed = [
            {"id": row.id, "name": row.name, "active_apps": row.active_apps,
             "created_at": row.created_at.isoformat(), "is_default": row.is_default,
             "user_id_keys": list(row.user_id_keys)}
            for row in rows
        ]  # fmt: skip
        print_json({"projects": listed, "count": len(listed)})
        return 0
    print_table(
        ["ID", "NAME", "APPS", "CREATED", "DEFAULT", "USER KEYS"],
        [
            [row.id, row.name, row.active_apps, f"{row.created_at:%Y-%m-%d %H:%M}",
             "yes" if row.is_default else "", ",".join(row.user_id_keys)]
            for row in rows
        ],
        right=["APPS"],
    )  # fmt: skip
    return 0


def projects_default(
    project_id: Annotated[
        str | None,
        typer.Argument(metavar="[ID]", help="The project's id, e.g. acme.", show_default=False),
    ] = None,
    none: Annotated[bool, typer.Option("--none", help="Leave no default project.")] = False,
) -> int:
    if (project_id is None) == (not none):
        raise typer.BadParameter("give either a project ID or --none", param_hint="ID/--none")
    chosen = None if none else tenants.validate_project_id(project_id or "")
    with parts().engine.begin() as tx:
        tenants.set_default_project(tx, chosen)
    print(f"default project: {chosen}" if chosen else "no default project")
    return 0


def projects_user_keys(
    project_id: ProjectId,
    keys: Annotated[
        list[str],
        typer.Argument(metavar="KEY", help="A metadata key, e.g. userId.", show_default=False),
    ],
) -> int:
    tenants.validate_project_id(project_id)
    with parts().engine.begin() as tx:
        tenants.set_user_id_keys(tx, project_id, keys)
    print(f"project {project_id} reads the user id from metadata: {', '.join(keys)}")
    return 0


def projects_grace(
    project_id: ProjectId,
    past_due_days: Annotated[
        str,
        typer.Option(
            metavar="N|unlimited",
            help="The grace in days, or unlimited.",
            show_default=False,
        ),
    ],
) -> int:
    tenants.validate_project_id(project_id)
    raw = past_due_days.strip().lower()
    if raw == "unlimited":
        days = None
    elif raw.isdigit():
        days = int(raw)
    else:
        raise tenants.TenantError(
            f"--past-due-days must be a number of days or unlimited, got {raw!r}"
        )
    recomputed = change_grace(parts().uow, project_id, days)
    grace = "unlimited" if days is None else f"{days} day(s)"
    print(f"project {project_id}: past_due grace {grace}; recomputed {recomputed} user(s)")
    return 0


def apps_create(
    project: Project,
    name: Annotated[
        str | None, typer.Option(help="The app's display name.", show_default=False)
    ] = None,
) -> int:
    tenants.validate_project_id(project)
    with parts().engine.begin() as tx:
        app, key = tenants.create_app(tx, project, name)
    print(f"created app {app.id} ({app.name}) for project {app.project_id}")
    print("API key (shown once; only its hash is stored):")
    print(key)
    return 0


def apps_list(project: Project, as_json: AsJson = False) -> int:
    tenants.validate_project_id(project)
    apps = project_apps.apps_of(parts().engine, project)
    if as_json:
        listed = [
            {"id": app.id, "project_id": app.project_id, "name": app.name,
             "key_prefix": app.key_prefix, "active": app.active,
             "created_at": app.created_at.isoformat(),
             "revoked_at": app.revoked_at.isoformat() if app.revoked_at else None}
            for app in apps
        ]  # fmt: skip
        print_json({"apps": listed, "count": len(listed)})
        return 0
    print_table(
        ["ID", "NAME", "KEY", "STATUS", "CREATED"],
        [
            [app.id, app.name, app.key_prefix + "…", "active" if app.active else "revoked",
             f"{app.created_at:%Y-%m-%d %H:%M}"]
            for app in apps
        ],
    )  # fmt: skip
    return 0


def apps_revoke(
    app_id: Annotated[
        str, typer.Argument(help="The app's id, e.g. app_0123abcd….", show_default=False)
    ],
) -> int:
    app = project_apps.revoke(parts().engine, app_id)
    print(f"revoked app {app.id} of project {app.project_id}")
    return 0
