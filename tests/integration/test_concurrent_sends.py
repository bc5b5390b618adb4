"""Two workers draining one outbox at once, on Postgres: each order is claimed by one of them, so
Odoo gets every order once and the ledger counts each once."""

from __future__ import annotations

import threading
from decimal import Decimal

from erp_adapters.odoo import OdooAdapter
from erp_adapters.registry import create_adapter
from pipeline.send_orders import SendResult, SendTarget, send_orders
from quotas.ledger import Ledger
from records.orders import ShopOrder, ShopOrderLine
from services.outbox import place_order, sendable_ids
from shop.models import now_utc
from tests.db import session_factory, unit_of_work
from tests.fakes.odoo_server import FakeOdoo

ORDERS = 200


def drain(url: str, adapter: OdooAdapter, target: SendTarget, results: list[SendResult]) -> None:
    while True:
        with session_factory(url)() as session:
            batch = sendable_ids(session, target.tenant_id, 0, 20)
        if not batch:
            return
        results.append(send_orders(batch, adapter, target))


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
    with fake.running():
        options = {"url": fake.url, "db": fake.db, "username": fake.login, "password": fake.password}
        workers = [
            threading.Thread(target=drain, args=(pg_url, create_adapter("odoo", options), target, mine))
            for mine in results
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(120)

    assert sorted(fake.refs()) == numbers  # type: ignore[type-var]
    sent = [sum(result.sent for result in mine) for mine in results]
    assert sum(sent) == ORDERS and min(sent) > 0  # both workers took part
    usage = Ledger(session_factory(pg_url)).usage(tenant_id)
    assert (usage.processes_used, usage.processes_reserved) == (ORDERS, 0)
