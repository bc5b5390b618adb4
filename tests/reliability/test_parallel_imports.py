"""One tenant's imports side by side on Postgres, as a wave of `sync` runs them: every batch's
write and usage commit in one transaction each, all of them on the same tenant row. None may
deadlock: each insert takes a key-share lock on the tenant's row (its foreign key), so the ledger
must lock that row in a mode that does not wait for them."""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier

import pytest

from devkit.samples import write_admin_users, write_customers, write_products, write_sales_reps
from pipeline.imports import ImportOutcome, import_entity
from pipeline.load import LoadTarget
from quotas.ledger import Ledger
from tests.db import session_factory

pytestmark = pytest.mark.reliability

ENTITIES = ("products", "customers", "sales_reps", "admin_users")
ROUNDS = 20
BATCH = 5  # many small batches: many commits of each import overlap with the others'


def export(folder: Path, round_no: int) -> None:
    """A new export each round, so every batch writes and commits usage."""
    write_products(folder, 40 + round_no, bad_rows=False)
    write_customers(folder, 20 + round_no, bad_rows=False)
    write_sales_reps(folder, 5 + round_no)
    write_admin_users(folder, [f"admin{n}@shop.example" for n in range(3 + round_no)])
    stamp = (round_no + 1) * 10**9
    for path in folder.iterdir():
        os.utime(path, ns=(stamp, stamp))


def test_four_parallel_imports_of_one_tenant_never_deadlock(make_tenant, pg_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tenant_id, slug = make_tenant("business", path=str(tmp_path))
    sessions = session_factory(pg_url)
    start = Barrier(len(ENTITIES))

    def run(entity: str) -> ImportOutcome:
        target = LoadTarget(sessions, tenant_id, slug, f"par-{uuid.uuid4().hex[:12]}", 60)
        start.wait()  # all four begin together
        return import_entity(target, entity, BATCH)

    with ThreadPoolExecutor(len(ENTITIES)) as pool:
        for round_no in range(ROUNDS):
            export(tmp_path, round_no)
            outcomes = list(pool.map(run, ENTITIES))  # a deadlock raises here
            assert [o.stop for o in outcomes] == [None] * len(ENTITIES), f"round {round_no}"
            assert all(o.totals.written > 0 for o in outcomes), f"round {round_no}: {outcomes}"
    usage = Ledger(sessions).usage(tenant_id)
    assert usage.processes_reserved == 0 and usage.credits_reserved == 0
