"""The ledger and the guard on real Postgres: atomic reservations, leases, idempotency, alerts."""

from __future__ import annotations

import datetime as dt
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from quotas import BatchGuard, LeaseExpired, Ledger, PlanTerms
from services.tenants import save_plan
from shop.models import Alert, Reservation, UsageEvent
from tests.db import session_factory, unit_of_work


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def pause_plan(pg_url: str) -> str:
    with unit_of_work(pg_url) as session:
        save_plan(session, PlanTerms("tiny-pause", 100, allowance_policy="pause"))  # 3,990 processes
    return "tiny-pause"


def test_reserve_grants_what_fits_and_flags_the_tenant(ledger: Ledger, make_tenant, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    tenant_id, _ = make_tenant("starter")
    first = ledger.reserve(tenant_id, "credits", 900, "k1")
    assert (first.granted, first.refused) == (900, 0)
    second = ledger.reserve(tenant_id, "credits", 300, "k2")
    assert (second.granted, second.refused, second.used, second.limit) == (100, 200, 1_000, 1_000)
    assert ledger.usage(tenant_id).status == "active"  # held only once the partial batch is stored
    with unit_of_work(pg_url) as session:
        ledger.commit(session, [(second, 100)], entity="products")
    assert ledger.usage(tenant_id).status == "over_credit_limit"
    assert ledger.held(tenant_id) is not None


def test_processes_are_not_capped_under_notify_policy(ledger: Ledger, make_tenant) -> None:  # type: ignore[no-untyped-def]
    tenant_id, _ = make_tenant("starter")  # 39,900 processes, notify
    grant = ledger.reserve(tenant_id, "processes", 50_000, "big")
    assert grant.granted == 50_000
    assert ledger.usage(tenant_id).status == "active"


def test_commit_counts_once_and_returns_the_unused_part(ledger: Ledger, make_tenant, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    tenant_id, _ = make_tenant("starter")
    grant = ledger.reserve(tenant_id, "processes", 100, "batch-1")
    with unit_of_work(pg_url) as session:
        ledger.commit(session, [(grant, 60)], entity="products")
    usage = ledger.usage(tenant_id)
    assert (usage.processes_used, usage.processes_reserved) == (60, 0)
    again = ledger.reserve(tenant_id, "processes", 100, "batch-1")
    assert again.already_applied and again.granted == 0
    assert ledger.usage(tenant_id).processes_used == 60


def test_a_failed_batch_transaction_counts_nothing_and_the_guard_refunds(
    ledger: Ledger, make_tenant, pg_url: str
) -> None:  # type: ignore[no-untyped-def]
    tenant_id, _ = make_tenant("starter")
    with pytest.raises(RuntimeError), BatchGuard(ledger, tenant_id, "b-1") as guard:
        admission = guard.admit(new=10, updates=5)
        assert (admission.new, admission.writes) == (10, 15)
        with unit_of_work(pg_url) as session:
            guard.commit(session, new_written=10, written=15, entity="products")
            raise RuntimeError("the upsert failed")
    usage = ledger.usage(tenant_id)
    assert (usage.credits_used, usage.credits_reserved, usage.processes_used, usage.processes_reserved) == (0, 0, 0, 0)


def test_guard_partial_admission_at_the_credit_ceiling(ledger: Ledger, make_tenant, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    tenant_id, slug = make_tenant("starter")
    ledger.reserve(tenant_id, "credits", 990, "fill")
    with BatchGuard(ledger, tenant_id, "b-2") as guard:
        admission = guard.admit(new=25, updates=7)
        with unit_of_work(pg_url) as session:
            guard.commit(session, new_written=admission.new, written=admission.writes, entity="products")
    assert (admission.new, admission.writes) == (10, 17)
    assert admission.exceeded is not None
    assert str(admission.exceeded) == f"1,000/1,000 credits used; 15 new records not imported (tenant {slug})"


def test_expired_lease_returns_its_budget_and_cannot_commit(pg_url: str, make_tenant) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC))
    ledger = Ledger(session_factory(pg_url), lease_seconds=60, clock=clock)
    tenant_id, _ = make_tenant("starter")
    grant = ledger.reserve(tenant_id, "credits", 1_000, "killed-worker")
    assert ledger.reserve(tenant_id, "credits", 1, "other").granted == 0
    clock.now += dt.timedelta(seconds=61)
    assert ledger.expire_leases(tenant_id) == 1
    assert ledger.usage(tenant_id).credits_reserved == 0
    with pytest.raises(LeaseExpired), unit_of_work(pg_url) as session:
        ledger.commit(session, [(grant, 1_000)], entity="products")
    assert ledger.reserve(tenant_id, "credits", 5, "after").granted == 5


def test_a_retry_with_the_same_key_does_not_hold_twice(ledger: Ledger, make_tenant, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    tenant_id, _ = make_tenant("starter")
    ledger.reserve(tenant_id, "credits", 600, "task-7")  # the first attempt died holding 600
    retry = ledger.reserve(tenant_id, "credits", 600, "task-7")
    assert retry.granted == 600
    assert ledger.usage(tenant_id).credits_reserved == 600
    with session_factory(pg_url)() as session:
        states = session.scalars(select(Reservation.state).where(Reservation.tenant_id == tenant_id)).all()
    assert sorted(states) == ["open", "refunded"]


def test_period_rolls_over_in_the_tenants_timezone(pg_url: str, make_tenant) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(dt.datetime(2026, 11, 30, 22, 0, tzinfo=dt.UTC))
    ledger = Ledger(session_factory(pg_url), clock=clock)
    tenant_id, _ = make_tenant("starter")
    grant = ledger.reserve(tenant_id, "processes", 500, "nov")
    with unit_of_work(pg_url) as session:
        ledger.commit(session, [(grant, 500)], entity="products")
    assert ledger.usage(tenant_id).period.key == "2026-11"
    clock.now = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)  # 00:30 on 1 December in Madrid
    usage = ledger.usage(tenant_id)
    assert (usage.period.key, usage.processes_used, usage.processes_allowance) == ("2026-12", 0, 39_900)


def test_open_period_opens_the_new_month_once(pg_url: str, make_tenant) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(dt.datetime(2026, 11, 30, 22, 59, tzinfo=dt.UTC))
    ledger = Ledger(session_factory(pg_url), clock=clock)
    tenant_id, _ = make_tenant("starter")
    assert ledger.open_period(tenant_id)[0].key == "2026-11"
    assert ledger.open_period(tenant_id)[1] is False
    clock.now = dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC)  # midnight in Madrid
    period, opened = ledger.open_period(tenant_id)
    assert (period.key, opened, period.starts_at) == ("2026-12", True, clock.now)
    assert ledger.open_period(tenant_id)[1] is False


