"""Billing periods: calendar months in the tenant's timezone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class BillingPeriod:
    key: str  # YYYY-MM
    starts_at: dt.datetime  # UTC
    ends_at: dt.datetime  # UTC, exclusive

    def contains(self, instant: dt.datetime) -> bool:
        return self.starts_at <= instant < self.ends_at


def period_for(instant: dt.datetime, timezone: str) -> BillingPeriod:
    """The month that contains ``instant`` (aware) as the tenant's wall clock sees it."""
    zone = ZoneInfo(timezone)
    local = instant.astimezone(zone)
    start = dt.datetime(local.year, local.month, 1, tzinfo=zone)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    end = dt.datetime(year, month, 1, tzinfo=zone)
    return BillingPeriod(
        key=f"{local.year:04d}-{local.month:02d}",
        starts_at=start.astimezone(dt.UTC),
        ends_at=end.astimezone(dt.UTC),
    )
