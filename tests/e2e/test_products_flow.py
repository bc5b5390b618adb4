"""The products import end to end: CSV drop folder → Prefect flows → Postgres, metered.

Each test owns a tenant (unique slug) and a drop folder; flows run in this process against the
session's temporary Prefect API, and the results are read back from the shop database.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlalchemy import func, select

from domain.products import PRODUCTS
from domain.transform import transform_page
from flows.reporting import listening
from pipeline.load import LoadTarget, load
from quotas import PlanTerms
from quotas.ledger import Ledger, Usage, count_credits
from records.erp import Page
from services.tenants import save_plan
from shop.models import ProductVariant, QuarantinedRecord, SyncCursor, SyncRun, Tenant, UsageEvent, UsagePeriod
from tests.cli_helpers import invoke
from tests.db import session_factory, unit_of_work

pytestmark = pytest.mark.usefixtures("prefect_harness", "shop_env")

HEADER = ("sku", "name", "price", "template_code", "template_name", "barcode", "color", "size")
COLORS = ("rojo", "azul", "verde")
SIZES = ("S", "M", "L")


# -- source files --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    sku: str
    name: str
    price: str  # as the ERP writes it: "1.234,56"
    template_code: str = ""
    template_name: str = ""
    barcode: str = ""
    color: str = ""
    size: str = ""

    def cells(self) -> list[str]:
        return [getattr(self, column) for column in HEADER]


def spanish_price(cents: int) -> str:
    euros, rest = divmod(cents, 100)
    return f"{euros:,}".replace(",", ".") + f",{rest:02d}"


def cents_of(i: int) -> int:
    """Deterministic prices; every 40th one is above 1.000 € so the thousands dot is parsed too."""
    return 995 + 137 * i + (123_400 if i % 40 == 0 else 0)


def catalogue(n: int = 300) -> list[Row]:
    return [
        Row(
            sku=f"SKU-{i:04d}",
            name=f"Camiseta {i}",
            price=spanish_price(cents_of(i)),
            template_code=f"TPL-{i // 3:03d}",
            template_name=f"Modelo {i // 3}",
            barcode=f"84{i:011d}",
            color=COLORS[i % 3],
            size=SIZES[i % 3],
        )
        for i in range(n)
    ]


def expected_prices(rows: Iterable[Row]) -> dict[str, Decimal]:
    return {row.sku: Decimal(row.price.replace(".", "").replace(",", ".")) for row in rows}


def drop(folder: Path, rows: Sequence[Row], name: str = "products.csv", header: Sequence[str] = HEADER) -> Path:
    """Write an export as a Spanish ERP does (";"-separated) with an mtime later than any before it,
    so the adapter sees a new signature even when the bytes are identical."""
    path = folder / name
    lines = [";".join(header)] + [";".join(row.cells()[: len(header)]) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    touch_later(path, folder)
    return path


def touch_later(path: Path, folder: Path) -> None:
    newest = max(p.stat().st_mtime_ns for p in folder.iterdir())
    mtime = max(newest, path.stat().st_mtime_ns) + 1_000_000_000
    os.utime(path, ns=(mtime, mtime))


# -- runs and reads ------------------------------------------------------------------------------


def sync(slug: str) -> Any:
    from flows.sync_tenant import sync_tenant

    return sync_tenant(tenant=slug, return_state=True)


def usage(pg_url: str, tenant_id: int) -> Usage:
    return Ledger(session_factory(pg_url)).usage(tenant_id)


def stored_prices(pg_url: str, tenant_id: int) -> dict[str, Decimal]:
    with session_factory(pg_url)() as session:
        rows = session.execute(
            select(ProductVariant.sku, ProductVariant.price).where(ProductVariant.tenant_id == tenant_id)
        ).all()  # a list of rows: dict() on the Result itself would take it for a mapping
        return dict(rows)


def variant_count(pg_url: str, tenant_id: int) -> int:
    with session_factory(pg_url)() as session:
        return session.execute(
            select(func.count()).select_from(ProductVariant).where(ProductVariant.tenant_id == tenant_id)
        ).scalar_one()


def credits_counted(pg_url: str, tenant_id: int) -> int:
    with session_factory(pg_url)() as session:
        return count_credits(session, tenant_id).total


def runs(pg_url: str, tenant_id: int) -> list[SyncRun]:
    with session_factory(pg_url)() as session:
        return list(session.scalars(select(SyncRun).where(SyncRun.tenant_id == tenant_id).order_by(SyncRun.id)).all())


def quarantined(pg_url: str, tenant_id: int) -> list[QuarantinedRecord]:
    with session_factory(pg_url)() as session:
        query = select(QuarantinedRecord).where(QuarantinedRecord.tenant_id == tenant_id)
        return list(session.scalars(query.order_by(QuarantinedRecord.source_ref)).all())


def cursor_row(pg_url: str, tenant_id: int) -> tuple[dict[str, Any], Any] | None:
    with session_factory(pg_url)() as session:
        row = session.execute(
            select(SyncCursor.position, SyncCursor.updated_at).where(
                SyncCursor.tenant_id == tenant_id, SyncCursor.entity == "products"
            )
        ).one_or_none()
        return None if row is None else (row.position, row.updated_at)


def tenant_status(pg_url: str, tenant_id: int) -> str:
    with session_factory(pg_url)() as session:
        return session.get_one(Tenant, tenant_id).status


def products_result(state: Any) -> dict[str, Any]:
    assert state.is_completed(), f"{state.name}: {state.message}"
    return state.result()["products"]


def tenant_with_export(make_tenant: Any, tmp_path: Path, rows: Sequence[Row], plan: str = "starter") -> tuple[int, str]:
    folder = tmp_path / "drop"
    folder.mkdir()
    tenant_id, slug = make_tenant(plan, path=str(folder))
    drop(folder, rows)
    return tenant_id, slug


# -- 1. a full import ----------------------------------------------------------------------------


def test_full_import_in_several_batches(make_tenant: Any, pg_url: str, tmp_path: Path) -> None:
    rows = catalogue(300)
    tenant_id, slug = tenant_with_export(make_tenant, tmp_path, rows)
    heard: list[tuple[str, int, int | None]] = []

    with listening(lambda entity, done, expected: heard.append((entity, done, expected))):
        state = sync(slug)

    # The CLI's progress bar hears every batch as it settles: 300 rows in batches of 50.
    assert [done for _, done, _ in heard] == [50, 100, 150, 200, 250, 300]
    assert {(entity, expected) for entity, _, expected in heard} == {("products", 300)}
    counts = products_result(state)
    assert counts == {
        "fetched": 300,
        "unchanged": 0,
        "written": 300,
        "quarantined": 0,
        "processes": 300,
        "credits": 300,
    }
    prices = stored_prices(pg_url, tenant_id)
    assert len(prices) == 300
    assert prices == expected_prices(rows)
    assert prices["SKU-0000"] == Decimal("1243.95")  # "1.243,95"
    assert prices["SKU-0001"] == Decimal("11.32")  # "11,32"
    figures = usage(pg_url, tenant_id)
    assert (figures.processes_used, figures.processes_reserved) == (300, 0)
    assert (figures.credits_used, figures.credits_reserved) == (300, 0)
    assert credits_counted(pg_url, tenant_id) == 300
    [run] = runs(pg_url, tenant_id)
    assert (run.state, run.fetched, run.written, run.processes, run.credits) == ("Completed", 300, 300, 300, 300)
    position, _ = cursor_row(pg_url, tenant_id) or ({}, None)
    assert position["current"] is None and list(position["files"]) == ["products.csv"]


# -- 2. the same export again ---------------------------------------------------------------------


def test_reimport_without_changes_writes_nothing(make_tenant: Any, pg_url: str, tmp_path: Path) -> None:
    rows = catalogue(300)
    tenant_id, slug = tenant_with_export(make_tenant, tmp_path, rows)
    products_result(sync(slug))
    before = usage(pg_url, tenant_id)

    drop(tmp_path / "drop", rows)  # same bytes, new mtime: the adapter must read it again
    counts = products_result(sync(slug))

    assert (counts["fetched"], counts["unchanged"], counts["written"]) == (300, 300, 0)
    assert (counts["processes"], counts["credits"]) == (0, 0)
    after = usage(pg_url, tenant_id)
    assert (after.processes_used, after.credits_used) == (before.processes_used, before.credits_used) == (300, 300)
    assert after.processes_reserved == 0
    assert [run.written for run in runs(pg_url, tenant_id)] == [300, 0]


# -- 3. one per cent changed ---------------------------------------------------------------------


def test_one_percent_changed_costs_three_processes(make_tenant: Any, pg_url: str, tmp_path: Path) -> None:
    rows = catalogue(300)
    tenant_id, slug = tenant_with_export(make_tenant, tmp_path, rows)
    products_result(sync(slug))
    before = stored_prices(pg_url, tenant_id)

    changed = {7: "8,01", 151: "1.500,00", 299: "0,99"}  # one early, one mid-file, the last row
    edited = [replace(row, price=changed[i]) if i in changed else row for i, row in enumerate(rows)]
    drop(tmp_path / "drop", edited)
    counts = products_result(sync(slug))

    assert (counts["fetched"], counts["unchanged"], counts["written"]) == (300, 297, 3)
    assert (counts["processes"], counts["credits"]) == (3, 0)
    after = stored_prices(pg_url, tenant_id)
    assert {sku for sku in after if after[sku] != before[sku]} == {"SKU-0007", "SKU-0151", "SKU-0299"}
    assert (after["SKU-0007"], after["SKU-0151"], after["SKU-0299"]) == (
        Decimal("8.01"),
        Decimal("1500"),
        Decimal("0.99"),
    )
    figures = usage(pg_url, tenant_id)
    assert (figures.processes_used, figures.credits_used) == (303, 300)
    assert credits_counted(pg_url, tenant_id) == 300


# -- 3b. the process budget of a strict plan ------------------------------------------------------


def test_process_budget_under_pause_policy(make_tenant: Any, pg_url: str, tmp_path: Path) -> None:
    with unit_of_work(pg_url) as session:
        save_plan(session, PlanTerms("strict-e2e", 10, allowance_policy="pause"))  # 399 processes a month
    rows = catalogue(10)
    tenant_id, slug = tenant_with_export(make_tenant, tmp_path, rows, plan="strict-e2e")
    products_result(sync(slug))
    with unit_of_work(pg_url) as session:  # a busy month: 395 of 399 processes already used
        session.execute(
            UsagePeriod.__table__.update().where(UsagePeriod.tenant_id == tenant_id).values(processes_used=395)
        )

    drop(tmp_path / "drop", [replace(row, price="1,00") for row in rows[:8]] + rows[8:])
    state = sync(slug)

    assert state.name == "ProcessBudget"
    assert state.message == f"399/399 processes used this period; 4 records not written (tenant {slug})"
    assert sum(price == Decimal("1.00") for price in stored_prices(pg_url, tenant_id).values()) == 4
    assert tenant_status(pg_url, tenant_id) == "process_budget"
    assert sync(slug).message == f"held, nothing launched: 399/399 processes used this period (tenant {slug})"

    invoke(pg_url, f"tenant set-plan {slug} starter")  # a plan that alerts instead of pausing
    counts = products_result(sync(slug))
    assert (counts["written"], counts["unchanged"]) == (4, 6)
    assert sum(price == Decimal("1.00") for price in stored_prices(pg_url, tenant_id).values()) == 8


# -- 4. the credit ceiling in the middle of a batch ----------------------------------------------


def test_credit_ceiling_mid_batch_then_upgrade(make_tenant: Any, pg_url: str, tmp_path: Path) -> None:
    with unit_of_work(pg_url) as session:
        save_plan(session, PlanTerms("tiny-e2e", 120))
    rows = catalogue(300)
    tenant_id, slug = tenant_with_export(make_tenant, tmp_path, rows, plan="tiny-e2e")

    # Batches of 50: 50 + 50 fit, the third gets the 20 credits left and 30 of its rows are refused.
    state = sync(slug)

    assert state.is_cancelled()
    assert state.name == "CreditCeiling"
    # 30 refused in the batch that hit the ceiling + 150 in the batches after it, counted unwritten
    assert state.message == f"120/120 credits used; 180 new records not imported (tenant {slug})"
    assert variant_count(pg_url, tenant_id) == 120
    assert set(stored_prices(pg_url, tenant_id)) == {row.sku for row in rows[:120]}
    assert tenant_status(pg_url, tenant_id) == "over_credit_limit"
    figures = usage(pg_url, tenant_id)
    assert (figures.credits_used, figures.credits_reserved, figures.processes_used) == (120, 0, 120)
    assert figures.processes_reserved == 0
    stopped = runs(pg_url, tenant_id)[-1]
    assert (stopped.state, stopped.written, stopped.credits) == ("CreditCeiling", 120, 120)

    # Held: refused at once, nothing read, nothing spent.
    again = sync(slug)

    assert again.name == "CreditCeiling"
    assert again.message == f"held, nothing launched: 120/120 credits used (tenant {slug})"
    assert variant_count(pg_url, tenant_id) == 120
    assert usage(pg_url, tenant_id).processes_used == 120
    held_run = runs(pg_url, tenant_id)[-1]
    assert (held_run.state, held_run.fetched, held_run.processes) == ("CreditCeiling", 0, 0)

    # `erp-sync tenant set-plan` lifts the hold; the next run picks up where the ceiling stopped it.
    invoke(pg_url, f"tenant set-plan {slug} starter")
    assert tenant_status(pg_url, tenant_id) == "active"

    counts = products_result(sync(slug))

    assert (counts["written"], counts["credits"], counts["processes"]) == (180, 180, 180)
    assert counts["unchanged"] == 20  # the 20 rows of batch 3 stored before the stop
    assert stored_prices(pg_url, tenant_id) == expected_prices(rows)
    figures = usage(pg_url, tenant_id)
    assert (figures.processes_used, figures.credits_used, figures.credits_max) == (300, 300, 1_000)
    assert (figures.processes_reserved, figures.credits_reserved) == (0, 0)
    assert tenant_status(pg_url, tenant_id) == "active"


# -- 5. a retried load ---------------------------------------------------------------------------


def page_of(rows: Sequence[Row], source: str = "products.csv") -> Page:
    frame = pd.DataFrame([row.cells() for row in rows], columns=list(HEADER), dtype=str)
    cursor = {"files": {source: "1:1"}, "current": None}
    return Page(frame, {column: column for column in HEADER}, source, 1, cursor)


def usage_events(pg_url: str, tenant_id: int) -> list[tuple[str, str, int]]:
    with session_factory(pg_url)() as session:
        rows = session.execute(
            select(UsageEvent.kind, UsageEvent.idempotency_key, UsageEvent.amount)
            .where(UsageEvent.tenant_id == tenant_id)
            .order_by(UsageEvent.kind)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_retried_load_does_not_count_twice(make_tenant: Any, pg_url: str, tmp_path: Path) -> None:
    tenant_id, slug = make_tenant("starter", path=str(tmp_path))
    run_id = str(uuid.uuid4())
    target = LoadTarget(session_factory(pg_url), tenant_id, slug, run_id, lease_seconds=60)
    batch = transform_page(page_of(catalogue(40)), PRODUCTS)

    first = load(batch, target, batch_no=0)
    retry = load(batch, target, batch_no=0)

    assert (first.written, first.created) == (40, 40)
    assert (retry.written, retry.created, retry.refused) == (0, 0, 0)
    figures = usage(pg_url, tenant_id)
    assert (figures.processes_used, figures.credits_used) == (40, 40)
    assert (figures.processes_reserved, figures.credits_reserved) == (0, 0)
    key = f"{slug}:{run_id}:products:0"
    assert usage_events(pg_url, tenant_id) == [("credits", key, 40), ("processes", key, 40)]
    assert variant_count(pg_url, tenant_id) == 40


def test_retry_after_a_crash_returns_the_orphan_reservation(make_tenant: Any, pg_url: str, tmp_path: Path) -> None:
    tenant_id, slug = make_tenant("starter", path=str(tmp_path))
    run_id = str(uuid.uuid4())
    key = f"{slug}:{run_id}:products:0"
    ledger = Ledger(session_factory(pg_url), lease_seconds=600)
    # The first attempt reserved, then its worker died before the commit.
    ledger.reserve(tenant_id, "credits", 25, key)
    ledger.reserve(tenant_id, "processes", 25, key)
    assert (usage(pg_url, tenant_id).processes_reserved, usage(pg_url, tenant_id).credits_reserved) == (25, 25)

    batch = transform_page(page_of(catalogue(25)), PRODUCTS)
    result = load(batch, LoadTarget(session_factory(pg_url), tenant_id, slug, run_id, lease_seconds=600), batch_no=0)

    assert (result.written, result.created, result.exceeded) == (25, 25, None)
    figures = usage(pg_url, tenant_id)
    assert (figures.processes_used, figures.processes_reserved) == (25, 0)
    assert (figures.credits_used, figures.credits_reserved) == (25, 0)
    assert usage_events(pg_url, tenant_id) == [("credits", key, 25), ("processes", key, 25)]


# -- 6. malformed rows ---------------------------------------------------------------------------


def test_malformed_rows_are_quarantined_with_reasons(make_tenant: Any, pg_url: str, tmp_path: Path) -> None:
    long_name = "x" * 256
    rows = [
        Row("OK-1", "Camisa buena", "10,00"),  # row 1
        Row("", "Sin referencia", "5,00"),  # row 2
        Row("BAD-PRICE", "Precio raro", "abc"),  # row 3
        Row("NEG", "Precio negativo", "-3,50"),  # row 4
        Row("LONG", long_name, "4,00"),  # row 5
        Row("OK-2", "Pantalón", "7,25"),  # row 6
        Row("OK-1", "Camisa repetida", "9,99"),  # row 7
        Row("OK-3", "Abrigo", "1.234,5"),  # row 8
    ]
    tenant_id, slug = tenant_with_export(make_tenant, tmp_path, rows)

    counts = products_result(sync(slug))

    assert (counts["fetched"], counts["written"], counts["quarantined"]) == (8, 3, 5)
    assert (counts["processes"], counts["credits"]) == (3, 3)
    assert stored_prices(pg_url, tenant_id) == {
        "OK-1": Decimal("10"),  # the first of the duplicates wins
        "OK-2": Decimal("7.25"),
        "OK-3": Decimal("1234.5"),
    }
    expected = {
        "products.csv:3": "missing sku",
        "products.csv:4": "price is not a number: 'abc'",
        "products.csv:5": "price is below 0: '-3,50'",
        "products.csv:6": "name longer than 255 characters",
        "products.csv:8": "duplicate sku in the same export: the first one was kept",
    }
    records = quarantined(pg_url, tenant_id)
    assert {record.source_ref: record.reason for record in records} == expected
    by_ref = {record.source_ref: record for record in records}
    assert by_ref["products.csv:6"].raw["name"] == long_name
    assert by_ref["products.csv:8"].raw == dict(zip(HEADER, rows[6].cells(), strict=True))
    first_seen = {record.source_ref: record.first_seen_at for record in records}

    drop(tmp_path / "drop", rows)  # the ERP exports the same file again
    counts = products_result(sync(slug))

    assert (counts["written"], counts["quarantined"]) == (0, 5)
    again = quarantined(pg_url, tenant_id)
    assert {record.source_ref: record.reason for record in again} == expected
    assert {record.source_ref: record.first_seen_at for record in again} == first_seen
    assert all(record.last_seen_at > record.first_seen_at for record in again)
    assert usage(pg_url, tenant_id).processes_used == 3


# -- 7. a malformed file --------------------------------------------------------------------------


def test_malformed_file_fails_the_run_and_keeps_the_cursor(make_tenant: Any, pg_url: str, tmp_path: Path) -> None:
    rows = catalogue(10)
    tenant_id, slug = tenant_with_export(make_tenant, tmp_path, rows)
    products_result(sync(slug))
    cursor_before = cursor_row(pg_url, tenant_id)
    assert cursor_before is not None and list(cursor_before[0]["files"]) == ["products.csv"]

    no_sku = [replace(row, sku=f"NEW-{i}") for i, row in enumerate(catalogue(5))]
    header = ("nombre", "pvp", "color")
    drop(tmp_path / "drop", [Row(r.name, r.price, r.color) for r in no_sku], name="products_b.csv", header=header)
    state = sync(slug)

    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, Exception)
    message = str(error)
    assert message == "products_b.csv: no column for required field 'sku' (columns: nombre, pvp, color)"
    assert "\n" not in (state.message or "")
    assert cursor_row(pg_url, tenant_id) == cursor_before
    assert variant_count(pg_url, tenant_id) == 10
    assert usage(pg_url, tenant_id).processes_used == 10
    failed = runs(pg_url, tenant_id)[-1]
    assert (failed.state, failed.message, failed.written) == ("Failed", message, 0)


def test_a_file_broken_mid_way_keeps_and_counts_the_pages_before_it(
    make_tenant: Any, pg_url: str, tmp_path: Path
) -> None:
    """The reader fails on a later page while the page before it is still loading (pages are
    pipelined): that page finishes, is stored and is counted in the run's record, and the cursor
    points after it."""
    tenant_id, slug = tenant_with_export(make_tenant, tmp_path, catalogue(130))
    path = tmp_path / "drop" / "products.csv"
    with path.open("a", encoding="utf-8") as export:
        export.write("SKU-BROKEN;Camiseta;1,00;;;;rojo;S;one field too many\n")

    state = sync(slug)

    assert state.is_failed()
    stored = variant_count(pg_url, tenant_id)
    assert stored in (50, 100)  # pandas finds the bad line while reading page 2 or page 3
    assert usage(pg_url, tenant_id).processes_used == stored
    [failed] = runs(pg_url, tenant_id)
    assert (failed.state, failed.fetched, failed.written, failed.credits) == ("Failed", stored, stored, stored)
    assert "products.csv" in (failed.message or "")
    position, _ = cursor_row(pg_url, tenant_id) or ({}, None)
    assert position["current"] is not None  # mid-file: the next run resumes after the stored pages


# -- 8. the report artifact -----------------------------------------------------------------------


def test_run_publishes_its_table_artifact(make_tenant: Any, pg_url: str, tmp_path: Path) -> None:
    _, slug = tenant_with_export(make_tenant, tmp_path, catalogue(20))

    products_result(sync(slug))

    key = f"{slug}-products-report"
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    [artifact] = artifacts
    assert artifact.type == "table"
    [row] = json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data
    assert (row["entity"], row["fetched"], row["written"], row["credits used"]) == ("products", 20, 20, 20)
    assert row["credits left"] == 1_000 - 20
    assert row["processes this period"] == "20/39,900"
    # The parent sync run carries the whole run's table too.
    with get_client(sync_client=True) as client:
        [summary] = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[f"{slug}-sync"])))
    assert summary.description == f"Sync of {slug}: completed"
    [total] = json.loads(summary.data) if isinstance(summary.data, str) else summary.data
    assert (total["entity"], total["fetched"], total["written"], total["credits"]) == ("products", 20, 20, 20)
