"""Processes per day and entity over a billing period, for the usage chart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.models import UsageEvent, UsagePeriod, as_utc


@dataclass(frozen=True)
class DailyUsage:
    days: list[dt.date]  # every day of the period, in the tenant's timezone
    per_entity: dict[str, list[int]]  # processes on each of those days

    def totals(self) -> list[int]:
        return [sum(column) for column in zip(*self.per_entity.values(), strict=True)] or [0] * len(self.days)

    def to_json(self) -> dict[str, Any]:
        return {"days": [d.isoformat() for d in self.days], "per_entity": self.per_entity}


def period_days(starts_at: dt.datetime, ends_at: dt.datetime, timezone: str) -> list[dt.date]:
    zone = ZoneInfo(timezone)
    first = as_utc(starts_at).astimezone(zone).date()
    end = as_utc(ends_at).astimezone(zone).date()  # exclusive: midnight that starts the next period
    return [first + dt.timedelta(days=n) for n in range((end - first).days)]


def bucket_by_day(
    events: Iterable[tuple[str, dt.datetime, int]], days: list[dt.date], timezone: str
) -> dict[str, list[int]]:
    """(entity, when, amount) summed per entity and local day; entities in name order."""
    zone = ZoneInfo(timezone)
    index = {day: n for n, day in enumerate(days)}
    series: dict[str, list[int]] = {}
    for entity, when, amount in events:
        day = index.get(as_utc(when).astimezone(zone).date())
        if day is not None:
            series.setdefault(entity, [0] * len(days))[day] += amount
    return dict(sorted(series.items()))


def daily_processes(session: Session, tenant_id: int, period: str, timezone: str) -> DailyUsage:
    row = session.execute(
        select(UsagePeriod.id, UsagePeriod.starts_at, UsagePeriod.ends_at).where(
            UsagePeriod.tenant_id == tenant_id, UsagePeriod.period == period
        )
    ).one()
    events = session.execute(
        select(UsageEvent.entity, UsageEvent.created_at, UsageEvent.amount).where(
            UsageEvent.tenant_id == tenant_id, UsageEvent.period_id == row.id, UsageEvent.kind == "processes"
        )
    ).tuples()
    days = period_days(row.starts_at, row.ends_at, timezone)
    return DailyUsage(days, bucket_by_day(events, days, timezone))
