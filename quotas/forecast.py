"""When the process allowance runs out at the current rate: a straight line through the
period's usage so far."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Forecast:
    daily_rate: float  # processes per day, averaged over the period's days so far (today included)
    runs_out_on: dt.date | None  # the day the allowance is used up; None: not within this period
    exhausted: bool  # already used up

    def sentence(self) -> str:
        if self.exhausted:
            return "the allowance is used up for this period"
        if self.runs_out_on is None:
            return "at the current rate the allowance lasts the whole period"
        return f"at the current rate the allowance runs out on {self.runs_out_on:%-d %b}"


def forecast_allowance(used: int, allowance: int, first_day: dt.date, last_day: dt.date, today: dt.date) -> Forecast:
    """Usage is assumed to go on at the average of the days elapsed so far (``first_day`` through
    ``today``); the allowance runs out on the first day whose cumulative usage reaches it.
    ``last_day`` is the period's last day, inclusive."""
    if not first_day <= today <= last_day:
        raise ValueError(f"{today} is not within the period {first_day} – {last_day}")
    if used < 0 or allowance < 0:
        raise ValueError("usage and allowance cannot be negative")
    elapsed = (today - first_day).days + 1
    rate = used / elapsed
    if used >= allowance:
        return Forecast(rate, today, exhausted=True)
    if used == 0:
        return Forecast(0.0, None, exhausted=False)
    # Day n (1-based) ends with n × rate used: the first n with n × used / elapsed ≥ allowance,
    # in integer maths so 100 a day against 1,000 ends on day 10, not 11 by a rounding error.
    day = -(-allowance * elapsed // used)
    runs_out_on = first_day + dt.timedelta(days=day - 1)
    return Forecast(rate, runs_out_on if runs_out_on <= last_day else None, exhausted=False)
