"""indexes for a flat recompute cost: objects naming a user without a project

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("subscriptions", "purchases"):
        op.create_index(
            f"ix_{table}_named_user",
            table,
            ["named_user_id"],
            postgresql_where=sa.text("named_user_id IS NOT NULL"),
        )


def downgrade() -> None:
    for table in ("subscriptions", "purchases"):
        op.drop_index(f"ix_{table}_named_user", table_name=table)
