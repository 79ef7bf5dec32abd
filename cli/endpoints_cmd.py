"""`billing endpoints …` and `billing deliveries resend`: telling apps when access changes."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.context import parts
from cli.options import AsJson, Limit, Project, sub_app
from cli.output import print_json, print_table
from shared.operations import endpoints
from shared.statuses import DeliveryStatus
from shared.tenants import validate_project_id

EndpointId = Annotated[str, typer.Argument(help="The endpoint's id, we_….", show_default=False)]


def register(app: typer.Typer) -> None:
    group = sub_app(
        "endpoints", "Manage where a project's app hears about its users' access (webhooks)."
    )
    group.command(
        "add",
        help="Add an https:// endpoint; prints its id and, alone on the last line, its secret. "
        "Every change of a user's entitlements in the project is posted to the URL as an "
        "`entitlements.updated` message, signed as Standard Webhooks with the secret printed "
        "here once (only https:// unless WEBHOOK_ENDPOINTS_ALLOW_HTTP=true).",
    )(endpoints_add)
    group.command("list", help="List a project's endpoints (secrets are never shown again).")(
        endpoints_list
    )
    group.command("remove", help="Stop sending to an endpoint (its deliveries stay listed).")(
        endpoints_remove
    )
    group.command("test", help="Send a `webhook.test` message to one endpoint.")(endpoints_test)
    group.command("deliveries", help="List an endpoint's deliveries, newest first, as JSON.")(
        endpoints_deliveries
    )
    app.add_typer(group)
    deliveries = sub_app("deliveries", "Act on outgoing webhook deliveries.")
    deliveries.command("resend", help="Send a delivery again now, with a fresh retry schedule.")(
        deliveries_resend
    )
    app.add_typer(deliveries)


def endpoints_add(
    project: Project,
    url: Annotated[str, typer.Option(help="The app's receiver, https://….", show_default=False)],
) -> int:
    validate_project_id(project)
    allow_http = parts().settings.webhook_endpoints_allow_http
    made = endpoints.add(parts().engine, project, url, allow_http)
    print(f"added endpoint {made.id} for project {made.project_id}: {made.url}")
    print("signing secret (shown once; verify messages with a Standard Webhooks library):")
    print(made.secret)
    return 0


def endpoints_list(project: Project, as_json: AsJson = False) -> int:
    validate_project_id(project)
    found = endpoints.of_project(parts().engine, project)
    if as_json:
        print_json({"endpoints": [e.as_json() for e in found], "count": len(found)})
        return 0
    print_table(
        ["ID", "CREATED", "URL"],
        [[e.id, f"{e.created_at:%Y-%m-%d %H:%M:%S}", e.url] for e in found],
    )
    return 0


def endpoints_remove(endpoint_id: EndpointId) -> int:
    endpoints.remove(parts().engine, endpoint_id)
    print(f"removed endpoint {endpoint_id}")
    return 0


def endpoints_test(endpoint_id: EndpointId) -> int:
    delivery_id = endpoints.send_test(parts().engine, parts().send_deliveries, endpoint_id)
    print(f"queued webhook.test as delivery {delivery_id}; a worker sends it")
    return 0


def endpoints_deliveries(
    endpoint_id: EndpointId,
    status: Annotated[
        DeliveryStatus | None, typer.Option(help="Show only deliveries in this status.")
    ] = None,
    limit: Limit = 50,
    as_json: AsJson = False,
) -> int:
    """Always JSON: `--json` is accepted so that every listing takes it."""
    found = endpoints.deliveries(parts().engine, endpoint_id, status, limit)
    print_json({"deliveries": found, "count": len(found)})
    return 0


def deliveries_resend(
    delivery_id: Annotated[
        str, typer.Argument(help="The delivery's id, dlv_….", show_default=False)
    ],
) -> int:
    endpoints.resend(parts().engine, parts().send_deliveries, delivery_id)
    print(f"delivery {delivery_id} is due again; a worker sends it")
    return 0
