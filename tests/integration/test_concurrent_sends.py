"""Two workers draining one outbox at once, on Postgres: each order is claimed by one of them, so
Odoo gets every order once and the ledger counts each once.

The overlap is made certain, not left to the scheduler: both workers read the same first batch
before either claims an order of it (so they compete for the same orders), and each holds the
first order it claimed until the other has claimed one too and is about to send it (so both
send, side by side). Then they run free."""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal

from sqlalchemy import select

from erp_adapters.orders import OrderSink, order_sink
from erp_adapters.registry import create_adapter
from pipeline.send_orders import SendResult, SendTarget, send_orders
from quotas.ledger import Ledger
from records.orders import ShopOrder, ShopOrderLine
from services.outbox import place_order, sendable_ids
from shop.models import Order, UsageEvent, now_utc
from tests.db import session_factory, unit_of_work
from tests.fakes.odoo_server import FakeOdoo

ORDERS = 200
BATCH = 20
PATIENCE = 60  # seconds a worker waits for the other at a meeting point before giving up


class MeetingSink:
    """A worker's Odoo adapter, whose first ``push_order`` waits for the other worker's first."""

    def __init__(self, adapter: OrderSink, both_sending: threading.Barrier) -> None:
        self._adapter, self._both_sending, self._met = adapter, both_sending, False

    def find_order(self, idempotency_key: str) -> str | None:
        return self._adapter.find_order(idempotency_key)

    def push_order(self, order: ShopOrder, idempotency_key: str) -> str:
        if not self._met:
            self._both_sending.wait(PATIENCE)
            self._met = True
        return self._adapter.push_order(order, idempotency_key)


def drain(
    url: str,
    sink: MeetingSink,
    target: SendTarget,
    results: list[SendResult],
    meetings: tuple[threading.Barrier, threading.Barrier],
    errors: list[BaseException],
) -> None:
    both_read = meetings[0]
    try:
        first = True
        while True:
            with session_factory(url)() as session:
                batch = sendable_ids(session, target.tenant_id, 0, BATCH)
            if first:  # both hold the same first batch before either claims an order of it
                assert len(batch) == BATCH
                both_read.wait(PATIENCE)
                first = False
            if not batch:
                return
            results.append(send_orders(batch, sink, target))
    except BaseException as exc:  # reported by the test; the other worker stops waiting for this one
        errors.append(exc)
        for barrier in meetings:
            barrier.abort()


def test_two_workers_never_send_an_order_twice(pg_url: str, make_tenant) -> None:  # type: ignore[no-untyped-def]
    tenant_id, slug = make_tenant("business")
    fake = FakeOdoo()
    fake.add_partner("C0001")
    fake.add_product("SKU-1")
    numbers = [f"W-{n:04d}" for n in range(ORDERS)]
    with unit_of_work(pg_url) as session:
        for number in numbers:
            line = ShopOrderLine("SKU-1", Decimal(1), Decimal(10))
            place_order(session, tenant_id, ShopOrder(number, "C0001", now_utc(), (line,)))
    target = SendTarget(
        session_factory(pg_url), tenant_id, slug, meters_orders=False, lease_seconds=60, order_lease_seconds=60
    )
    results: tuple[list[SendResult], list[SendResult]] = ([], [])
    errors: list[BaseException] = []
    meetings = (threading.Barrier(2), threading.Barrier(2))  # both have read; both are sending
    with fake.running():
        options = {"url": fake.url, "db": fake.db, "username": fake.login, "password": fake.password}
        sinks = [MeetingSink(order_sink(create_adapter("odoo", options)), meetings[1]) for _ in results]
        workers = [
            threading.Thread(target=drain, args=(pg_url, sink, target, mine, meetings, errors))
            for sink, mine in zip(sinks, results, strict=True)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(120)
    assert not any(worker.is_alive() for worker in workers), "a worker is still sending after 120 s"
    assert errors == []

    refs = fake.refs()
    assert sorted(refs) == numbers  # type: ignore[type-var]
    assert [ref for ref, times in Counter(refs).items() if times > 1] == []  # exactly once each
    sent = [sum(result.sent for result in mine) for mine in results]
    assert sum(sent) == ORDERS and min(sent) > 0  # both workers took part (they met while sending)
    assert sum(result.found + result.rejected for mine in results for result in mine) == 0
    with session_factory(pg_url)() as session:
        stored = dict(
            session.execute(select(Order.number, Order.erp_ref).where(Order.tenant_id == tenant_id)).tuples().all()
        )
        attempts = set(session.scalars(select(Order.export_attempts).where(Order.tenant_id == tenant_id)))
        events = session.scalars(
            select(UsageEvent.idempotency_key).where(UsageEvent.tenant_id == tenant_id, UsageEvent.kind == "processes")
        ).all()
    assert stored == {number: fake.name_of(number) for number in numbers}  # each with Odoo's one reference
    assert attempts == {1}  # each order claimed by one worker, once
    assert sorted(events) == sorted(f"{slug}:order:{number}" for number in numbers)  # each counted once
    usage = Ledger(session_factory(pg_url)).usage(tenant_id)
    assert (usage.processes_used, usage.processes_reserved) == (ORDERS, 0)
