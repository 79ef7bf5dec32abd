"""`billing products map|unmap|list`: which entitlements a Stripe product grants in a project."""

from __future__ import annotations

import argparse
import json
from typing import Any

from cli.context import parts
from shared.operations.products import map_product, product_mapping, unmap_product
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
    p = sub.add_parser(
        "unmap",
        help="stop granting KEY (or, without --entitlement, every key) for product prod_…; the "
        "project's users are recomputed at once",
    )
    p.add_argument("--project", required=True, help="project id")
    p.add_argument("--product", required=True, help="Stripe product id, prod_…")
    p.add_argument("--entitlement", help="entitlement key; all of the product's when left out")
    p.set_defaults(run=products_unmap)
    p = sub.add_parser("list", help="the project's product → entitlement mapping")
    p.add_argument("--project", required=True, help="project id")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.set_defaults(run=products_list)


def products_map(args: argparse.Namespace) -> int:
    validate_project_id(args.project)
    recomputed = map_product(parts().uow, args.project, args.product, args.entitlement)
    print(
        f"product {args.product} grants {args.entitlement!r} in project {args.project}; "
        f"recomputed {recomputed} user(s)"
    )
    return 0


def products_unmap(args: argparse.Namespace) -> int:
    validate_project_id(args.project)
    removed, recomputed = unmap_product(parts().uow, args.project, args.product, args.entitlement)
    print(
        f"product {args.product} no longer grants {args.entitlement or 'any key'!r} in project "
        f"{args.project} ({removed} mapping(s) removed); recomputed {recomputed} user(s)"
    )
    return 0


def products_list(args: argparse.Namespace) -> int:
    mapping = product_mapping(parts().engine, args.project)
    if args.json:
        rows = [{"product_id": product, "entitlement_key": key} for product, key in mapping]
        print(json.dumps({"project_id": args.project, "mapping": rows}, indent=2))
        return 0
    width = max([len("PRODUCT"), *(len(product) for product, _ in mapping)])
    print(f"{'PRODUCT':<{width}}  ENTITLEMENT")
    for product, key in mapping:
        print(f"{product:<{width}}  {key}")
    return 0
