"""Every statement on `product_entitlements`: which entitlement keys a Stripe product grants in
a project, as the recompute reads it and the operators change it."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection, text

from shared.records import Owner

INSERT_MAPPING = text(
    """INSERT INTO product_entitlements (project_id, product_id, entitlement_key)
       VALUES (:p, :product, :key) ON CONFLICT DO NOTHING"""
)
MAPPING_OF_PROJECT = text(
    "SELECT product_id, entitlement_key FROM product_entitlements WHERE project_id = :p"
)
DELETE_MAPPING = text(
    """DELETE FROM product_entitlements
       WHERE project_id = :p AND product_id = :product
         AND (CAST(:key AS text) IS NULL OR entitlement_key = :key)"""
)
LIST_MAPPING = text(
    """SELECT product_id, entitlement_key FROM product_entitlements WHERE project_id = :p
       ORDER BY product_id, entitlement_key"""
)
# Every user with anything in the project (the effective owners, API links included): their
# entitlements depend on the mapping.
PROJECT_USERS = text(
    """SELECT project_id, user_id FROM entitlement_versions WHERE project_id = :p
       UNION SELECT owner_project_id, owner_user_id FROM customers WHERE owner_project_id = :p
       UNION SELECT owner_project_id, owner_user_id FROM subscriptions
             WHERE owner_project_id = :p
       UNION SELECT owner_project_id, owner_user_id FROM purchases WHERE owner_project_id = :p"""
)


def keys_of_products(tx: Connection, project_id: str) -> dict[str, tuple[str, ...]]:
    """Product id → its entitlement keys, sorted (the recompute's view of the mapping)."""
    keys: dict[str, list[str]] = {}
    for row in tx.execute(MAPPING_OF_PROJECT, {"p": project_id}):
        keys.setdefault(row.product_id, []).append(row.entitlement_key)
    return {product: tuple(sorted(k)) for product, k in keys.items()}


def add_mapping(tx: Connection, project_id: str, product_id: str, entitlement_key: str) -> None:
    tx.execute(INSERT_MAPPING, {"p": project_id, "product": product_id, "key": entitlement_key})


def project_users(tx: Connection, project_id: str) -> Iterator[Owner]:
    for row in tx.execute(PROJECT_USERS, {"p": project_id}):
        yield Owner(row.project_id, row.user_id)


def remove_mapping(
    tx: Connection, project_id: str, product_id: str, entitlement_key: str | None
) -> int:
    """Remove one key of the product (or, with None, all of them); how many were removed."""
    params = {"p": project_id, "product": product_id, "key": entitlement_key}
    return tx.execute(DELETE_MAPPING, params).rowcount


def list_mapping(tx: Connection, project_id: str) -> list[tuple[str, str]]:
    """(product id, entitlement key) of the project, sorted."""
    return [(r.product_id, r.entitlement_key) for r in tx.execute(LIST_MAPPING, {"p": project_id})]
