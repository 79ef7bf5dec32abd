"""metrics from covering indexes: the subscriptions by status, the MRR and the purchase revenue
of a project read by index-only scans

Each of the three aggregates read the whole table (100,000 rows: 30-45 ms a call) for the
project's rows. Three small indexes hold exactly the rows and columns each statement reads
(shared/metrics/queries.py): the subscriptions by owner then status; the paying ones (not
deleted, `active` or `past_due`) by owner then currency with their MRR; the paid purchases
(an owner source, not an invoice's payment) by owner then currency with their amounts. The
predicates are the statements' own, word for word, so that PostgreSQL can prove them.
No trigger: an index entry a row, written with the row.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_subscriptions_by_status", "subscriptions", ["owner_project_id", "status"])
    op.create_index(
        "ix_subscriptions_paying_mrr",
        "subscriptions",
        ["owner_project_id", "currency"],
        postgresql_include=["mrr", "mrr_not_counted"],
        postgresql_where=sa.text("NOT deleted AND status IN ('active', 'past_due')"),
    )
    op.create_index(
        "ix_purchases_paid_revenue",
        "purchases",
        ["owner_project_id", "currency"],
        postgresql_include=["amount_minor", "amount_refunded_minor"],
        postgresql_where=sa.text(
            "(names_user OR checkout_session_id IS NOT NULL) AND invoice_id IS NULL"
            " AND status IN ('succeeded', 'partially_refunded', 'refunded')"
        ),
    )


def downgrade() -> None:
    op.drop_index("ix_purchases_paid_revenue", table_name="purchases")
    op.drop_index("ix_subscriptions_paying_mrr", table_name="subscriptions")
    op.drop_index("ix_subscriptions_by_status", table_name="subscriptions")
