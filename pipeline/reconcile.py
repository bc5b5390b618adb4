"""Reconcile deletes: records the shop holds that the ERP no longer has are deleted.

A delete is a process (metered through the quota guard) and frees its credit. Keys are read
from the ERP's raw rows, so a record the ERP still has but that fails validation is never
deleted; an ERP that lists nothing at all is refused rather than emptying the shop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from domain.entities import get_spec
from domain.groups import SYNC_GROUPS
from erp_adapters.errors import MalformedSource
from pipeline.extract import Secrets, Source, from_environment, open_source
from pipeline.load import LoadTarget
from quotas.errors import QuotaExceeded
from quotas.guard import BatchGuard
from records.erp import Entity
from shop.bulk import delete_keys, shop_keys
from shop.db import unit_of_work


@dataclass(frozen=True)
class ReconcileResult:
    entity: str
    in_erp: int
    in_shop: int
    deleted: int
    credits_freed: int
    exceeded: QuotaExceeded | None = None

    def counts(self) -> dict[str, int]:
        return {
            "in_erp": self.in_erp,
            "in_shop": self.in_shop,
            "deleted": self.deleted,
            "credits_freed": self.credits_freed,
        }


def erp_keys(source: Source, entity: str, page_size: int) -> set[tuple[str, ...]]:
    key = get_spec(entity).key
    found: set[tuple[str, ...]] = set()
    for page in source.adapter.snapshot(Entity(entity), page_size):
        missing = [k for k in key if k not in page.fields]
        if missing:
            raise MalformedSource(f"{page.source}: no column for key field {', '.join(map(repr, missing))}")
        columns = [page.frame[page.fields[k]].astype(str).str.strip().tolist() for k in key]
        found.update(k for k in zip(*columns, strict=True) if all(k))
    return found


def reconcile(source: Source, target: LoadTarget, entity: str, page_size: int) -> ReconcileResult:
    spec = get_spec(entity)
    in_erp = erp_keys(source, entity, page_size)
    with target.sessions() as session:
        in_shop = shop_keys(session, spec.table, target.tenant_id, spec.key)
    gone = sorted(in_shop - in_erp)
    if not gone:
        return ReconcileResult(entity, len(in_erp), len(in_shop), 0, 0)
    if not in_erp:
        raise MalformedSource(
            f"{entity}: the ERP's export lists no records; refusing to delete all {len(in_shop):,} from the shop"
        )
    ledger = target.ledger()
    key = f"{target.tenant}:{target.flow_run_id}:{entity}:deletes"
    with BatchGuard(ledger, target.tenant_id, key, credited=False) as guard:
        admission = guard.admit(new=0, updates=len(gone))
        doomed = gone[: admission.writes]
        with unit_of_work(target.sessions) as session:
            before = ledger.recount_in(session, target.tenant_id).total
            deleted = delete_keys(session, spec.table, target.tenant_id, spec.key, doomed)
            guard.commit(session, new_written=0, written=deleted, entity=entity, flow_run_id=target.flow_run_id)
            freed = before - ledger.recount_in(session, target.tenant_id).total
    return ReconcileResult(entity, len(in_erp), len(in_shop), deleted, freed, admission.exceeded)


ReconcileStep = Callable[[Source, LoadTarget, str, int], ReconcileResult]


@dataclass
class TenantReconcile:
    results: dict[str, ReconcileResult] = field(default_factory=dict)
    held: QuotaExceeded | None = None  # the process budget is spent: nothing was launched

    @property
    def exceeded(self) -> QuotaExceeded | None:
        return next((r.exceeded for r in self.results.values() if r.exceeded is not None), None)


def reconcile_tenant(
    target: LoadTarget,
    groups: list[str],
    page_size: int,
    *,
    secrets: Secrets = from_environment,
    step: ReconcileStep = reconcile,
) -> TenantReconcile:
    """Delete from the shop what the ERP no longer has, children before parents (contacts before
    customers, stock before products). Each delete is a process and frees its credit, so a tenant
    at its credit ceiling may reconcile; a spent process budget (pause plans) holds it. A quota
    stop ends the reconcile at that entity."""
    held = target.ledger().held(target.tenant_id)
    if held is not None and held.kind == "processes":
        return TenantReconcile(held=held)
    outcome = TenantReconcile()
    for entity in reversed([e for group in groups for e in SYNC_GROUPS[group]]):
        source = open_source(target.sessions, target.tenant_id, entity, secrets)
        result = outcome.results[entity] = step(source, target, entity, page_size)
        if result.exceeded is not None:
            break
    return outcome
