"""The pure quota rules from the seed, without a database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from quotas import CreditCount, PlanTerms, crossed, monthly_allowance, period_for, recommend_plan
from quotas.errors import QuotaExceeded

PLANS = [
    PlanTerms("starter", 1_000, Decimal(49)),
    PlanTerms("basic", 2_500, Decimal(89)),
    PlanTerms("business", 5_000, Decimal(149)),
]


def test_the_seed_example_is_2748_credits() -> None:
    assert CreditCount(variants=340, customers=1_200, contacts=1_200, sales_reps=5, admin_users=3).total == 2_748


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="contacts"):
        CreditCount(contacts=-1)


@pytest.mark.parametrize(
    ("credits", "allowance"), [(0, 0), (1, 40), (1_000, 39_900), (2_748, 109_646), (5_000, 199_500)]
)
def test_monthly_allowance_is_credits_times_30_plus_33_percent_rounded_up(credits: int, allowance: int) -> None:
    assert monthly_allowance(credits) == allowance


def test_recommendation_keeps_the_margin() -> None:
    assert recommend_plan(2_748, PLANS, margin=0.2).name == "business"  # type: ignore[union-attr]
    assert recommend_plan(2_000, PLANS, margin=0.2).name == "basic"  # type: ignore[union-attr]
    assert recommend_plan(2_100, PLANS, margin=0.2).name == "business"  # type: ignore[union-attr]  # 2,520 > 2,500
    assert recommend_plan(2_100, PLANS, margin=0.0).name == "basic"  # type: ignore[union-attr]
    assert recommend_plan(4_500, PLANS, margin=0.2) is None


def test_period_is_the_month_in_the_tenants_timezone() -> None:
    late_utc = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)  # already 1 December in Madrid
    assert period_for(late_utc, "Europe/Madrid").key == "2026-12"
    assert period_for(late_utc, "UTC").key == "2026-11"
    madrid = period_for(dt.datetime(2026, 12, 15, tzinfo=dt.UTC), "Europe/Madrid")
    assert madrid.starts_at == dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC)
    assert madrid.ends_at == dt.datetime(2026, 12, 31, 23, 0, tzinfo=dt.UTC)
    assert period_for(dt.datetime(2026, 12, 31, 23, 0, tzinfo=dt.UTC), "Europe/Madrid").key == "2027-01"


def test_thresholds_fire_on_crossing_only() -> None:
    assert crossed(0, 79, 100) == []
    assert crossed(0, 80, 100) == [80]
    assert crossed(79, 95, 100) == [80, 90]
    assert crossed(85, 100, 100) == [90, 100]
    assert crossed(90, 95, 100) == []
    assert crossed(95, 90, 100) == []
    assert crossed(0, 2_200, 2_748) == [80]  # 2,198.4 is 80 % of the seed example


def test_quota_exceeded_names_the_state_and_the_numbers() -> None:
    exc = QuotaExceeded("demo", "credits", 2_748, 2_748, refused=152)
    assert exc.state_name == "CreditCeiling"
    assert str(exc) == "2,748/2,748 credits used; 152 new records not imported (tenant demo)"
    assert QuotaExceeded("demo", "processes", 10, 10).state_name == "ProcessBudget"
