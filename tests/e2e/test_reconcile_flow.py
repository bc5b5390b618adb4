"""Deletes found by reconciling the ERP's ids: one process each, credits freed, children first."""

from __future__ import annotations

from pathlib import Path

import pytest

from erp_adapters.csv_files.samples import write_customers, write_products, write_sales_reps, write_stock
from quotas.ledger import Ledger, count_credits
from shop.db import session_factory
from tests.e2e.test_customers_flow import sync, tenant

pytestmark = pytest.mark.usefixtures("prefect_harness", "shop_env")


def reconcile(slug: str) -> object:
    from flows.reconcile import reconcile_deletes

    return reconcile_deletes(tenant=slug, return_state=True)


def test_records_gone_from_the_erp_are_deleted_and_free_their_credits(pg_url: str, tmp_path: Path) -> None:
    write_products(tmp_path, 30, bad_rows=False)
    write_stock(tmp_path, 30, bad_rows=False)
    write_sales_reps(tmp_path, 4)
    write_customers(tmp_path, 20, bad_rows=False)
    tenant_id, slug = tenant(pg_url, tmp_path, ["products", "stock", "sales_reps", "customers"])
    sync(slug)
    ledger = Ledger(session_factory(pg_url))
    before = ledger.usage(tenant_id)
    assert before.credits_used == 30 + 4 + 20 + 20

    write_products(tmp_path, 27, bad_rows=False)  # the ERP dropped 3 variants, their stock, 2 customers
    write_stock(tmp_path, 27, bad_rows=False)
    write_customers(tmp_path, 18, bad_rows=False)
    state = reconcile(slug)

    assert state.is_completed(), state.message  # type: ignore[attr-defined]
    results = state.result()  # type: ignore[attr-defined]
    assert list(results) == ["contacts", "customers", "sales_reps", "stock", "products"]  # children first
    assert {e: r["deleted"] for e, r in results.items()} == {
        "contacts": 2,
        "customers": 2,
        "sales_reps": 0,
        "stock": 6,
        "products": 3,
    }
    assert {e: r["credits_freed"] for e, r in results.items()}["products"] == 3
    after = ledger.usage(tenant_id)
    assert after.processes_used == before.processes_used + 13
    with session_factory(pg_url)() as session:
        recount = count_credits(session, tenant_id)
    assert after.credits_used == recount.total == 27 + 4 + 18 + 18
    assert reconcile(slug).result() == {  # type: ignore[attr-defined]
        e: {"in_erp": r["in_erp"], "in_shop": r["in_erp"], "deleted": 0, "credits_freed": 0} for e, r in results.items()
    }


def test_an_empty_export_never_empties_the_shop(pg_url: str, tmp_path: Path) -> None:
    write_products(tmp_path, 5, bad_rows=False)
    tenant_id, slug = tenant(pg_url, tmp_path, ["products"])
    sync(slug)
    (tmp_path / "products.csv").write_text("Referencia;Nombre;PVP\n", encoding="latin-1")

    state = reconcile(slug)

    assert state.is_failed()  # type: ignore[attr-defined]
    assert "refusing to delete all 5 from the shop" in str(state.message)  # type: ignore[attr-defined]
    assert Ledger(session_factory(pg_url)).usage(tenant_id).credits_used == 5
