"""A dry run's budget meters like the ledger: the same batches through the same guard get the same
admissions, stops and levels, on Postgres, and the budget writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from quotas import BatchGuard, Ledger, PlanTerms
from quotas.budget import Budget
from quotas.guard import Meter
from services.tenants import save_plan
from shop.models import Reservation, UsageEvent, UsagePeriod
from tests.db import session_factory, unit_of_work

# (new records, updates) per batch; None: a batch whose write fails after its admission.
BATCHES: list[tuple[int, int] | None] = [(60, 0), None, (30, 3_000), (5, 0), (30, 2_000), (1, 1)]


def admissions(meter: Meter, tenant_id: int, url: str | None) -> list[tuple[int, int, Any]]:
    """Each batch through ``BatchGuard``, committed as a load commits (what was admitted is written);
    with ``url`` the commit goes into a transaction of that database, else (a budget) into none."""
    seen: list[tuple[int, int, Any]] = []
    for number, batch in enumerate(BATCHES):
        if batch is None:
            with pytest.raises(RuntimeError), BatchGuard(meter, tenant_id, f"b-{number}") as guard:
                guard.admit(new=40, updates=40)
                raise RuntimeError("the write failed: the guard refunds")
            continue
        new, updates = batch
        with BatchGuard(meter, tenant_id, f"b-{number}") as guard:
            admission = guard.admit(new=new, updates=updates)
            if url is None:
                guard.commit(None, new_written=admission.new, written=admission.writes, entity="products")
            else:
                with unit_of_work(url) as session:
                    guard.commit(session, new_written=admission.new, written=admission.writes, entity="products")
        stop = admission.exceeded
        seen.append((admission.new, admission.writes, stop and (stop.kind, stop.used, stop.limit, stop.refused)))
    return seen


def rows(url: str, tenant_id: int) -> list[int]:
    with session_factory(url)() as session:
        return [
            session.execute(select(func.count()).select_from(m).where(m.tenant_id == tenant_id)).scalar_one()
            for m in (Reservation, UsageEvent, UsagePeriod)
        ]


@pytest.mark.parametrize(
    ("plan", "policy"),
    [
        ("dry-budget-pause", "pause"),  # 100 credits, 3,990 processes, both capped
        ("dry-budget-notify", "notify"),  # 100 credits capped, processes only counted
    ],
)
def test_the_budget_admits_what_the_ledger_admits(make_tenant: Any, pg_url: str, plan: str, policy: str) -> None:
    with unit_of_work(pg_url) as session:
        save_plan(session, PlanTerms(plan, 100, allowance_policy=policy))
    ledger = Ledger(session_factory(pg_url))
    metered, _ = make_tenant(plan)
    dry, _ = make_tenant(plan)
    budget = Budget.from_usage(dry, ledger.preview(dry))

    real = admissions(ledger, metered, pg_url)
    predicted = admissions(budget, dry, None)

    assert predicted == real
    assert real[2][2] is None and real[3][2] is not None  # the batches do reach a ceiling
    usage = ledger.usage(metered)
    assert (budget.used("credits"), budget.used("processes")) == (usage.credits_used, usage.processes_used)
    held = ledger.held(metered)
    assert held is not None and budget.held is not None
    assert (budget.held.kind, budget.held.used, budget.held.limit) == (held.kind, held.used, held.limit)
    assert rows(pg_url, dry) == [0, 0, 0]  # not a reservation, a usage event or even a billing period
