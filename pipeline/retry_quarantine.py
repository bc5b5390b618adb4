"""Retry quarantined records: re-validate their stored raw rows with the tenant's current column
mapping and load the ones that pass, metered by the quota guard like any other write.

The rows are taken from the quarantine table, not from the ERP, so a retry never reads the
source and never moves the entity's cursor. Records that pass are marked resolved; records that
still fail keep their row (same fingerprint) with the new reason and a newer ``last_seen_at``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from uuid import uuid4

import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from domain.batch import Batch, fingerprint
from domain.entities import SPECS, get_spec
from domain.specs import EntitySpec
from domain.transform import DUPLICATE, transform_page
from erp_adapters.base import ErpAdapter
from erp_adapters.errors import AdapterConfigError, MalformedSource
from pipeline.dry_run import DryRun
from pipeline.extract import Secrets, from_environment, open_adapter
from pipeline.load import ORPHAN_REASON, LoadTarget, load
from quotas.errors import QuotaExceeded
from quotas.ledger import Ledger
from records.erp import Entity, Page
from records.errors import InvalidInput
from shop.bulk import compare_hashes
from shop.db import unit_of_work
from shop.models import QuarantinedRecord
from shop.quarantine import (
    Quarantined,
    get_quarantined,
    list_quarantined,
    mark_resolved,
    quarantine,
    restore_source_refs,
)

SOURCE = "quarantine retry"  # the page's source; reasons and refs keep each record's own source


@dataclass(frozen=True)
class RetrySelection:
    """Which records to retry: these ids, or (no ids) every unresolved one, of ``entity`` if given."""

    ids: tuple[int, ...] = ()
    entity: str | None = None


@dataclass(frozen=True)
class RetrySummary:
    entity: str
    retried: int = 0
    loaded: int = 0  # in the shop now, so resolved (unchanged ones cost nothing)
    still_quarantined: int = 0
    processes: int = 0
    credits: int = 0
    waiting: int = 0  # of the still quarantined: records the quota guard did not let in
    exceeded: QuotaExceeded | None = None

    def __add__(self, other: RetrySummary) -> RetrySummary:
        return RetrySummary(
            self.entity,
            self.retried + other.retried,
            self.loaded + other.loaded,
            self.still_quarantined + other.still_quarantined,
            self.processes + other.processes,
            self.credits + other.credits,
            self.waiting + other.waiting,
            self.exceeded or other.exceeded,
        )

    def line(self) -> str:
        text = (
            f"{self.entity}: {self.retried:,} retried, {self.loaded:,} loaded, "
            f"{self.still_quarantined:,} still quarantined; {self.processes:,} processes, {self.credits:,} credits"
        )
        if self.waiting:
            text += f"; {self.waiting:,} not loaded because of the quota"
        return text


@dataclass(frozen=True)
class _Stored:
    id: int
    entity: str
    source_ref: str
    raw: dict[str, str]
    fingerprint: str


def retry_quarantined(
    sessions: sessionmaker[Session],
    tenant_id: int,
    tenant_slug: str,
    selection: RetrySelection,
    lease_seconds: int = 900,
    *,
    page_size: int = 5000,
    secrets: Secrets = from_environment,
    dry_run: DryRun | None = None,
) -> list[RetrySummary]:
    """One summary per entity retried, in dependency order (customers before their contacts),
    in pages of at most ``page_size`` records, each page one guarded load.

    A tenant held by its quota launches nothing. A quota stop mid-retry stores what fits and
    leaves the rest quarantined; the summaries then carry the stop in ``exceeded``.
    """
    with sessions() as session:
        stored = [_snapshot(r) for r in _select(session, tenant_id, tenant_slug, selection)]
    by_entity = _by_entity(stored)
    if not by_entity:
        return []
    ledger = Ledger(sessions, lease_seconds=lease_seconds)
    held = ledger.held(tenant_id) if dry_run is None else dry_run.held(ledger, tenant_id)
    if held is not None:
        return [RetrySummary(e, len(rs), 0, len(rs), waiting=len(rs), exceeded=held) for e, rs in by_entity]
    if dry_run is None:  # a dry run's budget was recounted when it was read
        ledger.recount_credits(tenant_id)
    adapter = open_adapter(sessions, tenant_id, secrets)
    # Fits the 36-character run-id columns; each retry is metered under its own idempotency keys.
    target = LoadTarget(sessions, tenant_id, tenant_slug, f"quarantine-retry-{uuid4().hex[:19]}", lease_seconds)
    batch_numbers = itertools.count()
    summaries: list[RetrySummary] = []
    stop: QuotaExceeded | None = None
    for entity, records in by_entity:
        spec = get_spec(entity)
        summary = RetrySummary(entity)
        for group in _pages(records, page_size):
            if stop is not None:  # at the ceiling no more processes are launched: the rest waits
                summary += RetrySummary(entity, len(group), 0, len(group), waiting=len(group))
                continue
            outcome = _retry_group(adapter, spec, group, target, next(batch_numbers), dry_run)
            summary += outcome
            stop = outcome.exceeded
        summaries.append(replace(summary, exceeded=stop))
    return summaries


def _select(
    session: Session, tenant_id: int, tenant_slug: str, selection: RetrySelection
) -> Sequence[QuarantinedRecord]:
    if selection.entity is not None:
        get_spec(selection.entity)  # an unknown entity is one clear line
    if not selection.ids:
        # A duplicate key waits for the ERP to fix its export: loading it alone would overwrite the
        # copy that was kept. It can still be retried by id.
        return [r for r in list_quarantined(session, tenant_id, selection.entity) if not r.reason.startswith(DUPLICATE)]
    records = get_quarantined(session, tenant_id, tenant_slug, selection.ids)
    for record in records:
        if record.resolved_at is not None:
            raise InvalidInput(f"quarantined record {record.id} of '{tenant_slug}' is already resolved")
        if selection.entity is not None and record.entity != selection.entity:
            raise InvalidInput(f"quarantined record {record.id} is a {record.entity} record, not {selection.entity}")
    return records


def orphan_ids(sessions: sessionmaker[Session], tenant_id: int, entity: str) -> list[int]:
    """The entity's open records that were waiting for their parent."""
    with sessions() as session:
        return [r.id for r in list_quarantined(session, tenant_id, entity) if r.reason.endswith(ORPHAN_REASON)]


