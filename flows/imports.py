"""One import flow per entity; all of them run the same batch pipeline."""

from __future__ import annotations

import sys
from typing import Any

from prefect import Flow, flow, get_run_logger
from prefect.futures import PrefectFuture
from prefect.states import Cancelled, State
from prefect.utilities.annotations import quote

from app.settings import get_settings
from domain.entities import SYNC_GROUPS, get_spec
from domain.transform import drop_repeated, transform_batch
from flows.reporting import (
    Progress,
    RunTotals,
    emit_exhausted,
    emit_thresholds,
    publish_report,
)
from flows.tenant_run import start_run
from pipeline.extract import open_source
from pipeline.load import LoadResult, LoadTarget, load_batch
from pipeline.retry_quarantine import RetrySelection, orphan_ids, retry_quarantined
from quotas.errors import QuotaExceeded
from shop.bulk import holds_any
from shop.db import session_factory

# The load thread makes a few dozen short database round trips per batch while the flow's
# thread transforms the next page; after each one it waits for the GIL, by default up to 5 ms.
GIL_SWITCH_SECONDS = 0.0005


def run_import(tenant: str, entity: str, dry_run: bool = False) -> dict[str, Any] | State:
    """Extract → transform → guarded load, batch by batch, from the saved cursor.

    A quota stop returns a Cancelled state named ``CreditCeiling`` or ``ProcessBudget``: not a
    failure (flow retries and failure alerts stay quiet), and its message carries the numbers.
    """
    run = start_run(tenant, entity)
    settings, url, tenant_id, run_id, ledger = run.settings, run.url, run.tenant_id, run.run_id, run.ledger
    logger = get_run_logger()
    totals = RunTotals()

    def finish(state: str, message: str) -> None:
        run.finish(state, message, totals.counts())

    held = ledger.held(tenant_id)
    if held is not None:
        message = f"held, nothing launched: {held}"
        logger.warning("%s %s", entity, message)
        finish(held.state_name, message)
        return Cancelled(name=held.state_name, message=message)
    if not dry_run:
        ledger.recount_credits(tenant_id)

    stop: QuotaExceeded | None = None
    waiting = 0  # records the rest of the export holds beyond the stop, counted without writing
    loading: PrefectFuture[LoadResult] | None = None
    in_flight = 0  # rows read for the batch now loading

    def settle(rows: int) -> None:
        """Wait for the batch in flight and count it."""
        nonlocal loading, stop, waiting
        assert loading is not None
        loaded, loading = loading, None
        result = loaded.result()
        progress.advance(rows)
        if stop is not None:
            waiting += result.created if stop.kind == "credits" else result.written
            return
        totals.add(result)
        emit_thresholds(result.thresholds)
        stop = result.exceeded

    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    try:
        source = open_source(url, tenant_id, entity)
        fresh = first_import(url, tenant_id, entity)
        target = LoadTarget(url, tenant_id, tenant, run_id, settings.lease_seconds, first_import=fresh)
        progress = Progress(tenant, entity, source.estimate(entity))
        seen: set[tuple[str, ...]] = set()  # keys of this run's earlier pages: a repeat is a duplicate
        for batch_no, page in enumerate(source.pages(entity, settings.batch_size)):
            # Batch N+1 is read and transformed while batch N loads: the database works on one
            # core while Python works on the other. Batches still load one at a time, in order,
            # and each knows whether the one before it stopped at a quota.
            # quote(): Prefect would otherwise walk every value of a page to look for futures.
            batch = drop_repeated(transform_batch(quote(page), entity), seen)
            if loading is not None:
                settle(in_flight)
            loading = load_batch.submit(quote(batch), target, batch_no, dry_run or stop is not None)
            in_flight = batch.fetched
        if loading is not None:
            settle(in_flight)
        progress.finish()
        if stop is None and not dry_run:
            stop = heal_orphans(tenant, tenant_id, entity, totals)
    except Exception as exc:
        if loading is not None:  # a failed read or transform: the batch in flight still counts
            loading.wait()
            if loading.state.is_completed():
                settle(in_flight)
        finish("Failed", str(exc))
        raise
    publish_report(tenant, entity, totals, ledger.usage(tenant_id), dry_run)
    summary = (
        f"{entity}: {totals.fetched:,} fetched, {totals.unchanged:,} unchanged, {totals.written:,} written, "
        f"{totals.quarantined:,} quarantined; {totals.processes:,} processes, {totals.credits:,} credits"
    )
    if stop is not None:
        stop = QuotaExceeded(stop.tenant, stop.kind, stop.used, stop.limit, stop.refused + waiting)
        emit_exhausted(stop)
        logger.warning("%s; stopped: %s", summary, stop)
        finish(stop.state_name, str(stop))
        return Cancelled(name=stop.state_name, message=str(stop))
    logger.info(summary)
    finish("DryRun" if dry_run else "Completed", summary)
    return totals.counts()


def first_import(url: str, tenant_id: int, entity: str) -> bool:
    with session_factory(url)() as session:
        return not holds_any(session, get_spec(entity).table, tenant_id)


def heal_orphans(tenant: str, tenant_id: int, entity: str, totals: RunTotals) -> QuotaExceeded | None:
    """Records quarantined because their parent was missing (a contact before its customer) are
    retried at the end of every import of their entity, so they load once the parent arrives."""
    if get_spec(entity).parent is None:
        return None
    settings = get_settings()
    ids = orphan_ids(settings.database_url, tenant_id, entity)
    if not ids:
        return None
    selection = RetrySelection(tuple(ids), entity)
    summaries = retry_quarantined(settings.database_url, tenant_id, tenant, selection, settings.lease_seconds)
    for summary in summaries:
        totals.written += summary.processes
        totals.credits += summary.credits
        get_run_logger().info("waiting for their parent: %s", summary.line())
    return next((s.exceeded for s in summaries if s.exceeded is not None), None)


def run_group(tenant: str, group: str, dry_run: bool) -> dict[str, Any] | State:
    """The group's entities in dependency order; a quota stop in one stops the rest."""
    results: dict[str, Any] = {}
    for entity in SYNC_GROUPS[group]:
        outcome = run_import(tenant, entity, dry_run)
        if isinstance(outcome, State):
            return outcome
        results[entity] = outcome
    return results


def import_flow(group: str, summary: str) -> Flow[[str, bool], dict[str, Any] | State]:
    """One flow per group of entities, each run named after its tenant and group in the UI."""

    def run(tenant: str, dry_run: bool = False) -> dict[str, Any] | State:
        return run_group(tenant, group, dry_run)

    run.__doc__ = summary
    label = group.replace("_", " ")
    return flow(run, name=f"import-{group.replace('_', '-')}", flow_run_name=f"import {{tenant}} · {label}")


import_products = import_flow("products", "Product variants (one record each) and their templates.")
import_stock = import_flow("stock", "Stock levels per variant and warehouse.")
import_sales_reps = import_flow("sales_reps", "Sales reps.")
import_admin_users = import_flow("admin_users", "Admin users of the shop's back office.")
import_customers = import_flow("customers", "Customers, then their contacts (a contact needs its customer first).")
import_invoices = import_flow("invoices", "Invoices, then delivery notes (albaranes), each with its lines.")
import_pending_orders = import_flow("pending_orders", "Orders open in the ERP, with their state and lines.")

IMPORT_FLOWS = {
    "products": import_products,
    "stock": import_stock,
    "sales_reps": import_sales_reps,
    "admin_users": import_admin_users,
    "customers": import_customers,
    "invoices": import_invoices,
    "pending_orders": import_pending_orders,
}
