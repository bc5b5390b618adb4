"""The console's pure rules: the allowance forecast, days of a period, storage overage, the next
plan up, hiding secret options, the chart's drawing, and settings changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from console.chart import daily_chart
from domain.groups import DEFAULT_PRIORITIES
from quotas.daily import DailyUsage, bucket_by_day, period_days
from quotas.forecast import forecast_allowance
from quotas.plans import next_plan_up
from quotas.storage import GB, StorageUse
from records.errors import InvalidInput
from records.plans import PlanTerms
from services.tenant_settings import SettingsChange, apply_settings
from services.tenants import public_options
from shop.models import Tenant

NOV_1, NOV_30 = dt.date(2026, 11, 1), dt.date(2026, 11, 30)


def test_a_steady_rate_runs_out_on_the_day_it_reaches_the_allowance() -> None:
    forecast = forecast_allowance(500, 1_000, first_day=NOV_1, last_day=NOV_30, today=dt.date(2026, 11, 5))
    assert forecast.daily_rate == 100
    assert forecast.runs_out_on == dt.date(2026, 11, 10)  # day 10 ends with exactly 1,000 used
    assert forecast.sentence() == "at the current rate the allowance runs out on 10 Nov"


def test_a_slow_rate_lasts_the_period_and_no_usage_forecasts_nothing() -> None:
    slow = forecast_allowance(used=10, allowance=1_000, first_day=NOV_1, last_day=NOV_30, today=dt.date(2026, 11, 10))
    assert (slow.runs_out_on, slow.exhausted) == (None, False)
    assert slow.sentence() == "at the current rate the allowance lasts the whole period"
    idle = forecast_allowance(used=0, allowance=1_000, first_day=NOV_1, last_day=NOV_30, today=NOV_1)
    assert (idle.daily_rate, idle.runs_out_on) == (0, None)


def test_the_last_day_of_the_period_still_counts_and_a_used_up_allowance_says_so() -> None:
    # 100 used after 3 days against 1,000 runs out on day 30 exactly, the period's last day.
    edge = forecast_allowance(used=100, allowance=1_000, first_day=NOV_1, last_day=NOV_30, today=dt.date(2026, 11, 3))
    assert edge.runs_out_on == NOV_30
    spent = forecast_allowance(
        used=1_200, allowance=1_000, first_day=NOV_1, last_day=NOV_30, today=dt.date(2026, 11, 20)
    )
    assert spent.exhausted and spent.runs_out_on == dt.date(2026, 11, 20)
    assert spent.sentence() == "the allowance is used up for this period"


def test_a_forecast_outside_the_period_or_with_negative_usage_is_refused() -> None:
    with pytest.raises(ValueError, match="not within the period"):
        forecast_allowance(used=1, allowance=10, first_day=NOV_1, last_day=NOV_30, today=dt.date(2026, 12, 1))
    with pytest.raises(ValueError, match="negative"):
        forecast_allowance(used=-1, allowance=10, first_day=NOV_1, last_day=NOV_30, today=NOV_1)


def test_usage_is_bucketed_by_the_tenants_local_day() -> None:
    starts = dt.datetime(2026, 10, 31, 23, 0, tzinfo=dt.UTC)  # midnight 1 Nov in Madrid (UTC+1)
    ends = dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC)
    days = period_days(starts, ends, "Europe/Madrid")
    assert (days[0], days[-1], len(days)) == (NOV_1, NOV_30, 30)
    events = [
        ("stock", dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC), 5),  # 00:30 on 1 Nov in Madrid
        ("stock", dt.datetime(2026, 11, 1, 22, 0), 2),  # naive, as SQLite returns it: UTC
        ("products", dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC), 9),  # 1 Dec in Madrid: not this period
        ("products", dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC), 3),
    ]
    series = bucket_by_day(events, days, "Europe/Madrid")
    assert list(series) == ["products", "stock"]
    assert series["stock"][:2] == [7, 0] and sum(series["stock"]) == 7
    assert series["products"][:2] == [0, 3] and sum(series["products"]) == 3
    assert DailyUsage(days, series).totals()[:3] == [7, 3, 0]


@pytest.mark.parametrize(
    ("total", "extra_gb", "eur"),
    [(0, 0, "0.00"), (10 * GB, 0, "0.00"), (10 * GB + 1, 1, "2.30"), (12 * GB + GB // 2, 3, "6.90")],
)
def test_storage_over_the_included_10_gb_costs_2_3_eur_per_started_gb(total: int, extra_gb: int, eur: str) -> None:
    use = StorageUse(database_bytes=total // 2, file_bytes=total - total // 2, estimated=False)
    assert use.total_bytes == total
    assert (use.extra_gb, use.overage_eur) == (extra_gb, Decimal(eur))
    assert use.to_json()["overage_eur"] == eur


def test_the_next_plan_up_is_the_smallest_bigger_one_of_the_same_family() -> None:
    plans = [PlanTerms("business", 5_000, Decimal(149)), PlanTerms("starter", 1_000), PlanTerms("basic", 2_500)]
    assert next_plan_up(PlanTerms("starter", 1_000), plans) == PlanTerms("basic", 2_500)
    assert next_plan_up(PlanTerms("business", 5_000), plans) is None
    free = PlanTerms("free", 0, metric="orders", max_orders=20)
    small = PlanTerms("orders-100", 0, Decimal(19), metric="orders", max_orders=100)
    assert next_plan_up(free, [*plans, small]) == small  # within its family, by orders a month
    assert next_plan_up(PlanTerms("business", 5_000), [*plans, small]) is None


def test_options_that_look_secret_are_left_out_at_any_depth() -> None:
    options = {"path": "/srv/drop", "api_key": "k", "db": {"host": "erp", "Password": "p", "ssl": {"token": "t"}}}
    assert public_options(options) == {"path": "/srv/drop", "db": {"host": "erp", "ssl": {}}}


def test_the_chart_draws_one_titled_segment_per_entity_and_day_with_usage() -> None:
    days = [NOV_1, NOV_1 + dt.timedelta(days=1)]
    svg = str(daily_chart(DailyUsage(days, {"products": [4, 0], "<stock>": [1, 2]})))
    assert svg.count("<rect") == 3 + 2  # three segments, two legend keys
    assert "<title>1 Nov · products: 4</title>" in svg
    assert "&lt;stock&gt;" in svg and "<stock>" not in svg
    assert ">5</text>" in svg  # the scale's top is the busiest day: 4 + 1


def test_settings_changes_are_validated_whole_and_report_only_real_changes() -> None:
    tenant = Tenant(entities=["products", "stock"], schedules={}, priorities=[])
    same = SettingsChange(entities=["stock", "products"], priorities=list(DEFAULT_PRIORITIES))
    assert apply_settings(tenant, same) == {}  # reordered groups, the default order spelled out
    assert (tenant.entities, tenant.priorities) == (["products", "stock"], [])

    changed = apply_settings(tenant, SettingsChange(schedules={"stock": 15}, priorities=["stock", "stock"]))
    assert changed == {"schedules": {"from": {}, "to": {"stock": 15}}, "priorities": {"from": [], "to": ["stock"]}}
    with pytest.raises(InvalidInput, match="unknown entity 'orders'"):
        apply_settings(tenant, SettingsChange(entities=["orders"], schedules={"stock": 5}))
    assert tenant.schedules == {"stock": 15}  # a refused change applies nothing
    assert apply_settings(tenant, SettingsChange(schedules={"stock": None}))["schedules"]["to"] == {}
