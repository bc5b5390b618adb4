"""Stock levels (composite key, not credited) and sales reps (credited) on Postgres."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from devkit.samples import write_products, write_sales_reps, write_stock
from quotas.ledger import Ledger, count_credits
from shop.models import StockLevel
from tests.db import session_factory
from tests.e2e.test_customers_flow import reasons, sync, tenant

pytestmark = pytest.mark.usefixtures("prefect_harness", "shop_env")


def test_stock_per_warehouse_and_sales_reps(pg_url: str, tmp_path: Path) -> None:
    write_products(tmp_path, 30, bad_rows=False)
    stock = write_stock(tmp_path, 30)
    write_sales_reps(tmp_path, 5)
    tenant_id, slug = tenant(pg_url, tmp_path, ["products", "stock", "sales_reps"])

    results = sync(slug)

    assert list(results) == ["products", "sales_reps", "stock"]  # stock waits for the wave with its variants
    assert (results["stock"]["written"], results["stock"]["quarantined"], results["stock"]["credits"]) == (60, 2, 0)
    assert reasons(pg_url, tenant_id, "stock") == [
        "product 'CAM-9999-ROJ-M' is not in the shop yet",
        "quantity is below 0: '-3'",
    ]
    assert results["sales_reps"]["written"] == 5
    usage = Ledger(session_factory(pg_url)).usage(tenant_id)
    assert (usage.credits_used, usage.processes_used) == (35, 95)  # 30 variants + 5 reps; 30 + 60 + 5 writes
    with session_factory(pg_url)() as session:
        assert count_credits(session, tenant_id).sales_reps == 5

    rows = list(csv.reader(stock.open(encoding="latin-1"), delimiter=";"))
    sku, warehouse = rows[1][0], rows[1][1]
    rows[1][2] = "123"  # one level changes in one warehouse
    with stock.open("w", encoding="latin-1", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    os.utime(stock)
    again = sync(slug)

    assert (again["stock"]["written"], again["stock"]["unchanged"]) == (1, 60 - 1)
    with session_factory(pg_url)() as session:
        level = session.scalars(
            select(StockLevel.quantity).where(
                StockLevel.tenant_id == tenant_id, StockLevel.sku == sku, StockLevel.warehouse == warehouse
            )
        ).one()
    assert level == 123
    assert Ledger(session_factory(pg_url)).usage(tenant_id).processes_used == 96
