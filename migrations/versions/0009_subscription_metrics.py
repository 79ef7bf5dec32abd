"""subscription metrics: MRR of each snapshot, its history, invoices, a grace period

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("subscriptions", sa.Column("mrr", sa.Numeric, nullable=False, server_default="0"))
    op.add_column(
        "subscriptions",
        sa.Column("mrr_not_counted", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    # `created` of its first paying snapshot: the movements' "new" without reading the history
    op.add_column("subscriptions", sa.Column("first_paying_created", sa.BigInteger))
    op.add_column("subscriptions", sa.Column("first_paying_mrr", sa.Numeric))
    op.add_column("subscriptions", sa.Column("first_paying_currency", sa.Text))
    op.create_table(
        "subscription_history",
        sa.Column("subscription_id", sa.Text, primary_key=True),
        sa.Column("created", sa.BigInteger, primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("status_rank", sa.Integer, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("paying", sa.Boolean, nullable=False),
        sa.Column("mrr", sa.Numeric, nullable=False),
        sa.Column("currency", sa.Text),
        sa.Column("not_counted", sa.Boolean, nullable=False),
        sa.Column("valid_to", sa.BigInteger),  # the next snapshot's `created`; NULL: current
    )
    op.create_table(
        "subscription_invoices",
        sa.Column("invoice_id", sa.Text, primary_key=True),
        sa.Column("subscription_id", sa.Text, index=True),
        sa.Column("customer_id", sa.Text, index=True),
        sa.Column("payment_intent_id", sa.Text, index=True),
        sa.Column("currency", sa.Text),
        sa.Column("amount_paid", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("paid", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created", sa.BigInteger, nullable=False),
    )
    op.add_column("projects", sa.Column("grace_past_due_days", sa.Integer))


def downgrade() -> None:
    op.drop_column("projects", "grace_past_due_days")
    op.drop_table("subscription_invoices")
    op.drop_table("subscription_history")
    op.drop_column("subscriptions", "first_paying_currency")
    op.drop_column("subscriptions", "first_paying_mrr")
    op.drop_column("subscriptions", "first_paying_created")
    op.drop_column("subscriptions", "mrr_not_counted")
    op.drop_column("subscriptions", "mrr")
