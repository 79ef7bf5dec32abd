"""`billing endpoints …` and `billing deliveries resend`: telling apps when access changes."""

from __future__ import annotations

import argparse
import json
from typing import Any

from cli.context import parts
from shared.operations import endpoints
from shared.statuses import DeliveryStatus
from shared.tenants import validate_project_id


def register(commands: Any) -> None:
    group = commands.add_parser(
        "endpoints", help="where a project's app hears about its users' access (webhooks)"
    )
    sub = group.add_subparsers(dest="action", required=True)
    p = sub.add_parser(
        "add",
        help="add an https:// endpoint; prints its id and, alone on the last line, its secret",
        description="Every change of a user's entitlements in the project is posted to the URL "
        "as an `entitlements.updated` message, signed as Standard Webhooks with the secret "
        "printed here once (only https:// unless WEBHOOK_ENDPOINTS_ALLOW_HTTP=true).",
    )
    p.add_argument("--project", required=True, help="project id")
    p.add_argument("--url", required=True, help="https://… the app's receiver")
    p.set_defaults(run=endpoints_add)
    p = sub.add_parser(
        "list",
        help="a project's endpoints (secrets are never shown again)",
        description="a project's endpoints (secrets are never shown again)",
    )
    p.add_argument("--project", required=True, help="project id")
    p.set_defaults(run=endpoints_list)
    p = sub.add_parser(
        "remove",
        help="stop sending to an endpoint (its deliveries stay listed)",
        description="stop sending to an endpoint (its deliveries stay listed)",
    )
    p.add_argument("endpoint_id", help="endpoint id, we_…")
    p.set_defaults(run=endpoints_remove)
    p = sub.add_parser(
        "test",
        help="send a `webhook.test` message to one endpoint",
        description="send a `webhook.test` message to one endpoint",
    )
    p.add_argument("endpoint_id", help="endpoint id, we_…")
    p.set_defaults(run=endpoints_test)
    p = sub.add_parser(
        "deliveries",
        help="an endpoint's deliveries, newest first",
        description="an endpoint's deliveries, newest first",
    )
    p.add_argument("endpoint_id", help="endpoint id, we_…")
    p.add_argument("--status", choices=[s.value for s in DeliveryStatus], help="only this status")
    p.add_argument("--limit", type=int, default=50, help="at most N (default 50)")
    p.set_defaults(run=endpoints_deliveries)

    group = commands.add_parser("deliveries", help="outgoing webhook deliveries")
    sub = group.add_subparsers(dest="action", required=True)
    p = sub.add_parser(
        "resend",
        help="send a delivery again now, with a fresh retry schedule",
        description="send a delivery again now, with a fresh retry schedule",
    )
    p.add_argument("delivery_id", help="delivery id, dlv_…")
    p.set_defaults(run=deliveries_resend)


def endpoints_add(args: argparse.Namespace) -> int:
    validate_project_id(args.project)
    allow_http = parts().settings.webhook_endpoints_allow_http
    made = endpoints.add(parts().engine, args.project, args.url, allow_http)
    print(f"added endpoint {made.id} for project {made.project_id}: {made.url}")
    print("signing secret (shown once; verify messages with a Standard Webhooks library):")
    print(made.secret)
    return 0


def endpoints_list(args: argparse.Namespace) -> int:
    validate_project_id(args.project)
    print(f"{'ID':<20} {'CREATED':<21} URL")
    for endpoint in endpoints.of_project(parts().engine, args.project):
        print(f"{endpoint.id:<20} {endpoint.created_at:%Y-%m-%d %H:%M:%S}   {endpoint.url}")
    return 0


def endpoints_remove(args: argparse.Namespace) -> int:
    endpoints.remove(parts().engine, args.endpoint_id)
    print(f"removed endpoint {args.endpoint_id}")
    return 0


def endpoints_test(args: argparse.Namespace) -> int:
    delivery_id = endpoints.send_test(parts().engine, parts().send_deliveries, args.endpoint_id)
    print(f"queued webhook.test as delivery {delivery_id}; a worker sends it")
    return 0


def endpoints_deliveries(args: argparse.Namespace) -> int:
    status = DeliveryStatus(args.status) if args.status else None
    found = endpoints.deliveries(parts().engine, args.endpoint_id, status, args.limit)
    print(json.dumps({"deliveries": found}, indent=2))
    return 0


def deliveries_resend(args: argparse.Namespace) -> int:
    endpoints.resend(parts().engine, parts().send_deliveries, args.delivery_id)
    print(f"delivery {args.delivery_id} is due again; a worker sends it")
    return 0
