"""What the shop holds for one tenant, read the same way by every test that checks it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from shop.models import UsageEvent


def tenant_rows(session: Session, tenant_id: int, *columns: InstrumentedAttribute[Any]) -> list[tuple[Any, ...]]:
    """``columns`` (of one model) of each of the tenant's records, ordered by the first; two
    columns make a ``dict`` of key → value."""
    model = columns[0].class_
    rows = session.execute(select(*columns).where(model.tenant_id == tenant_id).order_by(columns[0])).all()
    return [tuple(row) for row in rows]


def processes_counted(session: Session, tenant_id: int) -> int:
    """The processes the tenant's usage events add up to: the ledger's record, not its counter."""
    total = session.scalar(
        select(func.coalesce(func.sum(UsageEvent.amount), 0)).where(
            UsageEvent.tenant_id == tenant_id, UsageEvent.kind == "processes"
        )
    )
    return int(total or 0)
