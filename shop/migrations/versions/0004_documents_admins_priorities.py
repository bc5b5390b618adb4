"""pending orders from the ERP; admin users imported like other records; sync priorities

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NOW = sa.text("(CURRENT_TIMESTAMP)")


def upgrade() -> None:
    op.create_table(
        "pending_orders",
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("customer_code", sa.String(length=64), nullable=False),
        sa.Column("order_ref", sa.String(length=64), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("row_hash", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_pending_orders_tenant_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_orders")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_pending_orders_tenant_id_number")),
    )
    # Admins added by hand before this revision get an empty hash: the first import from the
    # ERP that lists them rewrites them once (one process each), as for any changed record.
    with op.batch_alter_table("admin_users") as batch:
        batch.add_column(sa.Column("row_hash", sa.String(length=32), nullable=False, server_default=""))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False))
        batch.alter_column("created_at", server_default=NOW)
    with op.batch_alter_table("admin_users") as batch:
        batch.alter_column("row_hash", server_default=None)
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("priorities", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("priorities")
    with op.batch_alter_table("admin_users") as batch:
        batch.alter_column("created_at", server_default=None)
        batch.drop_column("updated_at")
        batch.drop_column("row_hash")
    op.drop_table("pending_orders")
