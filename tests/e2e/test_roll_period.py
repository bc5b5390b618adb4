"""roll-usage-period opens each tenant's current period once, per timezone, and lifts a hold the
old period caused."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import update

from quotas.periods import period_for
from services.tenants import add_tenant
from shop.models import Tenant, now_utc
from tests.db import unit_of_work

pytestmark = pytest.mark.usefixtures("prefect_harness", "shop_env")


def tenant(pg_url: str, timezone: str, status: str = "active") -> str:
    slug = f"r-{uuid.uuid4().hex[:10]}"
    with unit_of_work(pg_url) as session:
        row = add_tenant(session, slug, "starter", erp_kind="csv_files", erp_options={}, entities=[], timezone=timezone)
        session.execute(update(Tenant).where(Tenant.id == row.id).values(status=status))
    return slug


def test_each_timezone_opens_its_own_tenants_once(pg_url: str) -> None:
    from flows.roll_period import roll_usage_period

    budget_spent = tenant(pg_url, "Atlantic/Canary", status="process_budget")  # a notify plan: lifted
    elsewhere = tenant(pg_url, "Europe/Kyiv")
    first = {row["tenant"]: row for row in roll_usage_period(timezone="Atlantic/Canary")}
    again = {row["tenant"]: row for row in roll_usage_period(timezone="Atlantic/Canary")}
    assert elsewhere not in first
    assert first[budget_spent] == {
        "tenant": budget_spent,
        "period": period_for(now_utc(), "Atlantic/Canary").key,
        "opened": True,
        "status": "active",
    }
    assert again[budget_spent]["opened"] is False
