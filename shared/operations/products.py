"""Mapping a Stripe product to an entitlement key: the operators' action, called by the CLI
(and by the admin API and dashboard as they come)."""

from __future__ import annotations

import re

from sqlalchemy import Engine

from shared.state.product_mapping import add_mapping, list_mapping, project_users, remove_mapping
from shared.tenants import TenantError, require_project
from shared.unit_of_work import UnitOfWork

PRODUCT_ID_PATTERN = re.compile(r"^prod_[A-Za-z0-9_]{1,250}$")
ENTITLEMENT_KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,63}$")


def validate_product_id(product_id: str) -> None:
    if not PRODUCT_ID_PATTERN.fullmatch(product_id):
        raise TenantError(f"product id must look like prod_…, got {product_id!r}")


def validate_entitlement_key(key: str) -> None:
    if not ENTITLEMENT_KEY_PATTERN.fullmatch(key):
        raise TenantError(
            f"entitlement key must match {ENTITLEMENT_KEY_PATTERN.pattern}, got {key!r}"
        )


def map_product(uow: UnitOfWork, project_id: str, product_id: str, entitlement_key: str) -> int:
    """Grant `entitlement_key` for `product_id`; every user of the project is recomputed in the
    same transaction. Returns how many users were recomputed."""
    if not product_id.strip() or not entitlement_key.strip():
        raise TenantError("--product and --entitlement must not be empty")
    with uow.begin() as work:
        require_project(work.tx, project_id)
        add_mapping(work.tx, project_id, product_id, entitlement_key)
        work.touch(project_users(work.tx, project_id))
    return len(work.touched)


def unmap_product(
    uow: UnitOfWork, project_id: str, product_id: str, entitlement_key: str | None
) -> tuple[int, int]:
    """Stop granting `entitlement_key` (every key, with None) for `product_id`; the project's
    users are recomputed in the same transaction. Returns (mappings removed, users recomputed);
    a mapping that does not exist is refused, and nothing changes."""
    validate_product_id(product_id)
    if entitlement_key is not None:
        validate_entitlement_key(entitlement_key)
    with uow.begin() as work:
        require_project(work.tx, project_id)
        removed = remove_mapping(work.tx, project_id, product_id, entitlement_key)
        if removed == 0:
            what = f"{entitlement_key!r} for " if entitlement_key else ""
            raise TenantError(f"project {project_id} maps no {what}product {product_id}")
        work.touch(project_users(work.tx, project_id))
    return removed, len(work.touched)


def product_mapping(engine: Engine, project_id: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        require_project(conn, project_id)
        return list_mapping(conn, project_id)
