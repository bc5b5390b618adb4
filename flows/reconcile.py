"""Reconcile deletes for a tenant: a periodic comparison of the ERP's ids with the shop's."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.runtime import flow_run
from prefect.states import Cancelled, State

from app.root import process_root
from flows.heartbeat import beating
from flows.reporting import emit_exhausted, install_log_filter
from flows.tenancy import VERBS, holds_tenant, run_name
from pipeline.load import LoadTarget
from pipeline.reconcile import reconcile_tenant
from pipeline.run_plan import groups_to_run
from services.tenants import get_tenant
from tasks.reconcile import reconcile_entity


@flow(name="reconcile-deletes", flow_run_name=run_name(VERBS["reconcile-deletes"]))
@beating
@holds_tenant
def reconcile_deletes(tenant: str, entities: list[str] | None = None) -> dict[str, Any] | State:
    """The pipeline's reconcile of the tenant's groups, one task run per entity
    (``pipeline.reconcile.reconcile_tenant``)."""
    install_log_filter()
    root = process_root()
    with root.sessions() as session:
        tenant_id = get_tenant(session, tenant).id
    run_id = str(flow_run.id) if flow_run.id else None
    target = LoadTarget(root.sessions, tenant_id, tenant, run_id, root.settings.lease_seconds, under_slot=True)
    groups = groups_to_run(root.sessions, tenant, entities)
    outcome = reconcile_tenant(target, groups, root.settings.batch_size, secrets=root.secrets, step=reconcile_entity)
    if outcome.held is not None:
        return Cancelled(name=outcome.held.state_name, message=f"held, nothing launched: {outcome.held}")
    results = {entity: result.counts() for entity, result in outcome.results.items()}
    for entity, counts in results.items():
        get_run_logger().info("%s: %s", entity, counts)
    if outcome.exceeded is not None:
        emit_exhausted(outcome.exceeded)
        return Cancelled(name=outcome.exceeded.state_name, message=str(outcome.exceeded))
    create_table_artifact(
        table=[{"entity": entity, **counts} for entity, counts in results.items()],
        key=f"{tenant}-reconcile".lower(),
        description=f"Deletes reconciled for {tenant}",
    )
    return results
