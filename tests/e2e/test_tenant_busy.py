"""A run whose tenant's slot another run holds waits a bounded time, says every 10 s what it waits
for and who holds it, then ends in a named stop, TenantBusy: not a failure, not a hang. The flow
runs on a temporary Prefect API; the slot is held by this test as another run would hold it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect.states import State

from devkit.samples import write_products
from flows.concurrency import tenant_limit, tenant_slots
from flows.sync_tenant import sync_tenant
from shop.models import ProductVariant
from tests.db import session_factory
from tests.shop_reads import tenant_rows

pytestmark = pytest.mark.usefixtures("prefect_harness", "shop_env")


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def run_log() -> Iterator[Kept]:
    kept, logger = Kept(), logging.getLogger("prefect.flow_runs")
    logger.addHandler(kept)
    try:
        yield kept
    finally:
        logger.removeHandler(kept)


def test_a_run_that_cannot_get_its_slot_ends_tenant_busy(
    make_tenant: Any, pg_url: str, tmp_path: Path, run_log: Kept, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_products(tmp_path, 5, bad_rows=False)
    tenant_id, slug = make_tenant("starter", path=str(tmp_path))
    monkeypatch.setenv("ERP_SYNC_SLOT_WAIT_SECONDS", "12")  # one "still waiting" line at 10 s, then the end

    with tenant_slots({tenant_limit(slug): 1}):  # another run of the tenant, holding its slot
        state = sync_tenant(tenant=slug, return_state=True)

    assert isinstance(state, State) and state.is_cancelled() and state.name == "TenantBusy", state
    assert f"for tenant:{slug}: another run of the tenant holds it" in str(state.message)
    waits = [line for line in run_log.lines if line.startswith("waiting ") and f"tenant:{slug}" in line]
    assert len(waits) == 1 and "(gives up after 12 s)" in waits[0], run_log.lines
    with session_factory(pg_url)() as session:
        assert tenant_rows(session, tenant_id, ProductVariant.sku) == []  # it waited; it imported nothing

    again = sync_tenant(tenant=slug, return_state=True)  # the slot is free: the next run works
    assert isinstance(again, State) and again.is_completed(), again
    with session_factory(pg_url)() as session:
        assert len(tenant_rows(session, tenant_id, ProductVariant.sku)) == 5
