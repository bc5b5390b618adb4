"""One import flow per group of entities; each runs the pipeline's import loop with its steps as
Prefect tasks, and turns the outcome into a state, an artifact and events."""

from __future__ import annotations

from typing import Any

from prefect import Flow, flow, get_run_logger
from prefect.states import Cancelled, State
from prefect.utilities.annotations import quote

from domain.batch import Batch
from domain.groups import SYNC_GROUPS
from flows.heartbeat import beating
from flows.reporting import Progress, emit_exhausted, emit_thresholds, publish_report
from flows.tenant_run import start_run
from pipeline.dry_run import DryRun
from pipeline.imports import ImportOutcome, Observer, Pending, Steps, import_entity
from pipeline.load import LoadTarget
from records.erp import Page
from tasks.load import load_batch
from tasks.transform import transform_batch


def _transform(page: Page, entity: str) -> Batch:
    # quote(): Prefect would otherwise walk every value of a page to look for futures.
    return transform_batch(quote(page), entity)  # type: ignore[call-overload]


def _submit_load(batch: Batch, target: LoadTarget, batch_no: int, dry_run: DryRun | None) -> Pending:
    return load_batch.submit(quote(batch), target, batch_no, dry_run)  # type: ignore[call-overload]


TASK_STEPS = Steps(_transform, _submit_load)


def run_import(tenant: str, entity: str, dry_run: DryRun | None = None) -> dict[str, Any] | State:
    """The pipeline's import of one entity, recorded in ``sync_runs`` and reported to the UI.

    A quota stop returns a Cancelled state named ``CreditCeiling`` or ``ProcessBudget``: not a
    failure (flow retries and failure alerts stay quiet), and its message carries the numbers.
    A dry run that meets a stop completes with its counts, logs where the real run would stop
    and keeps it in ``dry_run.stop``; it emits no event.
    """
    dry = dry_run is not None
    run = start_run(tenant, entity, dry_run=dry)
    logger = get_run_logger()
    root = run.root
    target = LoadTarget(root.sessions, run.tenant_id, tenant, run.run_id, root.settings.lease_seconds, under_slot=True)
    progress = Progress(tenant, entity)
    observer = Observer(
        expected=progress.expect, advanced=progress.advance, thresholds=emit_thresholds, note=logger.info
    )
    outcome = ImportOutcome(entity)
    try:
        import_entity(
            target,
            entity,
            root.settings.batch_size,
            dry_run=dry_run,
            steps=TASK_STEPS,
            observer=observer,
            outcome=outcome,
            secrets=root.secrets,
        )
    except Exception as exc:
        run.finish("Failed", str(exc), outcome.totals.counts())
        raise
    totals = outcome.totals
    if outcome.held is not None:
        message = f"held, nothing launched: {outcome.held}"
        logger.warning("%s %s", entity, message)
        run.finish("DryRun" if dry else outcome.held.state_name, message, totals.counts())
        return Cancelled(name=outcome.held.state_name, message=message)
    progress.finish()
    publish_report(tenant, entity, totals, root.ledger.usage(run.tenant_id, dry_run=dry), dry)
    if dry and outcome.stop is not None:
        message = f"{outcome.summary}; a real run would stop here in {outcome.stop.state_name}: {outcome.stop}"
        logger.warning("%s", message)
        run.finish("DryRun", message, totals.counts())
        return totals.counts()
    if outcome.stop is not None:
        emit_exhausted(outcome.stop)
        logger.warning("%s; stopped: %s", outcome.summary, outcome.stop)
        run.finish(outcome.stop.state_name, str(outcome.stop), totals.counts())
        return Cancelled(name=outcome.stop.state_name, message=str(outcome.stop))
    logger.info(outcome.summary)
    run.finish("DryRun" if dry else "Completed", outcome.summary, totals.counts())
    return totals.counts()


def run_group(tenant: str, group: str, dry_run: DryRun | None) -> dict[str, Any] | State:
    """The group's entities in dependency order; a quota stop in one stops the rest (in a dry run,
    where the real run would stop)."""
    results: dict[str, Any] = {}
    for entity in SYNC_GROUPS[group]:
        outcome = run_import(tenant, entity, dry_run)
        if isinstance(outcome, State):
            return outcome
        results[entity] = outcome
        if dry_run is not None and dry_run.stop is not None:
            break
    return results


def import_flow(group: str, summary: str) -> Flow[[str, bool], dict[str, Any] | State]:
    """One flow per group of entities, each run named after its tenant and group in the UI."""

    def run(tenant: str, dry_run: bool = False) -> dict[str, Any] | State:
        return run_group(tenant, group, DryRun() if dry_run else None)

    run.__doc__ = summary
    label = group.replace("_", " ")
    return flow(name=f"import-{group.replace('_', '-')}", flow_run_name=f"import {{tenant}} · {label}")(beating(run))


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
