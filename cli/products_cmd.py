"""`billing products map`: which entitlement a Stripe product grants in a project."""

from __future__ import annotations

import argparse
from typing import Any

from cli.context import parts
from shared.operations.products import map_product
from shared.tenants import validate_project_id


def register(commands: Any) -> None:
    products = commands.add_parser("products", help="map Stripe products to entitlement keys")
    sub = products.add_subparsers(dest="action", required=True)
    p = sub.add_parser(
        "map",
        help="grant entitlement KEY for product prod_… in a project (a product may map to "
        "several keys); the project's users are recomputed at once",
    )
    p.add_argument("--project", required=True, help="project id")
    p.add_argument("--product", required=True, help="Stripe product id, prod_…")
    p.add_argument("--entitlement", required=True, help="entitlement key, e.g. pro")
    p.set_defaults(run=products_map)


def products_map(args: argparse.Namespace) -> int:
    validate_project_id(args.project)
    recomputed = map_product(parts().uow, args.project, args.product, args.entitlement)
    print(
        f"product {args.product} grants {args.entitlement!r} in project {args.project}; "
        f"recomputed {recomputed} user(s)"
    )
    return 0
