"""The order export: drain a tenant's outbox to its ERP in batches, through the quota guard."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.states import Cancelled, State

from erp_adapters.errors import TransientErpError
from erp_adapters.orders import order_sink
from flows.heartbeat import beating
from flows.reporting import emit_exhausted, emit_thresholds, publish_export_report
from flows.tenancy import VERBS, run_name
from flows.tenant_run import start_run
from pipeline.send_orders import SendResult, export_outbox
from quotas.errors import QuotaExceeded
from services.outbox import count_waiting
from tasks.send_orders import send_batch


@flow(name="export-orders", flow_run_name=run_name(VERBS["export-orders"]))
@beating
def export_orders(tenant: str) -> dict[str, int] | State:
    """Send every order waiting in the tenant's outbox to its ERP, exactly once each.

    Ends ``Completed`` with the counts; ``Cancelled`` named ``CreditCeiling``, ``ProcessBudget``
    or ``OrderLimit`` when the quota holds the orders back (they wait in the outbox, nothing is
    lost); ``Failed`` when the ERP cannot be reached (the next run carries on).
    """
    run = start_run(tenant, "orders")
    root, tenant_id = run.root, run.tenant_id
    logger = get_run_logger()
    totals = SendResult()

    def finish(state: str, message: str) -> None:
        counts = {"fetched": totals.claimed, "written": totals.processes, "quarantined": totals.rejected}
        run.finish(state, message, {**counts, "processes": totals.processes})

    def waiting() -> int:
        with root.sessions() as session:
            return count_waiting(session, tenant_id)

    held = root.ledger.held(tenant_id)
    if held is not None:
        message = f"held, nothing launched: {held}; {waiting():,} orders wait in the outbox"
        logger.warning("orders %s", message)
        finish(held.state_name, message)
        return Cancelled(name=held.state_name, message=message)
    try:
        target = root.send_target(tenant_id, tenant, flow_run_id=run.run_id)
        export_outbox(
            target, order_sink(root.adapter(tenant_id)), step=send_batch, thresholds=emit_thresholds, totals=totals
        )
    except Exception as exc:
        finish("Failed", str(exc))
        raise
    left = waiting()
    counts = {
        "sent": totals.sent,
        "found": totals.found,
        "rejected": totals.rejected,
        "waiting": left,
        "processes": totals.processes,
    }
    publish_export_report(tenant, counts)
    summary = (
        f"orders: {totals.sent:,} sent, {totals.found:,} found already in the ERP, {totals.rejected:,} rejected, "
        f"{left:,} waiting; {totals.processes:,} processes"
    )
    if totals.exceeded is not None:
        refused = totals.exceeded
        stop = QuotaExceeded(refused.tenant, refused.kind, refused.used, refused.limit, left)
        emit_exhausted(stop)
        logger.warning("%s; stopped: %s", summary, stop)
        finish(stop.state_name, str(stop))
        return Cancelled(name=stop.state_name, message=str(stop))
    if totals.interrupted is not None:
        message = f"{totals.interrupted}; {summary}"
        finish("Failed", message)
        raise TransientErpError(message)
    logger.info(summary)
    finish("Completed", summary)
    return counts
