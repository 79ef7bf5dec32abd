"""adopting an existing account: default project, user id keys, API customer links, imports

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "projects",
        sa.Column("is_default", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column(
        "projects",
        sa.Column(
            "user_id_keys",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{user_id}'"),
            nullable=False,
        ),
    )
    op.create_check_constraint(
        "ck_projects_user_id_keys_named", "projects", "cardinality(user_id_keys) > 0"
    )
    op.create_index(
        "uq_projects_one_default",
        "projects",
        ["is_default"],
        unique=True,
        postgresql_where=sa.text("is_default"),
    )
    op.add_column("customers", sa.Column("api_project_id", sa.Text(), nullable=True))
    op.add_column("customers", sa.Column("api_user_id", sa.Text(), nullable=True))
    op.create_foreign_key(
        "fk_customers_api_project_id_projects", "customers", "projects", ["api_project_id"], ["id"]
    )
    op.create_check_constraint(
        "ck_customers_api_owner_whole",
        "customers",
        "(api_project_id IS NULL) = (api_user_id IS NULL)",
    )
    op.add_column(
        "customers",
        sa.Column(
            "owner_project_id",
            sa.Text(),
            sa.Computed("coalesce(api_project_id, project_id)", persisted=True),
            nullable=True,
        ),
    )
    op.add_column(
        "customers",
        sa.Column(
            "owner_user_id",
            sa.Text(),
            sa.Computed(
                "CASE WHEN api_project_id IS NOT NULL THEN api_user_id ELSE user_id END",
                persisted=True,
            ),
            nullable=True,
        ),
    )
    op.drop_index("ix_customers_owner", table_name="customers")
    op.create_index("ix_customers_owner", "customers", ["owner_project_id", "owner_user_id"])
    op.create_table(
        "imports",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="running", nullable=False),
        sa.Column("trigger", sa.Text(), nullable=False),
        sa.Column("stage", sa.Text(), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("pages", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("customers", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("checkout_sessions", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("subscriptions", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("purchases", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("owners_linked", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("unowned", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("errors", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column(
            "started_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'finished', 'failed')", name=op.f("ck_imports_status_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
    )


def downgrade() -> None:
    op.drop_table("imports")
    op.drop_index("ix_customers_owner", table_name="customers")
    op.drop_column("customers", "owner_user_id")
    op.drop_column("customers", "owner_project_id")
    op.drop_constraint("ck_customers_api_owner_whole", "customers", type_="check")
    op.drop_constraint("fk_customers_api_project_id_projects", "customers", type_="foreignkey")
    op.drop_column("customers", "api_user_id")
    op.drop_column("customers", "api_project_id")
    op.create_index("ix_customers_owner", "customers", ["project_id", "user_id"])
    op.drop_index("uq_projects_one_default", table_name="projects")
    op.drop_constraint("ck_projects_user_id_keys_named", "projects", type_="check")
    op.drop_column("projects", "user_id_keys")
    op.drop_column("projects", "is_default")
