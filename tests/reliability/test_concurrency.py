"""Many runs at once on Postgres: tenants with the same SKUs and customer codes never see or
touch each other's rows or budget, and 32 concurrent runs over 8 tenants neither overspend nor
deadlock nor lose an update."""

from __future__ import annotations

import csv
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from devkit.samples import write_customers, write_products
from flows.sync_tenant import sync_tenant
from quotas import PlanTerms
from quotas.ledger import Ledger, count_credits
from services.tenants import save_plan
from shop.models import Customer, ProductVariant, QuarantinedRecord, UsageEvent
from tests.cli_helpers import invoke
from tests.db import session_factory, unit_of_work
from tests.e2e.test_customers_flow import tenant

pytestmark = [pytest.mark.reliability, pytest.mark.usefixtures("prefect_harness", "shop_env")]

TENANTS, RUNS_PER_TENANT, VARIANTS, CUSTOMERS = 8, 4, 300, 50
PLAN_CREDITS = 380  # below the 400 records each export holds: every tenant meets its ceiling


def erp_export(folder: Path, price: str) -> None:
    """The same sample catalogue and customers for every tenant, each at its own price."""
    products = write_products(folder, VARIANTS, bad_rows=False)
    rows = list(csv.reader(products.open(encoding="latin-1"), delimiter=";"))
    with products.open("w", encoding="latin-1", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows([rows[0], *([*r[:2], price, *r[3:]] for r in rows[1:])])
    write_customers(folder, CUSTOMERS, bad_rows=False)


def stored_prices(url: str, tenant_id: int) -> set[str]:
    with session_factory(url)() as session:
        prices = session.scalars(select(ProductVariant.price).where(ProductVariant.tenant_id == tenant_id)).all()
    return {f"{price:.2f}" for price in prices}


def figures(url: str, tenant_id: int) -> dict[str, int]:
    usage = Ledger(session_factory(url)).usage(tenant_id)
    with session_factory(url)() as session:
        counted = count_credits(session, tenant_id)
        events = session.scalar(
            select(func.coalesce(func.sum(UsageEvent.amount), 0)).where(
                UsageEvent.tenant_id == tenant_id, UsageEvent.kind == "processes"
            )
        )
        quarantined = session.scalar(
            select(func.count()).select_from(QuarantinedRecord).where(QuarantinedRecord.tenant_id == tenant_id)
        )
    return {
        "rows": counted.total,
        "credits_used": usage.credits_used,
        "credits_reserved": usage.credits_reserved,
        "processes_used": usage.processes_used,
        "processes_reserved": usage.processes_reserved,
        "events": int(events or 0),
        "quarantined": int(quarantined or 0),
    }


def run(slug: str) -> str:
    state = sync_tenant(tenant=slug, return_state=True)
    return str(state.name)


def test_overlapping_tenants_synced_at_once_stay_apart(pg_url: str, tmp_path: Path) -> None:
    (a_drop := tmp_path / "a").mkdir()
    (b_drop := tmp_path / "b").mkdir()
    erp_export(a_drop, "10,00")
    erp_export(b_drop, "20,00")
    a_id, a = tenant(pg_url, a_drop, ["products", "customers"])
    b_id, b = tenant(pg_url, b_drop, ["products", "customers"])

    with ThreadPoolExecutor(2) as pool:
        states = list(pool.map(run, [a, b]))

    assert states == ["Completed", "Completed"]
    assert stored_prices(pg_url, a_id) == {"10.00"} and stored_prices(pg_url, b_id) == {"20.00"}
    for tenant_id in (a_id, b_id):  # each counted only its own 300 + 50 + 50 writes
        assert figures(pg_url, tenant_id)["processes_used"] == figures(pg_url, tenant_id)["rows"] == 400
    with session_factory(pg_url)() as session:
        codes = session.execute(
            select(Customer.tenant_id, func.count())
            .where(Customer.tenant_id.in_([a_id, b_id]))
            .group_by(Customer.tenant_id)
        ).all()
    assert dict(codes) == {a_id: CUSTOMERS, b_id: CUSTOMERS}  # same codes, one row each per tenant


def test_32_runs_over_8_tenants_at_once(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERP_SYNC_BATCH_SIZE", "5000")  # production batches: a run is one batch per entity
    with unit_of_work(pg_url) as session:
        save_plan(session, PlanTerms("load-380", PLAN_CREDITS))
    slugs: dict[str, int] = {}
    for n in range(TENANTS):
        drop = tmp_path / f"t{n}"
        drop.mkdir()
        erp_export(drop, f"{n + 1},50")
        tenant_id, slug = tenant(pg_url, drop, ["products", "customers"])
        slugs[slug] = tenant_id
    for slug in slugs:
        invoke(pg_url, f"tenant set-plan {slug} load-380")

    started = time.perf_counter()
    with ThreadPoolExecutor(TENANTS * RUNS_PER_TENANT) as pool:
        states = list(pool.map(run, [slug for slug in slugs for _ in range(RUNS_PER_TENANT)], timeout=600))
    elapsed = time.perf_counter() - started

    assert set(states) <= {"Completed", "CreditCeiling"}, states  # no run failed or hung
    written = 0
    for n, (slug, tenant_id) in enumerate(slugs.items()):
        got: dict[str, Any] = figures(pg_url, tenant_id)
        assert got["rows"] == got["credits_used"] == PLAN_CREDITS, (slug, got)  # full, never over
        assert got["processes_used"] == got["events"] == got["rows"], (slug, got)  # each write counted once
        assert (got["credits_reserved"], got["processes_reserved"]) == (0, 0), (slug, got)
        assert stored_prices(pg_url, tenant_id) == {f"{n + 1}.50"}  # its own rows, not a neighbour's
        written += got["rows"]
    rate, ended = written / elapsed, {name: states.count(name) for name in sorted(set(states))}
    print(f"{len(states)} runs over {TENANTS} tenants, ended {ended}: {written:,} records in {elapsed:.1f} s")
    print(f"throughput {rate:,.0f} records/s, {len(states) / elapsed:.2f} runs/s")
