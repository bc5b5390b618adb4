"""Shop orders to the ERP end to end: outbox → export-orders flow → CSV drop folder or a fake Odoo
over real HTTP, metered by the quota guard in Postgres. Each test owns its tenant."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from prefect.settings import PREFECT_API_URL
from sqlalchemy import func, select

from devkit.samples import write_products
from quotas import PlanTerms
from quotas.ledger import Ledger, Usage
from records.orders import ShopOrder, ShopOrderLine
from services.outbox import place_order, sendable_ids
from services.tenants import add_tenant, save_plan
from shop.models import Order, SyncRun, Tenant, UsageEvent, now_utc
from tests.cli_helpers import invoke
from tests.db import session_factory, unit_of_work
from tests.fakes.odoo_server import FakeOdoo
from tests.fakes.odoo_tenant import odoo_tenant as connect_odoo
from tests.waiting import wait_until

pytestmark = pytest.mark.usefixtures("prefect_harness", "shop_env")

CUSTOMERS = [f"C{n:04d}" for n in range(1, 11)]
SKUS = [f"SKU-{n}" for n in range(1, 6)]


# -- set-up ----------------------------------------------------------------------------------------


def shop_order(number: str, customer: str = "C0001", sku: str = "SKU-1") -> ShopOrder:
    return ShopOrder(
        number=number,
        customer_code=customer,
        placed_at=now_utc(),
        lines=(ShopOrderLine(sku, Decimal(1), Decimal("19.90")), ShopOrderLine("SKU-2", Decimal(3), Decimal("5"))),
        payment_method="tarjeta",
    )


def place(url: str, tenant_id: int, orders: list[ShopOrder]) -> None:
    with unit_of_work(url) as session:
        for order in orders:
            place_order(session, tenant_id, order)


def csv_tenant(url: str, folder: Path, plan: str = "business") -> tuple[int, str]:
    folder.mkdir(exist_ok=True)
    slug = f"o-{uuid.uuid4().hex[:10]}"
    with unit_of_work(url) as session:
        tenant = add_tenant(
            session, slug, plan, erp_kind="csv_files", erp_options={"path": str(folder)}, entities=["products"]
        )
        return tenant.id, slug


@pytest.fixture
def odoo() -> Iterator[FakeOdoo]:
    fake = FakeOdoo(slow_seconds=0.4)
    for ref in CUSTOMERS:
        fake.add_partner(ref)
    for sku in SKUS:
        fake.add_product(sku)
    with fake.running():
        yield fake


@pytest.fixture
def odoo_tenant(pg_url: str, odoo: FakeOdoo, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    return connect_odoo(pg_url, odoo, monkeypatch, plan="business", entities=[], timeout=0.2)


def export(slug: str) -> Any:
    from flows.export_orders import export_orders

    return export_orders(tenant=slug, return_state=True)


def usage(url: str, tenant_id: int) -> Usage:
    return Ledger(session_factory(url)).usage(tenant_id)


def states(url: str, tenant_id: int) -> dict[str, str | None]:
    with session_factory(url)() as session:
        rows = session.execute(select(Order.number, Order.export_state).where(Order.tenant_id == tenant_id))
        return dict(rows.tuples().all())


def order_events(url: str, tenant_id: int, kind: str = "processes") -> int:
    with session_factory(url)() as session:
        query = select(func.count()).where(
            UsageEvent.tenant_id == tenant_id, UsageEvent.kind == kind, UsageEvent.entity == "orders"
        )
        return session.execute(query).scalar_one()


# -- the CSV drop folder -----------------------------------------------------------------------------


def test_orders_are_dropped_once_each_and_cost_a_process_each(pg_url: str, tmp_path: Path) -> None:
    tenant_id, slug = csv_tenant(pg_url, tmp_path / "drop")
    place(pg_url, tenant_id, [shop_order(f"W-{n}") for n in range(1, 6)])

    state = export(slug)

    assert state.is_completed(), state.message
    assert state.result() == {"sent": 5, "found": 0, "rejected": 0, "waiting": 0, "processes": 5}
    assert sorted(p.name for p in (tmp_path / "drop" / "orders").iterdir()) == [f"W-{n}.csv" for n in range(1, 6)]
    assert set(states(pg_url, tenant_id).values()) == {"sent"}
    assert usage(pg_url, tenant_id).processes_used == 5
    again = export(slug)  # nothing left: nothing sent, nothing counted
    assert again.result()["sent"] == 0
    assert usage(pg_url, tenant_id).processes_used == 5
    with session_factory(pg_url)() as session:
        run = session.scalars(select(SyncRun).where(SyncRun.tenant_id == tenant_id).order_by(SyncRun.id)).first()
        assert run is not None and (run.entity, run.state, run.processes) == ("orders", "Completed", 5)


def test_orders_wait_at_the_credit_ceiling_and_all_go_after_the_upgrade(pg_url: str, tmp_path: Path) -> None:
    from flows.sync_tenant import sync_tenant

    with unit_of_work(pg_url) as session:
        save_plan(session, PlanTerms("tiny-orders-e2e", 10))
    folder = tmp_path / "drop"
    tenant_id, slug = csv_tenant(pg_url, folder, plan="tiny-orders-e2e")
    write_products(folder, 30, bad_rows=False)
    assert sync_tenant(tenant=slug, return_state=True).name == "CreditCeiling"
    processes_before = usage(pg_url, tenant_id).processes_used
    invoke(pg_url, f"order add {slug} --from-json {order_file(tmp_path, 'W-1', 'W-2', 'W-3')}")  # the shop takes them

    held = export(slug)

    assert held.name == "CreditCeiling"
    assert "3 orders wait in the outbox" in held.message
    assert not (folder / "orders").exists()
    assert usage(pg_url, tenant_id).processes_used == processes_before  # nothing launched, nothing counted
    pending = json.loads(invoke(pg_url, f"orders pending {slug} --json").stdout)
    assert [o["number"] for o in pending["orders"]] == ["W-1", "W-2", "W-3"]
    invoke(pg_url, f"export {slug}", expect=3)

    invoke(pg_url, f"tenant set-plan {slug} basic")
    result = invoke(pg_url, f"export {slug}")

    assert "3" in result.stdout
    assert sorted(p.name for p in (folder / "orders").iterdir()) == ["W-1.csv", "W-2.csv", "W-3.csv"]
    assert usage(pg_url, tenant_id).processes_used == processes_before + 3
    assert json.loads(invoke(pg_url, f"orders pending {slug} --json").stdout)["orders"] == []


def order_file(folder: Path, *numbers: str, customer: str = "C0001") -> Path:
    path = folder / f"orders-{uuid.uuid4().hex[:6]}.json"
    documents = [
        {"number": n, "customer_code": customer, "lines": [{"sku": "SKU-1", "quantity": "2", "unit_price": "9.95"}]}
        for n in numbers
    ]
    path.write_text(json.dumps(documents))
    return path


# -- order-volume plans ------------------------------------------------------------------------------


def test_a_plan_sized_in_orders_meters_orders_sent_per_month(pg_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    tenant_id, slug = csv_tenant(pg_url, folder, plan="free")  # 20 orders a month
    place(pg_url, tenant_id, [shop_order(f"W-{n:02d}") for n in range(1, 26)])

    capped = export(slug)

    assert capped.name == "OrderLimit"
    assert capped.message == f"20/20 orders sent this period; 5 orders waiting in the outbox (tenant {slug})"
    assert len(list((folder / "orders").iterdir())) == 20
    figures = json.loads(invoke(pg_url, f"quota {slug} --json").stdout)
    assert (figures["metric"], figures["orders_used"], figures["orders_max"]) == ("orders", 20, 20)
    assert figures["processes_used"] == 20  # processes are still counted
    assert [a["threshold"] for a in figures["alerts"] if a["kind"] == "orders"] == [80, 90, 100]
    assert "orders this month" in invoke(pg_url, f"quota {slug}").stdout
    assert export(slug).name == "OrderLimit"  # at the cap a run costs nothing
    assert usage(pg_url, tenant_id).orders_used == 20

    invoke(pg_url, f"tenant set-plan {slug} orders-100")

    assert export(slug).result()["sent"] == 5
    assert (usage(pg_url, tenant_id).orders_used, usage(pg_url, tenant_id).processes_used) == (25, 25)
    assert order_events(pg_url, tenant_id, kind="orders") == 25


def test_plans_list_shows_both_families(pg_url: str) -> None:
    listed = json.loads(invoke(pg_url, "plans list --json").stdout)["plans"]
    by_name = {plan["name"]: plan for plan in listed}
    assert (by_name["free"]["metric"], by_name["free"]["max_orders"], by_name["free"]["monthly_price_eur"]) == (
        "orders",
        20,
        "0.00",
    )
    assert by_name["starter"]["metric"] == "credits"
    text = invoke(pg_url, "plans list").stdout
    assert "Plans sized in credits" in text and "Plans sized in orders sent per month" in text


# -- Odoo: refused orders, faults, a killed worker ------------------------------------------------


def test_refused_orders_are_parked_with_the_reason_and_sent_after_a_fix(
    pg_url: str, odoo: FakeOdoo, odoo_tenant: tuple[int, str], tmp_path: Path
) -> None:
    tenant_id, slug = odoo_tenant
    odoo.blocked_partners.add("C0003")
    place(pg_url, tenant_id, [shop_order("W-1"), shop_order("W-2", customer="C0003"), shop_order("W-3", sku="SKU-9")])

    assert export(slug).result() == {"sent": 1, "found": 0, "rejected": 2, "waiting": 0, "processes": 1}
    failed = json.loads(invoke(pg_url, f"orders failed {slug} --json").stdout)["orders"]
    assert [(o["number"], o["export_error"]) for o in failed] == [
        ("W-2", "Odoo refused order W-2: The customer C0003 is blocked: credit limit exceeded."),
        ("W-3", "products not in Odoo (no internal reference SKU-9)"),
    ]
    assert "credit limit exceeded" in invoke(pg_url, f"orders failed {slug}").stdout
    assert usage(pg_url, tenant_id).processes_used == 1  # a refused order is not a process

    odoo.blocked_partners.clear()
    invoke(pg_url, f"orders retry {slug} --number W-2")
    assert export(slug).result()["sent"] == 1
    odoo.add_product("SKU-9")
    invoke(pg_url, f"orders retry {slug} --all")
    assert export(slug).result()["sent"] == 1

    assert sorted(odoo.refs()) == ["W-1", "W-2", "W-3"]  # type: ignore[type-var]
    assert set(states(pg_url, tenant_id).values()) == {"sent"}
    assert usage(pg_url, tenant_id).processes_used == 3


def test_an_unreachable_erp_fails_the_run_and_the_orders_wait(
    pg_url: str, odoo: FakeOdoo, odoo_tenant: tuple[int, str]
) -> None:
    tenant_id, slug = odoo_tenant
    place(pg_url, tenant_id, [shop_order("W-1"), shop_order("W-2")])
    odoo.schedule("http_500", call="sale.order.search_read", times=1000)

    failed = invoke(pg_url, f"export {slug}", expect=1)

    assert "answered HTTP 500" in failed.stderr and "2 waiting" in failed.stderr
    assert odoo.password not in failed.stderr + failed.stdout
    assert states(pg_url, tenant_id) == {"W-1": "pending", "W-2": "pending"}
    assert usage(pg_url, tenant_id).processes_used == 0
    odoo.calm()
    assert export(slug).result()["sent"] == 2


def test_a_refused_api_key_fails_the_export_and_the_orders_wait(
    pg_url: str, odoo: FakeOdoo, odoo_tenant: tuple[int, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant_id, slug = odoo_tenant
    with session_factory(pg_url)() as session:
        secret_name = session.get_one(Tenant, tenant_id).erp_secret_name
    assert secret_name is not None
    monkeypatch.setenv(secret_name, "revoked-key-0000")
    place(pg_url, tenant_id, [shop_order("W-1")])

    failed = invoke(pg_url, f"export {slug}", expect=1)

    assert "login refused for user 'api'" in failed.stderr
    assert "revoked-key-0000" not in failed.stderr + failed.stdout
    assert states(pg_url, tenant_id) == {"W-1": "pending"}  # not left "sending": the next run sends it at once
    assert odoo.refs() == []


ORDERS = 1_000
FAULT_RATES = {"timeout_after_commit": 0.01, "http_500": 0.02, "reset": 0.02, "rate_limited": 0.002}


def test_a_thousand_orders_through_faults_and_a_killed_worker_arrive_exactly_once(
    pg_url: str, odoo: FakeOdoo, odoo_tenant: tuple[int, str], tmp_path: Path
) -> None:
    tenant_id, slug = odoo_tenant
    numbers = [f"W-{n:05d}" for n in range(1, ORDERS + 1)]
    place(pg_url, tenant_id, [shop_order(number, customer=CUSTOMERS[i % 10]) for i, number in enumerate(numbers)])
    odoo.chaos(FAULT_RATES, calls=("sale.order.create", "sale.order.search_read", "res.partner.search_read"))

    # A worker process is killed while Odoo has committed an order whose answer it is waiting for.
    worker = start_export_worker(pg_url, slug, tmp_path / "worker.log")
    wait_until(
        lambda: alive(worker, tmp_path) and sum(s == "sent" for s in states(pg_url, tenant_id).values()) >= 50,
        60,
        "the worker to send 50 orders",
    )
    odoo.schedule("hold_after_commit")
    assert odoo.held.wait(60), (tmp_path / "worker.log").read_text()
    worker.kill()
    worker.wait(10)
    odoo.release.set()
    in_flight = [n for n, s in states(pg_url, tenant_id).items() if s == "sending"]
    assert len(in_flight) == 1 and odoo.name_of(in_flight[0]) is not None  # Odoo has it; the shop does not know
    # Its lease (WORKER_LEASE_SECONDS) runs out: the outbox offers it to the next run again.
    wait_until(lambda: lease_ran_out(pg_url, tenant_id, in_flight[0]), 60, f"the dead worker's lease on {in_flight[0]}")

    found, runs = 0, list[str]()
    for _ in range(20):  # later runs carry on; one fails when Odoo's faults outlast a call's retries
        state = export(slug)
        counts = export_counts(state)
        runs.append(f"{state.name}: {counts}")
        found += counts.get("found", 0)
        if state.is_completed() and counts["waiting"] == 0:
            break
    assert runs[-1].startswith("Completed") and counts["waiting"] == 0, runs  # the outbox is empty

    refs = odoo.refs()
    twice = sorted({ref for ref in refs if refs.count(ref) > 1})
    assert not twice and set(refs) == set(numbers), (twice, len(refs))  # every order, none twice
    assert set(states(pg_url, tenant_id).values()) == {"sent"}
    with session_factory(pg_url)() as session:
        stored = dict(
            session.execute(select(Order.number, Order.erp_ref).where(Order.tenant_id == tenant_id)).tuples().all()
        )
    assert stored == {number: odoo.name_of(number) for number in numbers}
    figures = usage(pg_url, tenant_id)
    assert (figures.processes_used, figures.processes_reserved) == (ORDERS, 0), figures
    assert order_events(pg_url, tenant_id) == ORDERS
    assert found >= 1  # the killed worker's order was found in Odoo, not sent again
    assert all(odoo.injected[fault] >= 2 for fault in FAULT_RATES), odoo.injected
    assert odoo.injected["hold_after_commit"] == 1


WORKER_LEASE_SECONDS = 2  # how long an order the killed worker claimed stays its own


def start_export_worker(url: str, slug: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ERP_SYNC_DATABASE_URL": url,
        "ERP_SYNC_ORDER_LEASE_SECONDS": str(WORKER_LEASE_SECONDS),
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    erp_sync = Path(sys.executable).with_name("erp-sync")
    with log.open("wb") as output:
        return subprocess.Popen([str(erp_sync), "export", slug], env=env, stdout=output, stderr=subprocess.STDOUT)


def alive(worker: subprocess.Popen[bytes], folder: Path) -> bool:
    assert worker.poll() is None, f"the worker ended early:\n{(folder / 'worker.log').read_text()}"
    return True


def lease_ran_out(url: str, tenant_id: int, number: str) -> bool:
    """The order is among those the outbox hands to the next run (its sender's lease is over)."""
    with session_factory(url)() as session:
        order_id = session.scalars(select(Order.id).where(Order.tenant_id == tenant_id, Order.number == number)).one()
        return order_id in sendable_ids(session, tenant_id, order_id - 1, 1)


EXPORT_SUMMARY = re.compile(r"([\d,]+) found already in the ERP, [\d,]+ rejected, ([\d,]+) waiting")


def export_counts(state: Any) -> dict[str, Any]:
    """A run's counts: a completed run's result; a run that failed because Odoo's faults outlasted
    a call's retries says in its error what it got done first (the orders it found count too)."""
    if state.is_completed():
        return dict(state.result())
    error = str(state.result(raise_on_failure=False))
    summary = EXPORT_SUMMARY.search(error)
    if summary is None:  # failed before it sent anything
        return {"error": error[:300]}
    return {"found": int(summary[1].replace(",", "")), "waiting": int(summary[2].replace(",", ""))}
