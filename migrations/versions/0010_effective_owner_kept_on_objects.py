"""effective owner kept on subscriptions and purchases, by triggers

A subscription's or purchase's owner is its own metadata's, else its customer's (see
shared/db/ownership.py). It was derived on every read by joining customers, three ways at once,
and under stale statistics PostgreSQL planned that join with scans of whole tables. The owner is
now kept on the object's row (`owner_project_id`, `owner_user_id`, one index) by two triggers,
so every writer (webhooks, reconciliation, imports, the customer-link API) keeps it right:
- an object's row computes its owner from itself and its customer's row whenever a column that
  decides it is written; it takes the customer's row FOR SHARE (creating it if missing), so a
  link committed meanwhile either is seen or waits for the object's transaction and then
  reaches the object through the second trigger;
- a customer whose effective owner changes (either link) passes it to all its objects.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("subscriptions", "purchases")
DECIDING = "project_id, user_id, unattributed_project_id, named_user_id, customer_id"

OBJECT_OWNER = """
CREATE FUNCTION billing_object_owner() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    customer_project text;
    customer_user text;
BEGIN
    IF NEW.customer_id IS NOT NULL THEN
        INSERT INTO customers (id) VALUES (NEW.customer_id) ON CONFLICT (id) DO NOTHING;
        SELECT owner_project_id, owner_user_id INTO customer_project, customer_user
        FROM customers WHERE id = NEW.customer_id FOR SHARE;
    END IF;
    IF NEW.unattributed_project_id IS NOT NULL THEN
        customer_project := NULL;
    END IF;
    NEW.owner_project_id := coalesce(NEW.project_id, customer_project);
    NEW.owner_user_id := coalesce(
        NEW.user_id,
        CASE WHEN customer_project IS NOT NULL
             THEN coalesce(NEW.named_user_id, customer_user) END);
    RETURN NEW;
END $$
"""
CUSTOMER_OWNER = """
CREATE FUNCTION billing_customer_owner_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE subscriptions SET customer_id = customer_id WHERE customer_id = NEW.id;
    UPDATE purchases SET customer_id = customer_id WHERE customer_id = NEW.id;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("owner_project_id", sa.Text(), nullable=True))
        op.add_column(table, sa.Column("owner_user_id", sa.Text(), nullable=True))
    op.execute(OBJECT_OWNER)
    op.execute(CUSTOMER_OWNER)
    for table in TABLES:
        op.execute(
            f"""CREATE TRIGGER {table}_owner BEFORE INSERT OR UPDATE OF {DECIDING} ON {table}
                FOR EACH ROW EXECUTE FUNCTION billing_object_owner()"""
        )
        op.execute(f"UPDATE {table} SET customer_id = customer_id")
        op.create_index(f"ix_{table}_effective_owner", table, ["owner_project_id", "owner_user_id"])
    op.execute(
        """CREATE TRIGGER customers_owner_changed AFTER UPDATE ON customers FOR EACH ROW
           WHEN (OLD.owner_project_id IS DISTINCT FROM NEW.owner_project_id
                 OR OLD.owner_user_id IS DISTINCT FROM NEW.owner_user_id)
           EXECUTE FUNCTION billing_customer_owner_changed()"""
    )
    op.execute(
        """CREATE TRIGGER customers_owner_inserted AFTER INSERT ON customers FOR EACH ROW
           WHEN (NEW.owner_project_id IS NOT NULL)
           EXECUTE FUNCTION billing_customer_owner_changed()"""
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER customers_owner_inserted ON customers")
    op.execute("DROP TRIGGER customers_owner_changed ON customers")
    for table in TABLES:
        op.drop_index(f"ix_{table}_effective_owner", table_name=table)
        op.execute(f"DROP TRIGGER {table}_owner ON {table}")
        op.drop_column(table, "owner_user_id")
        op.drop_column(table, "owner_project_id")
    op.execute("DROP FUNCTION billing_customer_owner_changed()")
    op.execute("DROP FUNCTION billing_object_owner()")
