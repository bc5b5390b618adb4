"""default plan catalogue

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# A frozen copy of the defaults as they were when this revision was written: migrations must not
# change when quotas.plans.DEFAULT_PLANS does.
PLANS = [
    ("starter", 1_000, "49.00"),
    ("basic", 2_500, "89.00"),
    ("business", 5_000, "149.00"),
    ("pro", 10_000, "249.00"),
    ("enterprise", 25_000, "449.00"),
    ("corporate", 50_000, "749.00"),
]

plans = sa.table(
    "plans",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("metric", sa.String),
    sa.column("max_credits", sa.Integer),
    sa.column("monthly_price_eur", sa.Numeric),
    sa.column("allowance_policy", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    now = dt.datetime.now(dt.UTC)
    op.bulk_insert(
        plans,
        [
            {
                "name": name,
                "metric": "credits",
                "max_credits": credits,
                "monthly_price_eur": price,
                "allowance_policy": "notify",
                "created_at": now,
            }
            for name, credits, price in PLANS
        ],
    )


def downgrade() -> None:
    # Plans that tenants are on stay: removing them would orphan the tenants.
    in_use = sa.select(sa.table("tenants", sa.column("plan_id")).c.plan_id)
    op.execute(plans.delete().where(plans.c.name.in_([name for name, _, _ in PLANS]), plans.c.id.not_in(in_use)))
