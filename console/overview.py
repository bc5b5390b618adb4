"""Everything the console shows about one tenant, read from the ledger and the shop DB.

The credit, process, forecast, storage and alert figures are the very report `erp-sync quota`
prints (``quotas.report.quota_report``), so the page and the CLI cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from domain.groups import SYNC_GROUPS
from quotas.daily import DailyUsage, daily_processes
from quotas.ledger import Ledger
from quotas.plans import next_plan_up
from quotas.report import QuotaReport, quota_report
from records.plans import monthly_allowance
from services.outbox import list_orders
from services.tenant_settings import effective_priorities
from services.tenants import list_plans, plan_terms, public_options
from shop.audit import recent_changes
from shop.models import AuditEntry, Order, Plan, QuarantinedRecord, SyncRun, Tenant, as_utc
from shop.quarantine import list_quarantined

RECENT_RUNS = 20
LISTED = 100  # quarantined records and orders shown; the counts say how many there are in all
OPEN_ORDERS = ("pending", "sending", "failed")  # waiting in the outbox, in flight, or refused by the ERP


class PlanInfo(BaseModel):
    name: str
    metric: str  # credits, or orders: sized in orders sent a month
    max_credits: int
    max_orders: int | None
    monthly_price_eur: Decimal
    monthly_allowance: int


class RunInfo(BaseModel):
    entity: str
    state: str
    message: str
    started_at: dt.datetime
    duration_seconds: float
    fetched: int
    written: int
    processes: int
    credits: int
    quarantined: int


class QuarantineInfo(BaseModel):
    id: int
    entity: str
    source_ref: str
    reason: str
    last_seen_at: dt.datetime


class OrderInfo(BaseModel):
    number: str
    placed_at: dt.datetime
    total: Decimal
    export_state: str
    export_attempts: int
    export_error: str | None


class ChangeInfo(BaseModel):
    at: dt.datetime
    actor: str
    action: str
    details: dict[str, Any]


class SettingsInfo(BaseModel):
    entities: list[str]
    schedules: dict[str, int]
    priorities: list[str]
    groups: list[str]  # every group a tenant can switch on


class Overview(BaseModel):
    tenant: str
    erp: str
    erp_options: dict[str, Any]  # without anything that looks like a secret
    quota: QuotaReport
    plan: PlanInfo
    next_plan: PlanInfo | None
    daily: DailyUsage
    runs: list[RunInfo]
    quarantine: list[QuarantineInfo]
    quarantined_total: int
    orders: list[OrderInfo]
    settings: SettingsInfo
    changes: list[ChangeInfo]
    plan_requested: str | None  # the latest plan asked for, while ops have not applied it


def build_overview(sessions: sessionmaker[Session], ledger: Ledger, tenant_id: int) -> Overview:
    report = quota_report(sessions, ledger, tenant_id)
    with sessions() as session:
        tenant = session.get_one(Tenant, tenant_id)
        plan = session.get_one(Plan, tenant.plan_id)
        changes = [change_info(c) for c in recent_changes(session, tenant_id)]
        quarantined = list_quarantined(session, tenant_id)
        return Overview(
            tenant=tenant.slug,
            erp=tenant.erp_kind,
            erp_options=public_options(tenant.erp_options),
            quota=report,
            plan=plan_info(plan),
            next_plan=_next_plan(session, plan),
            daily=daily_processes(session, tenant_id, report.period, tenant.timezone),
            runs=[_run(r) for r in _recent_runs(session, tenant_id)],
            quarantine=[_quarantined(r) for r in quarantined[:LISTED]],
            quarantined_total=len(quarantined),
            orders=[_order(o) for o in list_orders(session, tenant_id, OPEN_ORDERS)[:LISTED]],
            settings=settings_info(tenant),
            changes=changes,
            plan_requested=_pending_request(changes, plan.name),
        )


def plan_info(plan: Plan) -> PlanInfo:
    return PlanInfo(
        name=plan.name,
        metric=plan.metric,
        max_credits=plan.max_credits,
        max_orders=plan.max_orders,
        monthly_price_eur=plan.monthly_price_eur,
        monthly_allowance=monthly_allowance(plan.max_credits),
    )


def change_info(entry: AuditEntry) -> ChangeInfo:
    return ChangeInfo(at=as_utc(entry.created_at), actor=entry.actor, action=entry.action, details=entry.details)


def settings_info(tenant: Tenant) -> SettingsInfo:
    return SettingsInfo(
        entities=tenant.entities,
        schedules=tenant.schedules,
        priorities=effective_priorities(tenant),
        groups=list(SYNC_GROUPS),
    )


def _next_plan(session: Session, current: Plan) -> PlanInfo | None:
    plans = {p.name: p for p in list_plans(session)}
    bigger = next_plan_up(plan_terms(current), [plan_terms(p) for p in plans.values()])
    return plan_info(plans[bigger.name]) if bigger else None


def _pending_request(changes: list[ChangeInfo], current_plan: str) -> str | None:
    latest = next((c for c in changes if c.action == "plan_request"), None)  # newest first
    return latest.details["to"] if latest and latest.details["to"] != current_plan else None


def _recent_runs(session: Session, tenant_id: int) -> Sequence[SyncRun]:
    query = select(SyncRun).where(SyncRun.tenant_id == tenant_id)
    return session.scalars(query.order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).limit(RECENT_RUNS)).all()


def _run(run: SyncRun) -> RunInfo:
    return RunInfo(
        entity=run.entity,
        state=run.state,
        message=run.message,
        started_at=as_utc(run.started_at),
        duration_seconds=round((as_utc(run.ended_at) - as_utc(run.started_at)).total_seconds(), 1),
        fetched=run.fetched,
        written=run.written,
        processes=run.processes,
        credits=run.credits,
        quarantined=run.quarantined,
    )


def _quarantined(record: QuarantinedRecord) -> QuarantineInfo:
    return QuarantineInfo(
        id=record.id,
        entity=record.entity,
        source_ref=record.source_ref,
        reason=record.reason,
        last_seen_at=as_utc(record.last_seen_at),
    )


def _order(order: Order) -> OrderInfo:
    return OrderInfo(
        number=order.number,
        placed_at=as_utc(order.placed_at),
        total=order.total,
        export_state=order.export_state or "",
        export_attempts=order.export_attempts,
        export_error=order.export_error,
    )
