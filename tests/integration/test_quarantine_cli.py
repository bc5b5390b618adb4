"""`erp-sync quarantine list / retry` against real databases: what is listed, what a retry loads
once the column mapping is fixed, what it costs, and that it leaves the cursor alone."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from domain.batch import fingerprint
from pipeline.imports import import_entity
from pipeline.load import LoadTarget
from quotas.ledger import Ledger
from records.quarantine import Quarantined
from shop.cursors import read_cursor
from shop.models import ProductVariant, QuarantinedRecord, SyncCursor, Tenant, UsageEvent
from shop.quarantine import quarantine
from tests.cli_helpers import invoke
from tests.db import session_factory, unit_of_work
from tests.shop_reads import tenant_rows

# The ERP fills "Precio" only for some articles; the real retail price is always in "Importe",
# a column no alias matches. Rows with an empty "Precio" are quarantined ("missing price") until
# the tenant maps price=Importe. A-4 has no name and A-5 a price that is not a number: they stay.
EXPORT = """Referencia;Nombre;Precio;Importe
A-1;Camisa;10,00;10,00
A-2;Falda;;25,50
A-3;Pantalón;;19,90
A-4;;12,00;12,00
A-5;Gorro;;abc
A-6;Bufanda;8,00;8,00
"""
BAD = {
    "products.csv:3": "missing price",
    "products.csv:4": "missing price",
    "products.csv:5": "missing name",
    "products.csv:6": "missing price",
}


def new_tenant(url: str, folder: Path, plan: str = "starter") -> tuple[int, str]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "products.csv").write_text(EXPORT, encoding="latin-1")
    slug = f"q-{uuid.uuid4().hex[:8]}"
    invoke(url, f"tenant add {slug} --plan {plan} --erp-option path={folder}")
    with session_factory(url)() as session:
        tenant_id = session.scalars(select(Tenant.id).where(Tenant.slug == slug)).one()
    return tenant_id, slug


def first_sync(url: str, tenant_id: int, slug: str) -> None:
    """The pipeline's import, without the Prefect flow around it."""
    import_entity(
        LoadTarget(session_factory(url), tenant_id, slug, f"sync-{uuid.uuid4().hex[:8]}", 60), "products", 100
    )


def map_price_to_importe(url: str, tenant_id: int) -> None:
    with unit_of_work(url) as session:
        tenant = session.get_one(Tenant, tenant_id)
        tenant.erp_options = {**tenant.erp_options, "mapping": {"products": {"price": "Importe"}}}


def listed(url: str, args: str) -> dict:
    return json.loads(invoke(url, f"quarantine list {args} --json").stdout)


def records(url: str, tenant_id: int) -> dict[str, QuarantinedRecord]:
    with session_factory(url)() as session:
        rows = session.scalars(select(QuarantinedRecord).where(QuarantinedRecord.tenant_id == tenant_id)).all()
    return {r.raw["Referencia"]: r for r in rows}


def utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def test_list_shows_exactly_the_bad_rows_and_filters_by_entity(any_url: str, tmp_path: Path) -> None:
    tenant_id, slug = new_tenant(any_url, tmp_path / "drop")
    first_sync(any_url, tenant_id, slug)

    payload = listed(any_url, slug)
    assert payload["tenant"] == slug
    assert {r["source_ref"]: r["reason"] for r in payload["records"]} == BAD
    first = next(r for r in payload["records"] if r["source_ref"] == "products.csv:6")
    assert first["raw"] == {"Referencia": "A-5", "Nombre": "Gorro", "Precio": "", "Importe": "abc"}
    assert set(first) == {"id", "entity", "source_ref", "reason", "raw", "first_seen_at", "last_seen_at", "resolved_at"}
    assert first["entity"] == "products" and first["resolved_at"] is None

    with unit_of_work(any_url) as session:
        raw = {"Código cliente": "C-1", "NIF": "X"}
        quarantine(
            session, tenant_id, "customers", [Quarantined("customers.csv:1", raw, "bad NIF", fingerprint(raw))], None
        )
    assert [r["source_ref"] for r in listed(any_url, f"{slug} --entity customers")["records"]] == ["customers.csv:1"]
    assert {r["source_ref"] for r in listed(any_url, f"{slug} --entity products")["records"]} == set(BAD)
    newest = listed(any_url, slug)["records"]
    assert newest[0]["source_ref"] == "customers.csv:1"  # newest first
    assert [r["last_seen_at"] for r in newest] == sorted((r["last_seen_at"] for r in newest), reverse=True)

    table = invoke(any_url, f"quarantine list {slug} --entity products", env={"COLUMNS": "200"}).stdout
    assert "missing name" in table and '"Referencia":"A-4"' in table and "products.csv:5" in table

    result = invoke(any_url, "quarantine list nobody", expect=1)
    assert "unknown tenant 'nobody'" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_retry_after_the_mapping_is_fixed_loads_resolves_and_meters(any_url: str, tmp_path: Path) -> None:
    tenant_id, slug = new_tenant(any_url, tmp_path / "drop")
    first_sync(any_url, tenant_id, slug)
    ledger = Ledger(session_factory(any_url))
    before = ledger.usage(tenant_id)
    assert (before.credits_used, before.processes_used) == (2, 2)
    with session_factory(any_url)() as session:
        cursor_before = read_cursor(session, tenant_id, "products")
        cursor_stamp = session.scalars(select(SyncCursor.updated_at).where(SyncCursor.tenant_id == tenant_id)).one()
    assert cursor_before and cursor_before["files"]
    seen = records(any_url, tenant_id)

    # Without the fix, a retry loads nothing and costs nothing.
    out = invoke(any_url, f"quarantine retry {slug} --all").stdout
    assert out.strip() == "products: 4 retried, 0 loaded, 4 still quarantined; 0 processes, 0 credits"

    map_price_to_importe(any_url, tenant_id)
    out = invoke(any_url, f"quarantine retry {slug} --all --entity products").stdout
    assert out.strip() == "products: 4 retried, 2 loaded, 2 still quarantined; 2 processes, 2 credits"

    after = ledger.usage(tenant_id)
    assert (after.credits_used, after.processes_used) == (4, 4)
    with session_factory(any_url)() as session:
        prices = dict(tenant_rows(session, tenant_id, ProductVariant.sku, ProductVariant.price))
        run_ids = session.scalars(
            select(UsageEvent.flow_run_id).where(UsageEvent.tenant_id == tenant_id, UsageEvent.amount > 0)
        ).all()
        assert read_cursor(session, tenant_id, "products") == cursor_before
        assert (
            session.scalars(select(SyncCursor.updated_at).where(SyncCursor.tenant_id == tenant_id)).one()
            == cursor_stamp
        )
    assert prices == {"A-1": Decimal("10"), "A-2": Decimal("25.5"), "A-3": Decimal("19.9"), "A-6": Decimal("8")}
    assert sum(1 for r in run_ids if r and r.startswith("quarantine-retry-")) == 2  # credits and processes

    now = records(any_url, tenant_id)
    assert len(now) == 4  # updated in place, never added
    assert {ref for ref, r in now.items() if r.resolved_at is not None} == {"A-2", "A-3"}
    assert now["A-5"].id == seen["A-5"].id and now["A-5"].reason == "price is not a number: 'abc'"
    assert now["A-4"].reason == "missing name" and now["A-5"].source_ref == "products.csv:6"
    assert utc(now["A-5"].last_seen_at) > utc(seen["A-5"].last_seen_at)
    assert utc(now["A-5"].first_seen_at) == utc(seen["A-5"].first_seen_at)

    payload = listed(any_url, slug)
    assert {r["source_ref"] for r in payload["records"]} == {"products.csv:5", "products.csv:6"}
    everything = listed(any_url, f"{slug} --all")["records"]
    assert sorted(r["source_ref"] for r in everything if r["resolved_at"]) == ["products.csv:3", "products.csv:4"]

    # A still-bad row retried again: one row, a newer last_seen_at, nothing spent.
    out = invoke(any_url, f"quarantine retry {slug} --id {now['A-4'].id}").stdout
    assert out.strip() == "products: 1 retried, 0 loaded, 1 still quarantined; 0 processes, 0 credits"
    again = records(any_url, tenant_id)
    assert len(again) == 4 and again["A-4"].id == now["A-4"].id and again["A-4"].resolved_at is None
    assert utc(again["A-4"].last_seen_at) > utc(now["A-4"].last_seen_at)
    assert ledger.usage(tenant_id).processes_used == 4

    # A resolved record seen bad again by a sync is open again.
    with unit_of_work(any_url) as session:
        raw = dict(now["A-2"].raw)
        quarantine(
            session,
            tenant_id,
            "products",
            [Quarantined("products.csv:2", raw, "missing price", fingerprint(raw))],
            None,
        )
    reopened = records(any_url, tenant_id)
    assert reopened["A-2"].resolved_at is None and len(reopened) == 4


