"""kill -9 of a 200,000-row `erp-sync sync` in embedded mode (the command and the temporary local
Prefect API it started, as a closed laptop or an OOM kill would), on Postgres, at three points of
the run; then `erp-sync sync` again, by hand as a user would, with nothing cleaned up in between.

The tenant's plan is exactly 200,000 credits, so the rerun completes only if the dead run holds
nothing: not its tenant slot, not the 20,000 credits its open batch had reserved.

Each point is reached deterministically: the test holds, in a transaction of its own, the lock the
run needs next, waits until Postgres shows the run's connection blocked on it, and kills.

- ``first write``: an uncommitted template with the first row's code; the first batch, reserved,
  waits at its upsert: nothing is stored, one batch's budget is reserved.
- ``mid-run``: the same with the template of row 100,001: the batches before it are committed.
- ``last step``: ``sync_runs`` locked; every batch is stored and paid for, the run's record of its
  outcome waits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from devkit.samples import product_rows, write_products
from quotas import Ledger, PlanTerms
from services.tenants import add_tenant, save_plan
from shop.models import ProductVariant, Reservation, SyncCursor
from tests.cli_helpers import ERP_SYNC, user_shell
from tests.db import session_factory, unit_of_work
from tests.pg_gates import blocked_by, gone, held, template_gate
from tests.reliability.kill_points import source_hashes
from tests.shop_reads import processes_counted, tenant_rows
from tests.waiting import wait_until

ROWS, BATCH = 200_000, 20_000
PLAN = "exactly-200k"

pytestmark = pytest.mark.reliability


@dataclass(frozen=True)
class Export:
    folder: Path
    hashes: dict[str, str]  # sku -> row hash: what the shop must hold in the end
    templates: list[str]  # each row's template code, in the export's order


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Export:
    folder = tmp_path_factory.mktemp("drop")
    write_products(folder, ROWS, bad_rows=False)
    hashes = source_hashes(folder)
    assert len(hashes) == ROWS
    return Export(folder, hashes, [row[3] for row in product_rows(ROWS)])


@dataclass(frozen=True)
class State:
    stored: dict[str, str]
    processes: int  # the usage events' sum
    processes_used: int
    credits_used: int
    reserved: int  # credits still reserved
    open_reservations: int
    rows_covered: int  # how far the saved cursor says the export is loaded


def state(url: str, tenant_id: int) -> State:
    with session_factory(url)() as session:
        stored = dict(tenant_rows(session, tenant_id, ProductVariant.sku, ProductVariant.row_hash))
        processes = processes_counted(session, tenant_id)
        open_reservations = session.scalar(
            select(func.count()).where(Reservation.tenant_id == tenant_id, Reservation.state == "open")
        )
        cursor = session.scalar(select(SyncCursor.position).where(SyncCursor.tenant_id == tenant_id)) or {}
    usage = Ledger(session_factory(url)).usage(tenant_id)
    covered = ROWS if cursor.get("files") else int((cursor.get("current") or {}).get("rows_done", 0))
    return State(
        stored,
        processes,
        usage.processes_used,
        usage.credits_used,
        usage.credits_reserved,
        int(open_reservations or 0),
        covered,
    )


def gate(point: str, tenant_id: int, export: Export) -> tuple[str, dict[str, object]]:
    if point == "last step":
        return "LOCK TABLE sync_runs IN EXCLUSIVE MODE", {}
    return template_gate(tenant_id, export.templates[0 if point == "first write" else ROWS // 2])


@pytest.mark.parametrize("point", ["first write", "mid-run", "last step"])
def test_a_sync_killed_at_any_point_is_completed_by_the_next(
    point: str, export: Export, pg_url: str, tmp_path: Path
) -> None:
    with unit_of_work(pg_url) as session:
        save_plan(session, PlanTerms(PLAN, ROWS))
        slug = f"kill-{uuid.uuid4().hex[:8]}"
        tenant_id = add_tenant(
            session, slug, PLAN, erp_kind="csv_files", erp_options={"path": str(export.folder)}, entities=["products"]
        ).id
    env = user_shell(tmp_path, ERP_SYNC_DATABASE_URL=pg_url, ERP_SYNC_BATCH_SIZE=str(BATCH))  # no server

    statement, values = gate(point, tenant_id, export)
    with held(pg_url, statement, **values) as lock:
        run = subprocess.Popen(
            [ERP_SYNC, "sync", slug],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            waiting = wait_until(
                lambda: blocked_by(lock) or run.poll() is not None, timeout=300, what=f"the run to reach {point}"
            )
            assert run.poll() is None, f"the run ended ({run.returncode}) before reaching {point}"
        finally:
            os.killpg(run.pid, signal.SIGKILL)  # the command and the local API it started
            run.wait(30)
        lock.rollback()  # the dead run's connection gets the lock, then finds its client gone
        wait_until(lambda: gone(lock, int(waiting)), timeout=60, what="the dead run's connection to close")

    dead = state(pg_url, tenant_id)
    assert set(dead.stored.items()) <= set(export.hashes.items())
    assert dead.processes == dead.processes_used == dead.credits_used == len(dead.stored)
    assert dead.rows_covered <= len(dead.stored), "the cursor got ahead of the rows"
    if point == "first write":
        assert not dead.stored and dead.reserved == BATCH
    elif point == "mid-run":
        assert len(dead.stored) == 4 * BATCH and dead.reserved == BATCH  # row 100,001's template starts in batch 5
    else:
        assert len(dead.stored) == ROWS and dead.open_reservations == 0

    rerun = subprocess.run([ERP_SYNC, "sync", slug], env=env, capture_output=True, text=True, timeout=600)
    output = " ".join((rerun.stdout + rerun.stderr).split())
    assert rerun.returncode == 0, output[-2000:]
    assert "Traceback" not in output
    assert "gave back the slots of a command that was stopped" in output
    if dead.reserved:
        assert f"gave back {BATCH:,} credits and {BATCH:,} processes reserved by a run of {slug}" in output

    after = state(pg_url, tenant_id)
    assert after.stored == export.hashes, f"{point}: the shop differs from the export"
    assert after.processes == after.processes_used == after.credits_used == ROWS, f"{point}: counted twice or lost"
    assert (after.reserved, after.open_reservations) == (0, 0)
    assert Ledger(session_factory(pg_url)).usage(tenant_id).status == "active"
