"""invoice owner and refund kept on the invoice's row: the subscription revenue of a project read
by an index-only scan

The subscription revenue joined every paid invoice to its subscription, its customer and its
payment's purchase (for the refund) and filtered the project afterwards: 110 ms of SQL at
100,000 invoices. Now each invoice carries its owner's project and its refunded amount, kept by
triggers as migration 0010 keeps the objects' owners, so every writer keeps them right:
- an invoice's row computes both whenever a column that decides them is written: the project of
  its subscription's effective owner if the subscription is stored, else its customer's
  effective owner (shared/db/ownership.py), and its payment's refund capped at what it paid. It
  reads those rows FOR SHARE, so a concurrent change of them either is seen or waits for the
  invoice's transaction and then reaches the invoice through the triggers below;
- a subscription whose effective owner changes, a customer whose effective owner changes, and a
  purchase whose refund changes pass the change to their invoices.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DECIDING = "subscription_id, customer_id, payment_intent_id, amount_paid"

INVOICE_OWNER = """
CREATE FUNCTION billing_invoice_owner() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    subscription_project text;
    subscription_found boolean := false;
    refunded bigint;
BEGIN
    IF NEW.subscription_id IS NOT NULL THEN
        SELECT owner_project_id, true INTO subscription_project, subscription_found
        FROM subscriptions WHERE id = NEW.subscription_id FOR SHARE;
    END IF;
    IF coalesce(subscription_found, false) THEN
        NEW.owner_project_id := subscription_project;
    ELSIF NEW.customer_id IS NOT NULL THEN
        SELECT owner_project_id INTO NEW.owner_project_id
        FROM customers WHERE id = NEW.customer_id FOR SHARE;
    ELSE
        NEW.owner_project_id := NULL;
    END IF;
    refunded := NULL;
    IF NEW.payment_intent_id IS NOT NULL THEN
        SELECT amount_refunded_minor INTO refunded
        FROM purchases WHERE payment_intent_id = NEW.payment_intent_id FOR SHARE;
    END IF;
    NEW.refunded_minor := least(coalesce(refunded, 0), NEW.amount_paid);
    RETURN NEW;
END $$
"""
SUBSCRIPTION_OWNER_CHANGED = """
CREATE FUNCTION billing_invoices_of_subscription() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE subscription_invoices SET subscription_id = subscription_id
    WHERE subscription_id = NEW.id;
    RETURN NULL;
END $$
"""
CUSTOMER_OWNER_CHANGED = """
CREATE FUNCTION billing_invoices_of_customer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE subscription_invoices SET customer_id = customer_id WHERE customer_id = NEW.id;
    RETURN NULL;
END $$
"""
PURCHASE_REFUND_CHANGED = """
CREATE FUNCTION billing_invoices_of_payment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE subscription_invoices SET payment_intent_id = payment_intent_id
    WHERE payment_intent_id = NEW.payment_intent_id;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.add_column("subscription_invoices", sa.Column("owner_project_id", sa.Text(), nullable=True))
    op.add_column(
        "subscription_invoices",
        sa.Column("refunded_minor", sa.BigInteger(), nullable=False, server_default="0"),
    )
    for function in (
        INVOICE_OWNER,
        SUBSCRIPTION_OWNER_CHANGED,
        CUSTOMER_OWNER_CHANGED,
        PURCHASE_REFUND_CHANGED,
    ):
        op.execute(function)
    op.execute(
        f"""CREATE TRIGGER subscription_invoices_owner
            BEFORE INSERT OR UPDATE OF {DECIDING} ON subscription_invoices
            FOR EACH ROW EXECUTE FUNCTION billing_invoice_owner()"""
    )
    op.execute(
        """CREATE TRIGGER subscriptions_invoices_owner_inserted AFTER INSERT ON subscriptions
           FOR EACH ROW EXECUTE FUNCTION billing_invoices_of_subscription()"""
    )
    op.execute(
        """CREATE TRIGGER subscriptions_invoices_owner_changed AFTER UPDATE ON subscriptions
           FOR EACH ROW WHEN (OLD.owner_project_id IS DISTINCT FROM NEW.owner_project_id)
           EXECUTE FUNCTION billing_invoices_of_subscription()"""
    )
    op.execute(
        """CREATE TRIGGER customers_invoices_owner_changed AFTER UPDATE ON customers
           FOR EACH ROW WHEN (OLD.owner_project_id IS DISTINCT FROM NEW.owner_project_id)
           EXECUTE FUNCTION billing_invoices_of_customer()"""
    )
    op.execute(
        """CREATE TRIGGER customers_invoices_owner_inserted AFTER INSERT ON customers
           FOR EACH ROW WHEN (NEW.owner_project_id IS NOT NULL)
           EXECUTE FUNCTION billing_invoices_of_customer()"""
    )
    op.execute(
        """CREATE TRIGGER purchases_invoices_refund_inserted AFTER INSERT ON purchases
           FOR EACH ROW WHEN (NEW.amount_refunded_minor > 0)
           EXECUTE FUNCTION billing_invoices_of_payment()"""
    )
    op.execute(
        """CREATE TRIGGER purchases_invoices_refund_changed AFTER UPDATE ON purchases
           FOR EACH ROW
           WHEN (OLD.amount_refunded_minor IS DISTINCT FROM NEW.amount_refunded_minor
                 OR OLD.payment_intent_id IS DISTINCT FROM NEW.payment_intent_id)
           EXECUTE FUNCTION billing_invoices_of_payment()"""
    )
    op.execute("UPDATE subscription_invoices SET subscription_id = subscription_id")
    op.create_index(
        "ix_subscription_invoices_revenue",
        "subscription_invoices",
        ["owner_project_id", "currency"],
        postgresql_include=["amount_paid", "refunded_minor"],
        postgresql_where=sa.text("paid"),
    )
    op.create_index(
        "ix_subscription_invoices_revenue_by_day",
        "subscription_invoices",
        ["owner_project_id", "created"],
        postgresql_include=["currency", "amount_paid"],
        postgresql_where=sa.text("paid"),
    )


def downgrade() -> None:
    op.drop_index("ix_subscription_invoices_revenue_by_day", table_name="subscription_invoices")
    op.drop_index("ix_subscription_invoices_revenue", table_name="subscription_invoices")
    for trigger, table in (
        ("purchases_invoices_refund_changed", "purchases"),
        ("purchases_invoices_refund_inserted", "purchases"),
        ("customers_invoices_owner_inserted", "customers"),
        ("customers_invoices_owner_changed", "customers"),
        ("subscriptions_invoices_owner_changed", "subscriptions"),
        ("subscriptions_invoices_owner_inserted", "subscriptions"),
        ("subscription_invoices_owner", "subscription_invoices"),
    ):
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    for function in (
        "billing_invoices_of_payment",
        "billing_invoices_of_customer",
        "billing_invoices_of_subscription",
        "billing_invoice_owner",
    ):
        op.execute(f"DROP FUNCTION {function}()")
    op.drop_column("subscription_invoices", "refunded_minor")
    op.drop_column("subscription_invoices", "owner_project_id")
