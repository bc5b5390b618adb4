"""Plan rules from the seed: credits sizing, the monthly process allowance, plan recommendation."""

from __future__ import annotations

from collections.abc import Iterable

from records.plans import PlanTerms


def recommend_plan(credits: int, plans: Iterable[PlanTerms], margin: float) -> PlanTerms | None:
    """The smallest plan that holds ``credits`` plus the safety margin (the seed advises one,
    because changing plan later may cost); None when no plan is big enough."""
    needed = credits * (1 + margin)
    fitting = [plan for plan in plans if plan.metric == "credits" and plan.max_credits >= needed]
    return min(fitting, key=lambda plan: plan.max_credits, default=None)


def next_plan_up(current: PlanTerms, plans: Iterable[PlanTerms]) -> PlanTerms | None:
    """The smallest plan of the same family that holds more than ``current`` (credits, or orders
    a month); None on the family's biggest. An order-volume plan is no step up from a credit plan."""

    def size(plan: PlanTerms) -> int:
        return (plan.max_orders or 0) if plan.metric == "orders" else plan.max_credits

    bigger = [plan for plan in plans if plan.metric == current.metric and size(plan) > size(current)]
    return min(bigger, key=lambda plan: (size(plan), plan.monthly_price_eur), default=None)
