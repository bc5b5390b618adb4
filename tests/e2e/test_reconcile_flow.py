"""Deletes found by reconciling the ERP's ids: one process each, credits freed, children first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devkit.samples import write_customers, write_products, write_sales_reps, write_stock
from flows.dispatch import due_tenants
from quotas import PlanTerms
from quotas.ledger import Ledger, count_credits
from services.tenants import save_plan
from shop.models import now_utc
from tests.db import session_factory, unit_of_work
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


def test_a_tenant_at_its_credit_ceiling_reconciles_and_its_hold_lifts(
    make_tenant: Any, pg_url: str, tmp_path: Path
) -> None:
    from flows.sync_tenant import sync_tenant

    with unit_of_work(pg_url) as session:
        save_plan(session, PlanTerms("ceiling-reconcile", 30))
    tenant_id, slug = make_tenant("ceiling-reconcile", path=str(tmp_path))
    write_products(tmp_path, 35, bad_rows=False)
    assert sync_tenant(tenant=slug, return_state=True).name == "CreditCeiling"
    assert [d.tenant for d in due_tenants("reconcile-deletes", now_utc()) if d.tenant == slug] == [slug]

    write_products(tmp_path, 25, bad_rows=False)  # the ERP dropped 10 variants, 5 of them in the shop
    state = reconcile(slug)

    assert state.is_completed(), state.message  # type: ignore[attr-defined]
    assert state.result()["products"]["deleted"] == 5  # type: ignore[attr-defined]
    ledger = Ledger(session_factory(pg_url))
    assert ledger.held(tenant_id) is None  # 25/30 credits: the hold is lifted
    assert (ledger.usage(tenant_id).status, ledger.usage(tenant_id).credits_used) == ("active", 25)
    assert sync_tenant(tenant=slug, return_state=True).is_completed()
