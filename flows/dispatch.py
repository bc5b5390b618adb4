"""The dispatcher: one scheduled flow that fans out to the tenants with work due.

A few deployments that take a ``tenant`` parameter, plus this fan-out, instead of one deployment
per tenant: hundreds of deployments slow Prefect's UI, and schedules then live in the shop DB,
where ``erp-sync tenant set --every`` edits them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from prefect import flow, get_client, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.deployments import run_deployment
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.root import process_root
from domain.groups import SYNC_GROUPS
from flows.heartbeat import beating
from flows.tenancy import VERBS, run_label, run_tags
from services.outbox import count_waiting
from services.tenants import list_tenants
from shop.models import Plan, SyncRun, Tenant

DEFAULT_EVERY_MINUTES = 60  # a group without a schedule hint
TARGETS = ("sync-tenant", "export-orders", "reconcile-deletes")
IN_FLIGHT = [StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING, StateType.PAUSED, StateType.CANCELLING]


@dataclass(frozen=True)
class Due:
    tenant: str
    plan: str
    parameters: dict[str, Any]


def due_groups(
    enabled: Iterable[str], schedules: dict[str, Any], last_started: dict[str, dt.datetime], now: dt.datetime
) -> list[str]:
    """The enabled groups whose last run started at least their interval ago, or never ran."""
    return [
        group
        for group in enabled
        if group not in last_started
        or now - last_started[group] >= dt.timedelta(minutes=int(schedules.get(group, DEFAULT_EVERY_MINUTES)))
    ]


def last_started(session: Session, tenant_id: int) -> dict[str, dt.datetime]:
    """When each group last ran, from ``sync_runs``: a held or failed run counts too, so a broken
    ERP is retried at the group's pace, not at every dispatch."""
    latest = select(SyncRun.entity, func.max(SyncRun.started_at)).where(SyncRun.tenant_id == tenant_id)
    rows = session.execute(latest.group_by(SyncRun.entity)).all()
    by_entity = {entity: _aware(started) for entity, started in rows}
    return {
        group: max(by_entity[e] for e in entities if e in by_entity)
        for group, entities in SYNC_GROUPS.items()
        if any(e in by_entity for e in entities)
    }


def _aware(instant: dt.datetime) -> dt.datetime:
    return instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)  # SQLite drops the zone


def may_start(target: str, status: str) -> bool:
    """A held tenant is left out, so it costs nothing until an upgrade or a new period lifts the
    hold; but one at its credit ceiling still reconciles, because deletes free credits and may
    lift the hold themselves."""
    return status == "active" or (target == "reconcile-deletes" and status == "over_credit_limit")


def due_tenants(target: str, now: dt.datetime) -> list[Due]:
    """Active tenants, not held by their quota (see ``may_start``), with work for ``target``."""
    root = process_root()
    sessions, ledger = root.sessions, root.ledger
    with sessions() as session:
        tenant_ids = [tenant.id for tenant in list_tenants(session)]
    due = []
    for tenant_id in tenant_ids:
        # Short sessions, one at a time: the ledger locks the tenant's row in its own transaction.
        if not may_start(target, ledger.refresh_status(tenant_id)):  # lifts a hold whose cause is gone first
            continue
        with sessions() as session:
            tenant = session.get_one(Tenant, tenant_id)
            parameters = work_for(session, tenant, target, now)
            if parameters is not None:
                due.append(Due(tenant.slug, session.get_one(Plan, tenant.plan_id).name, parameters))
    return due


def work_for(session: Session, tenant: Tenant, target: str, now: dt.datetime) -> dict[str, Any] | None:
    """The parameters of the run ``target`` needs for this tenant now, or None."""
    if target == "sync-tenant":
        groups = due_groups(tenant.entities, tenant.schedules, last_started(session, tenant.id), now)
        return {"tenant": tenant.slug, "entities": groups} if groups else None
    if target == "export-orders":
        return {"tenant": tenant.slug} if count_waiting(session, tenant.id) else None
    return {"tenant": tenant.slug}


def tenants_in_flight(deployment: str) -> set[str]:
    """Tenants with a run of the deployment scheduled, pending or running: a slow run is not
    stacked up behind at every dispatch."""
    runs_filter = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=IN_FLIGHT)))
    names_filter = DeploymentFilter(name=DeploymentFilterName(any_=[deployment]))
    busy: set[str] = set()
    with get_client(sync_client=True) as client:
        offset, page = 0, 200
        while True:
            runs = client.read_flow_runs(
                flow_run_filter=runs_filter, deployment_filter=names_filter, limit=page, offset=offset
            )
            busy.update(str(run.parameters.get("tenant")) for run in runs)
            if len(runs) < page:
                return busy
            offset += page


@flow(name="dispatch-due-tenants", flow_run_name="dispatch {target}")
@beating
def dispatch_due_tenants(target: str = "sync-tenant") -> list[dict[str, Any]]:
    """Start a ``target`` run (sync-tenant, export-orders, reconcile-deletes) for every active,
    not held tenant with work due (a tenant at its credit ceiling still reconciles), tagged with
    its tenant and plan; never waits for them."""
    if target not in TARGETS:
        raise ValueError(f"unknown target '{target}' (known: {', '.join(TARGETS)})")
    logger = get_run_logger()
    busy = tenants_in_flight(target)
    started = []
    for due in due_tenants(target, dt.datetime.now(dt.UTC)):
        if due.tenant in busy:
            logger.info("%s: a %s run is already on its way", due.tenant, target)
            continue
        # A sync flow: run_deployment dispatches (async_dispatch) to its sync variant, a FlowRun.
        run = cast(
            FlowRun,
            run_deployment(
                f"{target}/{target}",
                parameters=due.parameters,
                tags=run_tags(due.tenant, due.plan),
                flow_run_name=run_label(VERBS[target], due.parameters),
                timeout=0,
                as_subflow=False,
            ),
        )
        started.append({**due.parameters, "flow_run_id": str(run.id)})
    if started:
        create_table_artifact(table=started, key=f"dispatch-{target}", description=f"{target} runs started")
    logger.info("%s: %d runs started", target, len(started))
    return started
