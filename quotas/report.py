"""A tenant's usage as the CLI and the artifacts show it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from quotas.ledger import Ledger, count_credits
from shop.models import Alert, UsageEvent, UsagePeriod


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
        alerts=[
            {"kind": a.kind, "threshold": a.threshold, "used": a.used, "limit": a.limit, "at": a.created_at.isoformat()}
            for a in alerts
        ],
    )
