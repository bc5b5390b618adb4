"""The import of one entity for one tenant: extract → transform → guard → load → ledger, batch by
batch from the saved cursor. Plain Python: the Prefect flow, the crash test, the property tests
and the benchmarks all run this same loop; the flow only passes Prefect-task versions of the two
steps (``Steps``) and turns the outcome into a state, artifacts and events. A dry run runs this
loop too, with a ``DryRun`` (``pipeline.dry_run``) that every step consults instead of writing.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import asdict, dataclass, field, replace
from typing import Protocol

from domain.batch import Batch
from domain.entities import get_spec
from domain.transform import drop_repeated, transform_page
from pipeline.dry_run import DryRun
from pipeline.extract import Secrets, from_environment, open_source
from pipeline.load import LoadResult, LoadTarget, load
from pipeline.retry_quarantine import RetrySelection, orphan_ids, retry_quarantined
from quotas.errors import QuotaExceeded
from quotas.thresholds import ThresholdCrossed
from records.erp import Page
from shop.bulk import holds_any


class Pending(Protocol):
    """A batch load under way: a ``concurrent.futures.Future`` or a Prefect task's future."""

    def result(self) -> LoadResult: ...


@dataclass(frozen=True)
class Steps:
    """How the loop runs its two per-batch steps. ``submit_load`` starts a batch's load and returns
    at once, so the next page is read and transformed while it runs."""

    transform: Callable[[Page, str], Batch]
    submit_load: Callable[[Batch, LoadTarget, int, DryRun | None], Pending]


def transform_entity_page(page: Page, entity: str) -> Batch:
    return transform_page(page, get_spec(entity))


def plain_steps(loader: ThreadPoolExecutor) -> Steps:
    """The steps as plain calls, the load on ``loader``'s thread."""
    return Steps(transform_entity_page, lambda *args: loader.submit(load, *args))


@dataclass
class RunTotals:
    fetched: int = 0
    unchanged: int = 0
    written: int = 0
    credits: int = 0
    quarantined: int = 0
    refused: int = 0

    def add(self, result: LoadResult) -> None:
        for name in asdict(self):
            setattr(self, name, getattr(self, name) + getattr(result, name))

    @property
    def processes(self) -> int:
        return self.written

    def counts(self) -> dict[str, int]:
        return {
            "fetched": self.fetched,
            "unchanged": self.unchanged,
            "written": self.written,
            "quarantined": self.quarantined,
            "processes": self.processes,
            "credits": self.credits,
        }


@dataclass
class ImportOutcome:
    entity: str
    totals: RunTotals = field(default_factory=RunTotals)
    held: QuotaExceeded | None = None  # the tenant was held before the run: nothing was launched
    stop: QuotaExceeded | None = None  # the guard stopped the run at a quota

    @property
    def summary(self) -> str:
        t = self.totals
        return (
            f"{self.entity}: {t.fetched:,} fetched, {t.unchanged:,} unchanged, {t.written:,} written, "
            f"{t.quarantined:,} quarantined; {t.processes:,} processes, {t.credits:,} credits"
        )


@dataclass(frozen=True)
class Observer:
    """What the caller hears while the loop runs; every hook is optional."""

    expected: Callable[[int | None], None] = lambda rows: None  # how many rows the source announces
    advanced: Callable[[int], None] = lambda rows: None  # rows read and settled
    thresholds: Callable[[list[ThresholdCrossed]], None] = lambda crossings: None
    note: Callable[[str], None] = lambda line: None


QUIET = Observer()


def import_entity(
    target: LoadTarget,
    entity: str,
    batch_size: int,
    *,
    dry_run: DryRun | None = None,
    steps: Steps | None = None,
    observer: Observer = QUIET,
    outcome: ImportOutcome | None = None,
    secrets: Secrets = from_environment,
) -> ImportOutcome:
    """Import ``entity`` for ``target``'s tenant from its saved cursor.

    A held tenant launches nothing (``outcome.held``). A quota stop (``outcome.stop``) is not an
    error: what fit is written, the rest waits, and the stop carries how many records wait.
    A read or transform failure raises after the batch in flight has been counted; a caller that
    passes its own ``outcome`` keeps the counts of such a run.

    With ``dry_run`` the loop takes every step but the writes, and its counts are what the real
    run would count on the same data; a stop it meets is also kept in ``dry_run.stop``.
    """
    ledger = target.ledger()
    outcome = outcome or ImportOutcome(entity)
    outcome.held = ledger.held(target.tenant_id) if dry_run is None else dry_run.held(ledger, target.tenant_id)
    if outcome.held is not None:
        return outcome
    if dry_run is None:
        ledger.recount_credits(target.tenant_id)  # a dry run's budget starts from the same recount
    if steps is None:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"load-{entity}") as loader:
            return _run_batches(target, entity, batch_size, dry_run, plain_steps(loader), observer, outcome, secrets)
    return _run_batches(target, entity, batch_size, dry_run, steps, observer, outcome, secrets)


