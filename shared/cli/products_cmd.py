"""`billing products map`: which entitlement a Stripe product grants in a project."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import text

from shared.db.engine import create_sync_engine
from shared.settings import load_settings
from shared.tenants import TenantError, validate_project_id

INSERT_MAPPING = text(
    """INSERT INTO product_entitlements (project_id, product_id, entitlement_key)
       VALUES (:p, :product, :key) ON CONFLICT DO NOTHING"""
)
# Every user with anything in the project: their entitlements depend on the mapping.
PROJECT_USERS = text(
    """SELECT project_id, user_id FROM entitlement_versions WHERE project_id = :p
       UNION SELECT project_id, user_id FROM customers WHERE project_id = :p
       UNION SELECT project_id, user_id FROM subscriptions WHERE project_id = :p
       UNION SELECT project_id, user_id FROM purchases WHERE project_id = :p"""
)


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
    import redis

    from workers.entitlements.refresh import EntitlementRefresher
    from workers.owners import Owner

    validate_project_id(args.project)
    if not args.product.strip() or not args.entitlement.strip():
        raise TenantError("--product and --entitlement must not be empty")
    settings = load_settings()
    engine = create_sync_engine(settings, pool_size=1)
    refresher = EntitlementRefresher(redis.Redis.from_url(settings.redis_url))
    with engine.begin() as tx:
        if (
            tx.execute(text("SELECT 1 FROM projects WHERE id = :p"), {"p": args.project}).first()
            is None
        ):
            raise TenantError(
                f"no project {args.project!r}; create it with `billing projects create`"
            )
        tx.execute(
            INSERT_MAPPING, {"p": args.project, "product": args.product, "key": args.entitlement}
        )
        owners = [
            Owner(r.project_id, r.user_id) for r in tx.execute(PROJECT_USERS, {"p": args.project})
        ]
        recomputed = refresher.recompute(tx, owners)
    refresher.store(recomputed)
    engine.dispose()
    print(
        f"product {args.product} grants {args.entitlement!r} in project {args.project}; "
        f"recomputed {len(owners)} user(s)"
    )
    return 0