def _snapshot(record: QuarantinedRecord) -> _Stored:
    raw = {str(k): "" if v is None else str(v) for k, v in record.raw.items()}
    return _Stored(record.id, record.entity, record.source_ref, raw, record.fingerprint)


def _by_entity(stored: list[_Stored]) -> list[tuple[str, list[_Stored]]]:
    order = {name: position for position, name in enumerate(SPECS)}
    entities = sorted({r.entity for r in stored}, key=lambda e: (order.get(e, len(order)), e))
    # Oldest first within an entity, as the export had them: at the ceiling the first ones get in.
    return [(e, sorted((r for r in stored if r.entity == e), key=lambda r: r.id)) for e in entities]


def _pages(records: list[_Stored], page_size: int) -> Iterator[list[_Stored]]:
    """Records of different exports may have different columns: pages of one column set each, so
    no row gains a column it never had (its fingerprint would change)."""
    groups: dict[tuple[str, ...], list[_Stored]] = {}
    for record in records:
        groups.setdefault(tuple(record.raw), []).append(record)
    for group in groups.values():
        for start in range(0, len(group), page_size):
            yield group[start : start + page_size]


def _retry_group(
    adapter: ErpAdapter,
    spec: EntitySpec,
    group: list[_Stored],
    target: LoadTarget,
    batch_no: int,
    dry_run: DryRun | None = None,
) -> RetrySummary:
    """Retry one page of records; a dry run writes nothing and counts what the retry would load."""
    columns = list(group[0].raw)
    frame = pd.DataFrame([r.raw for r in group], columns=columns, dtype=object)
    try:
        entity = Entity(spec.name)
        fields = adapter.fields_for(entity, columns)
        batch = transform_page(Page(frame, fields, SOURCE, 1, {}, rules=adapter.rules_for(entity)), spec)
    except (MalformedSource, AdapterConfigError) as exc:
        # The mapping still lacks a required column: every record fails again, for that reason.
        reason = str(exc).removeprefix(f"{SOURCE}: ")
        if dry_run is None:
            with unit_of_work(target.sessions) as session:
                still = [Quarantined(r.source_ref, r.raw, reason, r.fingerprint) for r in group]
                quarantine(session, target.tenant_id, spec.name, still, target.flow_run_id)
        return RetrySummary(spec.name, len(group), 0, len(group))

    # Each record is matched back by the fingerprint of its raw row, so a record that fails again
    # updates its own quarantine row, under its own source reference.
    by_fingerprint = {fingerprint(r.raw): r for r in group}
    rejected = [_as_stored(q, by_fingerprint.get(q.fingerprint)) for q in batch.rejected]
    passed = [group[n - 1] for n in batch.row_numbers]  # the page starts at row 1: aligned with batch.rows
    result = load(replace(batch, rejected=rejected), target, batch_no, dry_run, save_cursor=False)
    # In the shop now, so resolved: what the load wrote or found unchanged.
    loaded = result.written + result.unchanged if dry_run is not None else _resolve(target, spec, batch, passed, group)
    return RetrySummary(
        spec.name,
        retried=len(group),
        loaded=loaded,
        still_quarantined=len(group) - loaded,
        processes=result.processes,
        credits=result.credits,
        waiting=result.refused,
        exceeded=result.exceeded,
    )


def _resolve(target: LoadTarget, spec: EntitySpec, batch: Batch, passed: list[_Stored], group: list[_Stored]) -> int:
    """Mark the records now in the shop resolved; returns how many."""
    with unit_of_work(target.sessions) as session:
        in_shop = compare_hashes(session, spec.table, target.tenant_id, spec.key, batch.rows).unchanged
        loaded = [r.id for r, ok in zip(passed, in_shop, strict=True) if ok]
        mark_resolved(session, target.tenant_id, loaded)
        # A record refused later in the load (its parent is missing) was re-quarantined under
        # this page's reference: give every record still open its own reference back.
        restore_source_refs(session, target.tenant_id, {r.id: r.source_ref for r in group if r.id not in loaded})
    return len(loaded)


def _as_stored(record: Quarantined, stored: _Stored | None) -> Quarantined:
    if stored is None:
        return record
    return replace(record, source_ref=stored.source_ref, fingerprint=stored.fingerprint)
