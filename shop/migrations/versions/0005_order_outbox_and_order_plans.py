"""orders are the shop's own (outbox lease, unique number per tenant); order-volume plans

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The order-volume family (seed 002): free while a shop takes few orders, then priced by orders
# per month. Credits are not what these plans sell, so their max_credits is 0 (not metered).
# A frozen copy: migrations must not change when the code's defaults do.
ORDER_PLANS = [
    ("free", 20, "0.00"),
    ("orders-100", 100, "19.00"),
    ("orders-500", 500, "49.00"),
    ("orders-2000", 2_000, "99.00"),
    ("orders-10000", 10_000, "249.00"),
]

plans = sa.table(
    "plans",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("metric", sa.String),
    sa.column("max_credits", sa.Integer),
    sa.column("max_orders", sa.Integer),
    sa.column("monthly_price_eur", sa.Numeric),
    sa.column("allowance_policy", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
orders = sa.table("orders", sa.column("origin", sa.String))


def upgrade() -> None:
    # Orders pending in the ERP live in pending_orders since 0004; rows imported here before are
    # stale copies and would collide with the shop's own numbers under the new unique key.
    op.execute(orders.delete().where(orders.c.origin == "erp"))
    with op.batch_alter_table("orders") as batch:
        batch.drop_constraint("uq_orders_tenant_id_origin_number", type_="unique")
        batch.drop_column("origin")
        batch.add_column(sa.Column("export_lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.create_unique_constraint(batch.f("uq_orders_tenant_id_number"), ["tenant_id", "number"])
    with op.batch_alter_table("usage_periods") as batch:
        batch.add_column(sa.Column("orders_used", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("orders_reserved", sa.Integer(), nullable=False, server_default="0"))
    now = dt.datetime.now(dt.UTC)
    op.bulk_insert(
        plans,
        [
            {
                "name": name,
                "metric": "orders",
                "max_credits": 0,
                "max_orders": max_orders,
                "monthly_price_eur": price,
                "allowance_policy": "notify",
                "created_at": now,
            }
            for name, max_orders, price in ORDER_PLANS
        ],
    )


def downgrade() -> None:
    in_use = sa.select(sa.table("tenants", sa.column("plan_id")).c.plan_id)
    op.execute(plans.delete().where(plans.c.name.in_([name for name, _, _ in ORDER_PLANS]), plans.c.id.not_in(in_use)))
    with op.batch_alter_table("usage_periods") as batch:
        batch.drop_column("orders_reserved")
        batch.drop_column("orders_used")
    with op.batch_alter_table("orders") as batch:
        batch.drop_constraint("uq_orders_tenant_id_number", type_="unique")
        batch.drop_column("export_lease_until")
        batch.add_column(sa.Column("origin", sa.String(length=8), nullable=False, server_default="shop"))
        batch.create_unique_constraint(batch.f("uq_orders_tenant_id_origin_number"), ["tenant_id", "origin", "number"])
    with op.batch_alter_table("orders") as batch:
        batch.alter_column("origin", server_default=None)
