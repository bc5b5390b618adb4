"""A tenant's usage as the CLI and the artifacts show it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from quotas.daily import period_days
from quotas.forecast import forecast_allowance
from quotas.ledger import Ledger, Usage, count_credits
from quotas.periods import BillingPeriod
from quotas.storage import measure_storage
from shop.models import Alert, Tenant, UsageEvent, UsagePeriod, as_utc, now_utc


@dataclass(frozen=True)
class QuotaReport:
    tenant: str
    plan: str
    status: str
    period: str
    credits_used: int
    credits_max: int
    credits_left: int
    credit_breakdown: dict[str, int]
    processes_used: int
    process_breakdown: dict[str, int]  # processes this period per entity
    processes_reserved: int
    processes_allowance: int
    policy: str
    forecast: dict[str, Any]  # when the allowance (processes, or orders on order plans) runs out at this rate
    storage: dict[str, Any]  # bytes in the shop DB and in files, against the included 10 GB
    metric: str = "credits"
    orders_used: int = 0  # orders sent to the ERP this period (metered on order-volume plans)
    orders_max: int | None = None
    alerts: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def quota_report(sessions: sessionmaker[Session], ledger: Ledger, tenant_id: int) -> QuotaReport:
    """Credits are counted from the shop DB here, not taken from the ledger's running level."""
    usage = ledger.usage(tenant_id)
    with sessions() as session:
        tenant = session.get_one(Tenant, tenant_id)
        storage = measure_storage(session, tenant)
        counted = count_credits(session, tenant_id)
        alerts = session.scalars(
            select(Alert).where(Alert.tenant_id == tenant_id, Alert.period == usage.period.key).order_by(Alert.id)
        ).all()
        per_entity = session.execute(
            select(UsageEvent.entity, func.sum(UsageEvent.amount))
            .join(UsagePeriod, UsagePeriod.id == UsageEvent.period_id)
            .where(
                UsageEvent.tenant_id == tenant_id,
                UsageEvent.kind == "processes",
                UsagePeriod.period == usage.period.key,
            )
            .group_by(UsageEvent.entity)
            .order_by(UsageEvent.entity)
        ).all()
    return QuotaReport(
        tenant=usage.tenant,
        plan=usage.plan,
        status=usage.status,
        period=usage.period.key,
        credits_used=counted.total,
        credits_max=usage.credits_max,
        credits_left=max(usage.credits_max - counted.total, 0),
        credit_breakdown={
            "variants": counted.variants,
            "customers": counted.customers,
            "contacts": counted.contacts,
            "sales_reps": counted.sales_reps,
            "admin_users": counted.admin_users,
        },
        processes_used=usage.processes_used,
        process_breakdown={entity: int(amount) for entity, amount in per_entity if amount},
        processes_reserved=usage.processes_reserved,
        processes_allowance=usage.processes_allowance,
        policy=usage.policy,
        metric=usage.metric,
        orders_used=usage.orders_used,
        orders_max=usage.orders_max,
        forecast=_forecast(*_metered(usage), usage.period, tenant.timezone),
        storage=storage.to_json(),
        alerts=[
            {
                "kind": a.kind,
                "threshold": a.threshold,
                "used": a.used,
                "limit": a.limit,
                "at": as_utc(a.created_at).isoformat(),
                "sent_at": as_utc(a.sent_at).isoformat() if a.sent_at else None,  # to the shop owner
            }
            for a in alerts
        ],
    )


def _metered(usage: Usage) -> tuple[int, int]:
    """What the period's allowance is counted in: orders on an order-volume plan, else processes."""
    if usage.metric == "orders":
        return usage.orders_used, usage.orders_max or 0
    return usage.processes_used, usage.processes_allowance


def _forecast(used: int, allowance: int, period: BillingPeriod, timezone: str) -> dict[str, Any]:
    days = period_days(period.starts_at, period.ends_at, timezone)
    today = now_utc().astimezone(ZoneInfo(timezone)).date()
    forecast = forecast_allowance(used, allowance, days[0], days[-1], min(max(today, days[0]), days[-1]))
    return {
        "daily_rate": round(forecast.daily_rate, 1),
        "runs_out_on": forecast.runs_out_on.isoformat() if forecast.runs_out_on else None,
        "exhausted": forecast.exhausted,
        "sentence": forecast.sentence(),
    }
