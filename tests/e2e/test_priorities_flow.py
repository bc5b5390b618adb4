"""When the process budget runs short, a sync spends what is left in the tenant's priority order."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from devkit.samples import write_products, write_stock
from flows.sync_tenant import sync_tenant
from quotas import PlanTerms
from services.tenants import save_plan
from shop.models import ProductVariant, StockLevel, UsagePeriod
from tests.cli_helpers import invoke
from tests.db import session_factory, unit_of_work
from tests.e2e.test_customers_flow import sync, tenant
from tests.e2e.test_documents_flow import rewrite

pytestmark = pytest.mark.usefixtures("prefect_harness", "shop_env")


@pytest.mark.parametrize(
    ("priorities", "stock_written", "prices_written"),
    [
        ([], 19, 0),  # the default order: stock before catalogue updates
        (["products", "stock"], 9, 10),  # this tenant chose catalogue first
    ],
)
def test_short_budget_goes_to_priorities_first(
    pg_url: str, tmp_path: Path, priorities: list[str], stock_written: int, prices_written: int
) -> None:
    with unit_of_work(pg_url) as session:
        save_plan(session, PlanTerms("strict-priorities", 10, allowance_policy="pause"))  # 399 processes a month
    write_products(tmp_path, 10, bad_rows=False)
    write_stock(tmp_path, 10, bad_rows=False)
    tenant_id, slug = tenant(pg_url, tmp_path, ["products", "stock"])
    invoke(pg_url, f"tenant set-plan {slug} strict-priorities")
    if priorities:
        invoke(pg_url, f"tenant set {slug} --priorities {','.join(priorities)}")
    sync(slug)  # 30 processes: 10 variants, 20 levels
    with unit_of_work(pg_url) as session:  # a busy month: 19 processes left, under 20 % of 399
        session.execute(
            UsagePeriod.__table__.update().where(UsagePeriod.tenant_id == tenant_id).values(processes_used=380)
        )
    rewrite(tmp_path / "products.csv", lambda row: [*row[:2], "1,00", *row[3:]])  # 10 price changes
    rewrite(tmp_path / "stock.csv", lambda row: [*row[:2], "77"])  # 20 level changes

    state = sync_tenant(tenant=slug, return_state=True)

    assert state.name == "ProcessBudget"
    with session_factory(pg_url)() as session:
        levels = session.scalars(select(StockLevel.quantity).where(StockLevel.tenant_id == tenant_id)).all()
        prices = session.scalars(select(ProductVariant.price).where(ProductVariant.tenant_id == tenant_id)).all()
    assert sum(level == 77 for level in levels) == stock_written
    assert sum(price == Decimal("1.00") for price in prices) == prices_written
