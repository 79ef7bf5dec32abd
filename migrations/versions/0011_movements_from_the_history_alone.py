"""movements from the history alone: each history row carries its subscription's owner project
and first paying snapshot, kept by triggers, and two covering indexes

The movements of a window joined every subscription of the project to its states at the window's
two ends: three scans of whole tables and hash joins of 100,000 rows. Each `subscription_history`
row now carries what the movements read from `subscriptions` (`owner_project_id` and the
`first_paying_*` snapshot), so they read one project's history rows by index range and join only
the subscriptions with a snapshot in the window (see shared/metrics/queries.py):
- a row copies them from its subscription when inserted (the history of a snapshot is written
  after its subscription's row, in the same transaction, see shared/state/subscriptions.py);
- a subscription whose owner or first paying snapshot changes passes them to all its rows.
Two indexes hold the rows of the subscriptions that ever paid (the movements count no other)
with every column the movements read (index-only scans): by `created` (the snapshots in a
window; the states before an early window) and by `valid_to`, then `created` (the states a
window cuts; the current states, `valid_to` NULL, before a recent window). A third finds the
currencies the project's subscriptions first paid in, and those that pay only after a window.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COPIED = ("owner_project_id", "first_paying_created", "first_paying_mrr", "first_paying_currency")
COLUMNS = ", ".join(COPIED)

HISTORY_ROW_COPIES = f"""
CREATE FUNCTION billing_history_row_copies() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT {COLUMNS} INTO {", ".join(f"NEW.{c}" for c in COPIED)}
    FROM subscriptions WHERE id = NEW.subscription_id;
    RETURN NEW;
END $$
"""
SUBSCRIPTION_COPIED = f"""
CREATE FUNCTION billing_subscription_copied_to_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE subscription_history SET ({COLUMNS}) = ({", ".join(f"NEW.{c}" for c in COPIED)})
    WHERE subscription_id = NEW.id;
    RETURN NULL;
END $$
"""
CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in COPIED)
# What the movements read of a row besides its span: both indexes cover it (index-only scans)
READ = ("subscription_id", "paying", "mrr", "currency", "first_paying_created",
        "first_paying_currency")  # fmt: skip


def upgrade() -> None:
    op.add_column("subscription_history", sa.Column("owner_project_id", sa.Text()))
    op.add_column("subscription_history", sa.Column("first_paying_created", sa.BigInteger()))
    op.add_column("subscription_history", sa.Column("first_paying_mrr", sa.Numeric()))
    op.add_column("subscription_history", sa.Column("first_paying_currency", sa.Text()))
    op.execute(
        f"""UPDATE subscription_history h SET ({COLUMNS}) = ({", ".join(f"s.{c}" for c in COPIED)})
            FROM subscriptions s WHERE s.id = h.subscription_id"""
    )
    op.execute(HISTORY_ROW_COPIES)
    op.execute(SUBSCRIPTION_COPIED)
    op.execute(
        """CREATE TRIGGER subscription_history_copies BEFORE INSERT ON subscription_history
           FOR EACH ROW EXECUTE FUNCTION billing_history_row_copies()"""
    )
    # Not `UPDATE OF`: the owner changes through the BEFORE trigger of migration 0010, which
    # an `UPDATE OF` list does not see.
    op.execute(
        f"""CREATE TRIGGER subscriptions_copied_to_history AFTER UPDATE ON subscriptions
            FOR EACH ROW WHEN ({CHANGED})
            EXECUTE FUNCTION billing_subscription_copied_to_history()"""
    )
    op.create_index(
        "ix_subscription_history_by_created",
        "subscription_history",
        ["owner_project_id", "created"],
        postgresql_include=["valid_to", *READ, "first_paying_mrr"],
        postgresql_where=sa.text("first_paying_created IS NOT NULL"),
    )
    op.create_index(
        "ix_subscription_history_by_valid_to",
        "subscription_history",
        ["owner_project_id", "valid_to", "created"],
        postgresql_include=list(READ),
        postgresql_where=sa.text("first_paying_created IS NOT NULL"),
    )
    op.create_index(
        "ix_subscriptions_first_paying",
        "subscriptions",
        ["owner_project_id", "first_paying_currency", "first_paying_created"],
        postgresql_where=sa.text("first_paying_created IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_subscriptions_first_paying", table_name="subscriptions")
    op.drop_index("ix_subscription_history_by_valid_to", table_name="subscription_history")
    op.drop_index("ix_subscription_history_by_created", table_name="subscription_history")
    op.execute("DROP TRIGGER subscriptions_copied_to_history ON subscriptions")
    op.execute("DROP TRIGGER subscription_history_copies ON subscription_history")
    op.execute("DROP FUNCTION billing_subscription_copied_to_history()")
    op.execute("DROP FUNCTION billing_history_row_copies()")
    for column in reversed(COPIED):
        op.drop_column("subscription_history", column)