def test_retry_at_the_credit_ceiling_stores_what_fits(any_url: str, tmp_path: Path) -> None:
    plan = f"tiny-{uuid.uuid4().hex[:6]}"
    invoke(any_url, f"plans add {plan} --credits 3")
    tenant_id, slug = new_tenant(any_url, tmp_path / "drop", plan=plan)
    first_sync(any_url, tenant_id, slug)
    map_price_to_importe(any_url, tenant_id)

    result = invoke(any_url, f"quarantine retry {slug} --all", expect=3)
    assert result.stdout.strip() == (
        "products: 4 retried, 1 loaded, 3 still quarantined; 1 processes, 1 credits; 1 not loaded because of the quota"
    )
    assert "CreditCeiling" in result.stderr
    usage = Ledger(session_factory(any_url)).usage(tenant_id)
    assert (usage.credits_used, usage.status) == (3, "over_credit_limit")
    now = records(any_url, tenant_id)
    assert {ref for ref, r in now.items() if r.resolved_at is not None} == {"A-2"}  # the first in export order
    with session_factory(any_url)() as session:
        count = session.scalar(
            select(func.count()).select_from(ProductVariant).where(ProductVariant.tenant_id == tenant_id)
        )
    assert count == 3

    # Held now: a further retry launches nothing.
    result = invoke(any_url, f"quarantine retry {slug} --id {now['A-3'].id}", expect=3)
    assert "0 loaded" in result.stdout and Ledger(session_factory(any_url)).usage(tenant_id).credits_used == 3


def test_unknown_or_foreign_ids_are_one_line(any_url: str, tmp_path: Path) -> None:
    tenant_id, slug = new_tenant(any_url, tmp_path / "one")
    first_sync(any_url, tenant_id, slug)
    other_id, other = new_tenant(any_url, tmp_path / "two")
    first_sync(any_url, other_id, other)
    foreign = records(any_url, other_id)["A-4"].id
    mine = records(any_url, tenant_id)["A-4"].id

    cases = [
        (f"quarantine retry {slug} --id 999999999", f"tenant '{slug}' has no quarantined record 999999999"),
        (f"quarantine retry {slug} --id {mine} --id {foreign}", f"tenant '{slug}' has no quarantined record {foreign}"),
        ("quarantine retry nobody --all", "unknown tenant 'nobody'"),
        (f"quarantine retry {slug}", "say which records to retry"),
        (f"quarantine retry {slug} --all --entity widgets", "unknown entity 'widgets'"),
    ]
    for args, message in cases:
        result = invoke(any_url, args, expect=1)
        assert message in result.stderr, args
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert records(any_url, other_id)["A-4"].resolved_at is None
    assert Ledger(session_factory(any_url)).usage(tenant_id).processes_used == 2