def test_thresholds_are_recorded_once_per_period(ledger: Ledger, make_tenant, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    tenant_id, _ = make_tenant("starter")
    fired = []
    for n, (new, key) in enumerate([(850, "a"), (100, "b"), (50, "c")]):
        grant = ledger.reserve(tenant_id, "credits", new, key)
        with unit_of_work(pg_url) as session:
            fired.append([c.threshold for c in ledger.commit(session, [(grant, new)], entity=f"e{n}")])
    assert fired == [[80], [90], [100]]
    with unit_of_work(pg_url) as session:
        ledger.recount_credits  # noqa: B018  (level kept by the ledger; no shop rows in this test)
        rows = session.scalars(select(Alert.threshold).where(Alert.tenant_id == tenant_id, Alert.kind == "credits"))
        assert sorted(rows) == [80, 90, 100]


@pytest.mark.parametrize("kind", ["credits", "processes"])
def test_no_overspend_under_concurrency(kind: str, pg_url: str, make_tenant, pause_plan: str) -> None:  # type: ignore[no-untyped-def]
    """16 threads race to reserve and commit from one tenant's budget, 2,048 times in all."""
    ledger = Ledger(session_factory(pg_url))
    tenant_id, _ = make_tenant(pause_plan)
    limit = 100 if kind == "credits" else 3_990
    counter = iter(range(10**9))
    lock = threading.Lock()

    def worker(seed: int) -> tuple[int, int]:
        rng = random.Random(seed)
        granted = paid_batches = 0
        for _ in range(128):
            with lock:
                key = f"k{next(counter)}"
            grant = ledger.reserve(tenant_id, kind, rng.randint(1, 6), key)  # type: ignore[arg-type]
            with unit_of_work(pg_url) as session:
                ledger.commit(session, [(grant, grant.granted)], entity="race")
            granted += grant.granted
            paid_batches += grant.granted > 0
        return granted, paid_batches

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(worker, range(16)))
    total = sum(granted for granted, _ in results)
    usage = ledger.usage(tenant_id)
    used = usage.credits_used if kind == "credits" else usage.processes_used
    assert total == used == limit  # demand (~7,000) exceeds the limit: all of it and not one more
    with session_factory(pg_url)() as session:
        events = session.scalars(select(UsageEvent.amount).where(UsageEvent.tenant_id == tenant_id)).all()
    assert len(events) == sum(paid for _, paid in results) and sum(events) == limit


