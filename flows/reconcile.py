"""Reconcile deletes for a tenant: a periodic comparison of the ERP's ids with the shop's."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.runtime import flow_run
from prefect.states import Cancelled, State

from app.settings import get_settings
from domain.entities import SYNC_GROUPS
from flows.reporting import emit_exhausted, install_log_filter
from flows.sync_tenant import entities_to_run
from flows.tenancy import holds_tenant, run_name
from pipeline.extract import open_source
from pipeline.load import LoadTarget
from quotas.ledger import Ledger
from services.tenants import get_tenant
from shop.db import session_factory
from tasks.reconcile import reconcile_entity


@flow(name="reconcile-deletes", flow_run_name=run_name("reconcile"))
@holds_tenant
def reconcile_deletes(tenant: str, entities: list[str] | None = None) -> dict[str, Any] | State:
    """Delete from the shop what the ERP no longer has, children before parents (contacts before
    customers, stock before products). Each delete is a process and frees its credit, so a tenant
    at its credit ceiling may reconcile; a spent process budget (pause plans) holds it."""
    install_log_filter()
    settings = get_settings()
    url = settings.database_url
    with session_factory(url)() as session:
        tenant_id = get_tenant(session, tenant).id
    held = Ledger(session_factory(url), lease_seconds=settings.lease_seconds).held(tenant_id)
    if held is not None and held.kind == "processes":
        return Cancelled(name=held.state_name, message=f"held, nothing launched: {held}")
    target = LoadTarget(url, tenant_id, tenant, str(flow_run.id) if flow_run.id else None, settings.lease_seconds)
    order = [e for group in entities_to_run(tenant, entities) for e in SYNC_GROUPS[group]]
    results: dict[str, Any] = {}
    for entity in reversed(order):
        result = reconcile_entity(open_source(url, tenant_id, entity), target, entity, settings.batch_size)
        results[entity] = result.counts()
        get_run_logger().info("%s: %s", entity, result.counts())
        if result.exceeded is not None:
            emit_exhausted(result.exceeded)
            return Cancelled(name=result.exceeded.state_name, message=str(result.exceeded))
    create_table_artifact(
        table=[{"entity": entity, **counts} for entity, counts in results.items()],
        key=f"{tenant}-reconcile".lower(),
        description=f"Deletes reconciled for {tenant}",
    )
    return results
