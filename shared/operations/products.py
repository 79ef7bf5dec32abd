"""Mapping a Stripe product to an entitlement key: the operators' action, called by the CLI
(and by the admin API and dashboard as they come)."""

from __future__ import annotations

from shared.state.product_mapping import add_mapping, project_users
from shared.tenants import TenantError, require_project
from shared.unit_of_work import UnitOfWork


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