def test_a_dead_runs_reservations_hold_the_tenant_only_until_their_lease_runs_out(pg_url: str, make_tenant) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC))
    ledger = Ledger(session_factory(pg_url), lease_seconds=60, clock=clock)
    tenant_id, _ = make_tenant("starter")  # 1,000 credits
    done = ledger.reserve(tenant_id, "credits", 600, "run-1:batch-0")
    with unit_of_work(pg_url) as session:
        ledger.commit(session, [(done, 600)], entity="products")
    ledger.reserve(tenant_id, "credits", 400, "run-2:batch-0")  # then run 2 is killed
    # Run 3 meets the dead run's reservation at the ceiling and holds the tenant.
    refused = ledger.reserve(tenant_id, "credits", 100, "run-3:batch-0")
    assert refused.granted == 0
    with unit_of_work(pg_url) as session:
        ledger.commit(session, [(refused, 0)], entity="products")
    assert ledger.held(tenant_id) is not None
    clock.now += dt.timedelta(seconds=61)
    # Once the lease has run out, the hold is judged on what is committed: 600 of 1,000.
    assert ledger.held(tenant_id) is None
    usage = ledger.usage(tenant_id)
    assert (usage.status, usage.credits_used, usage.credits_reserved) == ("active", 600, 0)
    assert ledger.reserve(tenant_id, "credits", 100, "run-4:batch-0").granted == 100


def test_the_next_run_under_the_slot_gives_back_what_a_killed_one_left_reserved(pg_url: str, make_tenant) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(pg_url)
    runs = Ledger(sessions, lease_seconds=900, under_slot=True)  # imports, holding the tenant's slot
    outside = Ledger(sessions, lease_seconds=900)  # an order export or a quarantine retry
    tenant_id, _ = make_tenant("starter")  # 1,000 credits
    done = runs.reserve(tenant_id, "credits", 600, "run-1:batch-0")
    with unit_of_work(pg_url) as session:
        runs.commit(session, [(done, 600)], entity="products")
    with runs.booking(tenant_id) as book:  # run 2 reserves a batch, then is killed
        book.reserve("credits", 400, "run-2:batch-1")
        book.reserve("processes", 400, "run-2:batch-1")
    order = outside.reserve(tenant_id, "processes", 1, "order:1")  # still being sent
    refused = runs.reserve(tenant_id, "credits", 100, "run-3:batch-0")
    with unit_of_work(pg_url) as session:
        runs.commit(session, [(refused, 0)], entity="products")
    assert refused.granted == 0 and runs.held(tenant_id) is not None  # the lease has 15 minutes to run

    # Run 4 takes the slot: run 2's reservations come back at once, the order's stays.
    assert runs.return_abandoned(tenant_id) == {"credits": 400, "processes": 400}
    assert runs.held(tenant_id) is None
    usage = runs.usage(tenant_id)
    assert (usage.status, usage.credits_used, usage.credits_reserved, usage.processes_reserved) == ("active", 600, 0, 1)
    with sessions() as session:
        keys = select(Reservation.idempotency_key, Reservation.state).where(Reservation.tenant_id == tenant_id)
        states = dict(session.execute(keys).all())
    assert states["run-2:batch-1"] == "abandoned" and states["order:1"] == "open"
    assert runs.return_abandoned(tenant_id) == {}
    with unit_of_work(pg_url) as session:  # the order still commits
        outside.commit(session, [(order, 1)], entity="orders")
    assert runs.reserve(tenant_id, "credits", 400, "run-4:batch-0").granted == 400