def _run_batches(
    target: LoadTarget,
    entity: str,
    batch_size: int,
    dry_run: DryRun | None,
    steps: Steps,
    observer: Observer,
    outcome: ImportOutcome,
    secrets: Secrets,
) -> ImportOutcome:
    totals = outcome.totals
    waiting = 0  # records the rest of the export holds beyond the stop, counted without writing
    loading: Pending | None = None
    in_flight = 0  # rows read for the batch now loading
    counting: DryRun | None = None  # beyond a quota stop: what waits is counted, not written

    def mode() -> DryRun | None:
        nonlocal counting
        if outcome.stop is None:
            return dry_run
        counting = counting or DryRun.past_stop(dry_run)
        return counting

    def settle() -> None:
        """Wait for the batch in flight and count it."""
        nonlocal loading, waiting
        assert loading is not None
        loaded, loading = loading, None
        result = loaded.result()
        observer.advanced(in_flight)
        if outcome.stop is not None:
            waiting += result.created if outcome.stop.kind == "credits" else result.written
            return
        totals.add(result)
        observer.thresholds(result.thresholds)
        outcome.stop = result.exceeded

    try:
        source = open_source(target.sessions, target.tenant_id, entity, secrets)
        target = replace(target, first_import=not holds_any_record(target, entity))
        observer.expected(source.estimate(entity))
        seen: set[tuple[str, ...]] = set()  # keys of this run's earlier pages: a repeat is a duplicate
        for batch_no, page in enumerate(source.pages(entity, batch_size)):
            # Batch N+1 is read and transformed while batch N loads: the database works on one
            # core while Python works on the other. Batches still load one at a time, in order,
            # and each knows whether the one before it stopped at a quota.
            batch = drop_repeated(steps.transform(page, entity), seen)
            if loading is not None:
                settle()
            loading = steps.submit_load(batch, target, batch_no, mode())
            in_flight = batch.fetched
        if loading is not None:
            settle()
        if outcome.stop is None:
            outcome.stop = heal_orphans(target, entity, totals, observer, secrets, dry_run)
    except Exception:
        if loading is not None:
            # A failed read or transform: the batch in flight still counts. If that load failed
            # too, the read's error is the one reported.
            with suppress(Exception):
                settle()
        raise
    if outcome.stop is not None:
        stop = outcome.stop
        outcome.stop = QuotaExceeded(stop.tenant, stop.kind, stop.used, stop.limit, stop.refused + waiting)
        if dry_run is not None:
            dry_run.stop = outcome.stop
    return outcome


def holds_any_record(target: LoadTarget, entity: str) -> bool:
    with target.sessions() as session:
        return holds_any(session, get_spec(entity).table, target.tenant_id)


def heal_orphans(
    target: LoadTarget,
    entity: str,
    totals: RunTotals,
    observer: Observer,
    secrets: Secrets,
    dry_run: DryRun | None = None,
) -> QuotaExceeded | None:
    """Records quarantined because their parent was missing (a contact before its customer) are
    retried at the end of every import of their entity, so they load once the parent arrives.
    A dry run counts what that retry would write."""
    if get_spec(entity).parent is None:
        return None
    ids = orphan_ids(target.sessions, target.tenant_id, entity)
    if not ids:
        return None
    selection = RetrySelection(tuple(ids), entity)
    summaries = retry_quarantined(
        target.sessions,
        target.tenant_id,
        target.tenant,
        selection,
        target.lease_seconds,
        secrets=secrets,
        dry_run=dry_run,
    )
    for summary in summaries:
        totals.written += summary.processes
        totals.credits += summary.credits
        observer.note(f"waiting for their parent: {summary.line()}")
    return next((s.exceeded for s in summaries if s.exceeded is not None), None)
