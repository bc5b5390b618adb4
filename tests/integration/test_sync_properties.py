"""Property: whatever the ERP does, after each sync + reconcile the shop holds exactly the ERP's
valid records (an ERP listing nothing never empties the shop), every bad one is quarantined with
a reason, processes equal the writes that really happened and credits equal a fresh count."""

from __future__ import annotations

import csv
import os
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from erp_adapters.errors import MalformedSource
from pipeline.extract import open_source
from pipeline.imports import import_entity
from pipeline.load import LoadTarget
from pipeline.reconcile import reconcile
from quotas.ledger import Ledger, count_credits
from services.tenants import add_tenant
from shop.models import ProductVariant, QuarantinedRecord
from tests.db import session_factory, unit_of_work

SKUS = [f"SKU-{n:03d}" for n in range(40)]

step = st.fixed_dictionaries(
    {
        "add": st.lists(st.sampled_from(SKUS), max_size=8, unique=True),
        "reprice": st.lists(st.sampled_from(SKUS), max_size=5, unique=True),
        "drop": st.lists(st.sampled_from(SKUS), max_size=4, unique=True),
        "bad": st.integers(min_value=0, max_value=2),
        "price": st.integers(min_value=1, max_value=99_999),
    }
)


def export(folder: Path, erp: dict[str, int], bad: int, version: int) -> None:
    path = folder / "products.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["sku", "name", "price"])
        writer.writerows([sku, f"Artículo {sku}", f"{cents // 100},{cents % 100:02d}"] for sku, cents in erp.items())
        writer.writerows([f"BAD-{version}-{n}", "Precio roto", "n/a"] for n in range(bad))
    os.utime(path, ns=(version * 10**9, version * 10**9))  # a new signature for every export


def sync_and_reconcile(url: str, tenant_id: int, slug: str, run: str) -> bool:
    """Whether reconciling ran; it refuses an ERP that lists nothing (the shop is never emptied)."""
    target = LoadTarget(session_factory(url), tenant_id, slug, run)
    import_entity(target, "products", 7)  # small pages: batches cross rows
    try:
        reconcile(open_source(session_factory(url), tenant_id, "products"), target, "products", 7)
    except MalformedSource:
        return False
    return True


# Derandomised: CI runs the same 60 sequences every time; a found case is added as a test below.
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=5))
def test_shop_follows_the_erp_and_meters_exactly(pg_url: str, steps: list[dict]) -> None:  # type: ignore[type-arg]
    folder = Path(tempfile.mkdtemp(prefix="erp-sync-prop-"))
    slug = f"p-{uuid.uuid4().hex[:10]}"
    with unit_of_work(pg_url) as session:
        tenant_id = add_tenant(
            session, slug, "corporate", erp_kind="csv_files", erp_options={"path": str(folder)}, entities=[]
        ).id
    ledger = Ledger(session_factory(pg_url))
    erp: dict[str, int] = {}
    shop: dict[str, int] = {}  # what the shop should hold
    expected_processes = 0
    bad_seen = 0
    for version, change in enumerate(steps, start=1):
        for sku in change["add"]:
            erp.setdefault(sku, change["price"])
        for sku in change["reprice"]:
            if sku in erp:
                erp[sku] = erp[sku] % 99_999 + 1
        for sku in change["drop"]:
            erp.pop(sku, None)
        new = erp.keys() - shop.keys()
        changed = {sku for sku in erp.keys() & shop.keys() if erp[sku] != shop[sku]}
        deleted = shop.keys() - erp.keys()
        bad_seen += change["bad"]

        export(folder, erp, change["bad"], version)
        reconciled = sync_and_reconcile(pg_url, tenant_id, slug, f"prop-{version}")

        # Refused exactly when the export lists no row at all: bad rows are records the ERP still has.
        assert reconciled == bool(erp or change["bad"] or not shop)
        expected_processes += len(new) + len(changed) + (len(deleted) if reconciled else 0)
        shop = dict(erp) if reconciled else {**shop, **erp}

        with session_factory(pg_url)() as session:
            stored = dict(
                session.execute(
                    select(ProductVariant.sku, ProductVariant.price).where(ProductVariant.tenant_id == tenant_id)
                ).all()
            )
            reasons = session.scalars(select(QuarantinedRecord.reason).where(QuarantinedRecord.tenant_id == tenant_id))
            quarantined = list(reasons)
            recount = count_credits(session, tenant_id)
        assert stored == {sku: Decimal(cents) / 100 for sku, cents in shop.items()}
        assert len(quarantined) == bad_seen
        assert all(reason == "price is not a number: 'n/a'" for reason in quarantined)
        usage = ledger.usage(tenant_id)
        assert usage.processes_used == expected_processes
        assert usage.credits_used == recount.total == len(shop)
        assert (usage.processes_reserved, usage.credits_reserved) == (0, 0)


def test_the_erp_dropping_its_last_record_keeps_the_shop(pg_url: str) -> None:
    """The case Hypothesis found: a reconcile against an empty export is refused, not applied."""
    test_shop_follows_the_erp_and_meters_exactly.hypothesis.inner_test(  # type: ignore[attr-defined]
        pg_url,
        [
            {"add": ["SKU-000"], "reprice": [], "drop": [], "bad": 0, "price": 1},
            {"add": [], "reprice": [], "drop": ["SKU-000"], "bad": 0, "price": 1},
        ],
    )


def test_an_export_of_only_bad_rows_still_reconciles(pg_url: str) -> None:
    """Also found by Hypothesis: the ERP still has a record it exports with a broken price, so
    the export is not empty and the records it dropped are deleted."""
    test_shop_follows_the_erp_and_meters_exactly.hypothesis.inner_test(  # type: ignore[attr-defined]
        pg_url,
        [
            {"add": ["SKU-000"], "reprice": [], "drop": [], "bad": 0, "price": 1},
            {"add": [], "reprice": [], "drop": ["SKU-000"], "bad": 1, "price": 1},
        ],
    )
