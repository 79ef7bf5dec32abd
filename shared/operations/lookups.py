"""What the support desk asks (CONTRACT section 8): what a user has and why, who a customer
belongs to and what it owns. Shared by the admin API and the CLI; reads only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, text

from shared.db.definitions import IS_PURCHASE_SQL
from shared.db.ownership import owned_by_user
from shared.entitlements.compute import Grant
from shared.isotime import iso_utc

ENTITLEMENTS = text(
    """SELECT entitlement_key, source, source_id, product_id, expires_at FROM entitlements
       WHERE project_id = :p AND user_id = :u ORDER BY entitlement_key"""
)
CUSTOMERS_OF_USER = text(
    "SELECT id FROM customers WHERE owner_project_id = :p AND owner_user_id = :u ORDER BY id"
)
SUBSCRIPTION_COLUMNS = "o.id, o.status, o.current_period_end, o.product_ids, o.customer_id"
PURCHASE_COLUMNS = """o.payment_intent_id AS id, o.status, o.amount_minor AS amount,
    o.amount_refunded_minor AS amount_refunded, o.currency, o.product_id, o.customer_id"""
SUBSCRIPTIONS_OF_USER = text(
    f"""SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions o
        WHERE {owned_by_user("subscriptions", "id", ":p", ":u")} ORDER BY o.id"""
)
PURCHASES_OF_USER = text(
    f"""SELECT {PURCHASE_COLUMNS} FROM purchases o
        WHERE {owned_by_user("purchases", "payment_intent_id", ":p", ":u")}
          AND {IS_PURCHASE_SQL} ORDER BY o.payment_intent_id"""
)
CUSTOMER = text(
    """SELECT id, owner_project_id, owner_user_id, api_project_id, project_id
       FROM customers WHERE id = :c"""
)
SUBSCRIPTIONS_OF_CUSTOMER = text(
    f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions o WHERE o.customer_id = :c ORDER BY o.id"
)
PURCHASES_OF_CUSTOMER = text(
    f"""SELECT {PURCHASE_COLUMNS} FROM purchases o
        WHERE o.customer_id = :c AND {IS_PURCHASE_SQL} ORDER BY o.payment_intent_id"""
)


def user_view(engine: Engine, project_id: str, user_id: str) -> dict[str, Any]:
    """A user never seen has empty lists, like the read API's empty map."""
    params = {"p": project_id, "u": user_id}
    with engine.connect() as conn:
        entitlements = {
            row.entitlement_key: Grant(
                row.source, row.source_id, row.product_id, row.expires_at
            ).as_json()
            for row in conn.execute(ENTITLEMENTS, params)
        }
        return {
            "project_id": project_id,
            "user_id": user_id,
            "entitlements": entitlements,
            "customers": [row.id for row in conn.execute(CUSTOMERS_OF_USER, params)],
            "subscriptions": _subscriptions(conn, SUBSCRIPTIONS_OF_USER, params),
            "purchases": _purchases(conn, PURCHASES_OF_USER, params),
        }


def customer_view(engine: Engine, customer_id: str) -> dict[str, Any] | None:
    """None for a customer never seen."""
    with engine.connect() as conn:
        row = conn.execute(CUSTOMER, {"c": customer_id}).first()
        if row is None:
            return None
        source = "api" if row.api_project_id else "metadata" if row.project_id else None
        return {
            "customer_id": customer_id,
            "project_id": row.owner_project_id,
            "user_id": row.owner_user_id,
            "link_source": source,
            "subscriptions": _subscriptions(conn, SUBSCRIPTIONS_OF_CUSTOMER, {"c": customer_id}),
            "purchases": _purchases(conn, PURCHASES_OF_CUSTOMER, {"c": customer_id}),
        }


def _subscriptions(conn: Connection, query: Any, params: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "id": row.id,
            "status": row.status,
            "current_period_end": iso_utc(row.current_period_end),
            "product_ids": list(row.product_ids),
            "customer_id": row.customer_id,
        }
        for row in conn.execute(query, params)
    ]


def _purchases(conn: Connection, query: Any, params: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "id": row.id,
            "status": row.status,
            "amount": row.amount,
            "amount_refunded": row.amount_refunded,
            "currency": row.currency,
            "product_id": row.product_id,
            "customer_id": row.customer_id,
        }
        for row in conn.execute(query, params)
    ]
