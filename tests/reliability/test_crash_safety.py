"""SIGKILL an import at every boundary of its batches, on Postgres, then run it again: the shop
equals the source, every record is written once, processes equal writes, and the dead run's
reservations expire and return their budget."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from devkit.samples import BAD_ROWS, write_products
from quotas.ledger import Ledger
from services.tenants import add_tenant
from shop.models import ProductTemplate, ProductVariant, QuarantinedRecord, Reservation, SyncCursor, now_utc
from tests.db import session_factory, unit_of_work
from tests.reliability.kill_points import run_in_child, source_hashes
from tests.shop_reads import processes_counted, tenant_rows

VARIANTS, BATCH, LEASE_SECONDS = 200, 25, 600  # no batch outlives its lease, however loaded the machine
MIN_KILL_POINTS = 50


def new_tenant(url: str, folder: Path) -> tuple[int, str]:
    slug = f"k-{uuid.uuid4().hex[:10]}"
    with unit_of_work(url) as session:
        tenant = add_tenant(
            session, slug, "pro", erp_kind="csv_files", erp_options={"path": str(folder)}, entities=["products"]
        )
        return tenant.id, slug


def shop_state(url: str, tenant_id: int) -> tuple[dict[str, str], int, int, int]:
    """(sku → hash in the shop, processes used, process events summed, credits counter)."""
    with session_factory(url)() as session:
        stored = dict(tenant_rows(session, tenant_id, ProductVariant.sku, ProductVariant.row_hash))
        events = processes_counted(session, tenant_id)
        orphans = session.scalar(
            select(func.count())
            .select_from(ProductVariant)
            .where(
                ProductVariant.tenant_id == tenant_id,
                ~ProductVariant.template_code.in_(
                    select(ProductTemplate.code).where(ProductTemplate.tenant_id == tenant_id)
                ),
            )
        )
    assert orphans == 0, "a variant was written without its template"
    usage = Ledger(session_factory(url)).usage(tenant_id)
    return stored, usage.processes_used, events, usage.credits_used


def rows_covered(url: str, tenant_id: int) -> int:
    """How many of the export's rows the saved cursor says are loaded."""
    with session_factory(url)() as session:
        position = session.scalar(
            select(SyncCursor.position).where(SyncCursor.tenant_id == tenant_id, SyncCursor.entity == "products")
        )
    position = position or {}
    if "products.csv" in (position.get("files") or {}):
        return VARIANTS + len(BAD_ROWS)
    return int((position.get("current") or {}).get("rows_done", 0))


@pytest.mark.reliability
def test_sigkill_at_every_boundary_then_rerun(pg_url: str, tmp_path: Path) -> None:
    write_products(tmp_path, VARIANTS)  # plus 4 rows no shop should accept
    expected = source_hashes(tmp_path)
    order = list(expected)  # the export's order of valid rows
    assert len(expected) == VARIANTS

    probe_id, probe = new_tenant(pg_url, tmp_path)
    code, crossings = run_in_child(None, pg_url, probe_id, probe, "products", BATCH, LEASE_SECONDS)
    assert code == 0 and crossings is not None
    points = sorted({int(p) for p in np.linspace(1, crossings, MIN_KILL_POINTS + 4)})
    assert len(points) >= MIN_KILL_POINTS
    print(f"{len(points)} kill points over the {crossings} boundary crossings of a {VARIANTS}-row import")

    tenants = []
    for point in points:
        tenant_id, slug = new_tenant(pg_url, tmp_path)
        tenants.append(tenant_id)
        code, _ = run_in_child(point, pg_url, tenant_id, slug, "products", BATCH, LEASE_SECONDS)
        assert code == -9, f"kill point {point} of {crossings} was not reached"

        stored, processes, events, credits = shop_state(pg_url, tenant_id)
        # Whatever the dead run left: every stored row is a source row, counted exactly once.
        assert set(stored) <= set(expected)
        assert processes == events == credits == len(stored), f"kill point {point}"
        assert set(order[: rows_covered(pg_url, tenant_id)]) <= set(stored), "the cursor got ahead of the rows"

        code, _ = run_in_child(None, pg_url, tenant_id, slug, "products", BATCH, LEASE_SECONDS)
        assert code == 0
        stored, processes, events, credits = shop_state(pg_url, tenant_id)
        assert stored == expected, f"kill point {point}: the shop differs from the source"
        assert processes == events == credits == VARIANTS, f"kill point {point}: counted twice or lost"

    # The ledger's clock moves past the dead runs' leases (each ran out at most LEASE_SECONDS after
    # its run, all of which are over) ...
    later = Ledger(session_factory(pg_url), clock=lambda: now_utc() + dt.timedelta(seconds=LEASE_SECONDS + 1))
    ledger = Ledger(session_factory(pg_url))
    with session_factory(pg_url)() as session:
        for tenant_id in tenants:
            later.expire_leases(tenant_id)  # ... and the next reservation would return them
            usage = ledger.usage(tenant_id)
            assert (usage.processes_reserved, usage.credits_reserved) == (0, 0)
            still_open = session.scalar(
                select(func.count())
                .select_from(Reservation)
                .where(Reservation.tenant_id == tenant_id, Reservation.state == "open")
            )
            assert still_open == 0
            bad = session.scalars(
                select(QuarantinedRecord.reason).where(QuarantinedRecord.tenant_id == tenant_id)
            ).all()
            assert len(bad) == len(BAD_ROWS), "a bad row was lost or quarantined twice"
