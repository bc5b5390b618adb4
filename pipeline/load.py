"""Load: diff a batch against the shop DB, reserve what the changes cost, write them, commit.

The rows, the quarantined records, the usage and the cursor go in one transaction: a crash
never counts a write that did not happen nor loses one that did. Unchanged rows cost nothing.

A dry run (``pipeline.dry_run``) takes the same steps: the parent check, the diff and the guard,
against the shop plus what the dry run would have written, and against a budget in memory
instead of the ledger. Only the write itself is left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from domain.batch import Batch
from domain.entities import get_spec
from pipeline.dry_run import DryRun
from quotas.errors import QuotaExceeded
from quotas.guard import BatchGuard
from quotas.ledger import Ledger
from quotas.thresholds import ThresholdCrossed
from shop import cursors
from shop.bulk import Comparison, compare_hashes, existing_hashes, upsert_frame
from shop.db import unit_of_work
from shop.quarantine import quarantine


@dataclass(frozen=True)
class LoadTarget:
    """Where a batch goes: the shop database's sessions and whose batch it is."""

    sessions: sessionmaker[Session]
    tenant_id: int
    tenant: str
    flow_run_id: str | None = None
    lease_seconds: int = 900
    # The tenant held no record of the entity when the run began: as a run never loads a key
    # twice (``drop_repeated``), every row it loads is new and needs no diff. A first import of
    # a million variants so skips a million lookups.
    first_import: bool = False
    # The run holds the tenant's slot (a flow's import or reconcile): its reservations say so, and
    # the tenant's next run gives back any it left open when it was killed.
    under_slot: bool = False

    def ledger(self) -> Ledger:
        return Ledger(self.sessions, lease_seconds=self.lease_seconds, under_slot=self.under_slot)


@dataclass(frozen=True)
class LoadResult:
    fetched: int = 0
    unchanged: int = 0
    written: int = 0
    created: int = 0
    credits: int = 0  # the new records of credited entities
    quarantined: int = 0
    refused: int = 0
    cursor_saved: bool = False
    exceeded: QuotaExceeded | None = None
    thresholds: list[ThresholdCrossed] = field(default_factory=list)

    @property
    def processes(self) -> int:
        return self.written


@dataclass(frozen=True)
class Diff:
    new: pd.DataFrame
    changed: pd.DataFrame
    unchanged: int


def diff(batch: Batch, target: LoadTarget, dry_run: DryRun | None = None) -> Diff:
    spec = get_spec(batch.entity)
    rows = batch.rows
    if target.first_import:
        found = Comparison(np.ones(len(rows), dtype=bool), np.zeros(len(rows), dtype=bool))
    else:
        with target.sessions() as session:
            found = compare_hashes(session, spec.table, target.tenant_id, spec.key, rows)
    if dry_run is not None:
        found = dry_run.compared(spec.table.name, spec.key, rows, found)
    if found.new.all():  # every row is new (a first import): the batch as it is, not a copy
        return Diff(rows, rows.iloc[:0], 0)
    return Diff(rows[found.new], rows[found.changed], int(found.unchanged.sum()))


ORPHAN_REASON = "is not in the shop yet"  # ends the reason of a record whose parent is missing


def without_orphans(batch: Batch, target: LoadTarget, dry_run: DryRun | None = None) -> Batch:
    """Records whose parent is not in the shop yet (a contact of an unknown customer) are
    quarantined with that reason instead of written: they are retried once the parent arrives.
    In a dry run, a parent the same run would have written counts as there."""
    parent = get_spec(batch.entity).parent
    if parent is None or batch.rows.empty:
        return batch
    wanted = batch.rows[parent.column]
    values = wanted.unique()
    with target.sessions() as session:
        known = set(existing_hashes(session, parent.table, target.tenant_id, parent.key, values))
    if dry_run is not None:
        known |= dry_run.holds(parent.table.name, values)
    orphan = (~wanted.isin(list(known))).to_numpy()
    if not orphan.any():
        return batch
    reasons = [f"{parent.label} '{value}' {ORPHAN_REASON}" for value in wanted[orphan]]
    return batch.refuse(orphan, reasons)


def load(
    batch: Batch,
    target: LoadTarget,
    batch_no: int,
    dry_run: DryRun | None = None,
    *,
    save_cursor: bool = True,
) -> LoadResult:
    """``save_cursor=False`` leaves the entity's cursor alone (a quarantine retry is not a read of
    the source, so it must not move where the next sync starts). ``dry_run``: every step but the
    write, metered against the dry run's budget; the result is what the real load would return."""
    spec = get_spec(batch.entity)
    batch = without_orphans(batch, target, dry_run)
    delta = diff(batch, target, dry_run)
    fetched, quarantined = batch.fetched, len(batch.rejected)
    ledger = target.ledger()
    meter = ledger if dry_run is None else dry_run.budget(ledger, target.tenant_id, target.tenant)
    idempotency_key = f"{target.tenant}:{target.flow_run_id}:{batch.entity}:{batch_no}"
    with BatchGuard(meter, target.tenant_id, idempotency_key, credited=spec.credited) as guard:
        admission = guard.admit(new=len(delta.new), updates=len(delta.changed))
        # Updates first, then new records, each in source order: deterministic at the ceiling.
        updates = delta.changed.head(admission.writes)
        created = delta.new.head(min(admission.new, admission.writes - len(updates)))
        writes = pd.concat([updates, created]) if len(created) else updates
        complete = admission.exceeded is None and not guard.already_applied and dry_run is None
        if dry_run is not None:
            dry_run.wrote(spec.table.name, spec.key, writes)
            inserted, written = len(created), len(writes)
            crossings = guard.commit(None, new_written=inserted, written=written, entity=batch.entity)
        else:
            inserted, written, crossings = _write(target, batch, writes, len(created), guard, complete and save_cursor)
    return LoadResult(
        fetched=fetched,
        unchanged=delta.unchanged + len(writes) - written,
        quarantined=quarantined,
        written=written,
        created=inserted,
        credits=inserted if spec.credited else 0,
        refused=len(delta.new) + len(delta.changed) - len(writes),
        cursor_saved=complete and save_cursor,
        exceeded=admission.exceeded,
        thresholds=crossings,
    )


def _write(
    target: LoadTarget, batch: Batch, writes: pd.DataFrame, created: int, guard: BatchGuard, save_cursor: bool
) -> tuple[int, int, list[ThresholdCrossed]]:
    """The admitted rows, the quarantined records, the cursor and the usage, in one transaction.
    Returns the records inserted, the records written and the thresholds crossed."""
    spec = get_spec(batch.entity)
    with unit_of_work(target.sessions) as session:
        spec.before_write(session, target.tenant_id, writes)
        done = upsert_frame(session, spec.table, target.tenant_id, writes[[*spec.columns, "row_hash"]], spec.key)
        quarantine(session, target.tenant_id, batch.entity, batch.rejected, target.flow_run_id)
        if save_cursor:
            cursors.save_cursor(session, target.tenant_id, batch.entity, batch.cursor)
        # What the database really wrote is what is counted: a concurrent run that wrote the
        # same rows first leaves them unchanged here. A record a concurrent reconcile deleted
        # meanwhile comes back as an insert; its credit shows at the next recount.
        inserted = min(done.inserted, created)
        written = min(done.total, len(writes))
        crossings = guard.commit(
            session,
            new_written=inserted,
            written=written,
            entity=batch.entity,
            flow_run_id=target.flow_run_id,
        )
    return inserted, written, crossings
