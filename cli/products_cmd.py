"""`billing products map|unmap|list`: which entitlements a Stripe product grants in a project."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.context import parts
from cli.options import AsJson, Product, Project, sub_app
from cli.output import print_json, print_table
from shared.operations.products import map_product, product_mapping, unmap_product
from shared.tenants import validate_project_id


def register(app: typer.Typer) -> None:
    group = sub_app("products", "Map Stripe products to entitlement keys.")
    group.command(
        "map",
        help="Grant entitlement KEY for product prod_… in a project (a product may map to several "
        "keys); the project's users are recomputed at once.",
    )(products_map)
    group.command(
        "unmap",
        help="Stop granting KEY (or, without --entitlement, every key) for product prod_…; the "
        "project's users are recomputed at once.",
    )(products_unmap)
    group.command("list", help="List the project's product → entitlement mapping.")(products_list)
    app.add_typer(group)


def products_map(
    project: Project,
    product: Product,
    entitlement: Annotated[
        str, typer.Option(help="The entitlement key to grant, e.g. pro.", show_default=False)
    ],
) -> int:
    validate_project_id(project)
    recomputed = map_product(parts().uow, project, product, entitlement)
    print(
        f"product {product} grants {entitlement!r} in project {project}; "
        f"recomputed {recomputed} user(s)"
    )
    return 0


def products_unmap(
    project: Project,
    product: Product,
    entitlement: Annotated[
        str | None,
        typer.Option(
            help="The entitlement key to stop granting; all of the product's when left out."
        ),
    ] = None,
) -> int:
    validate_project_id(project)
    removed, recomputed = unmap_product(parts().uow, project, product, entitlement)
    print(
        f"product {product} no longer grants {entitlement or 'any key'!r} in project "
        f"{project} ({removed} mapping(s) removed); recomputed {recomputed} user(s)"
    )
    return 0


def products_list(project: Project, as_json: AsJson = False) -> int:
    mapping = product_mapping(parts().engine, project)
    if as_json:
        rows = [{"product_id": product, "entitlement_key": key} for product, key in mapping]
        print_json({"project_id": project, "mapping": rows})
        return 0
    print_table(["PRODUCT", "ENTITLEMENT"], mapping)
    return 0
