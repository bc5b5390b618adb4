"""The order outbox on both databases: placing, claiming with a lease, parking, requeueing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from domain.order_input import order_from_json
from records.errors import InvalidInput, NotFound
from records.orders import ShopOrder, ShopOrderLine
from services.outbox import (
    claim,
    list_orders,
    mark_failed,
    mark_sent,
    place_order,
    requeue_failed,
    sendable_ids,
    unclaim,
)
from shop.models import Order, OrderLine, now_utc
from tests.db import unit_of_work

LEASE = dt.timedelta(seconds=60)


def shop_order(number: str, *lines: tuple[str, str, str]) -> ShopOrder:
    return ShopOrder(
        number=number,
        customer_code="C0001",
        placed_at=now_utc(),
        lines=tuple(ShopOrderLine(sku, Decimal(qty), Decimal(price)) for sku, qty, price in lines),
    )


def test_an_order_and_its_lines_wait_in_the_outbox(any_url: str, make_tenant) -> None:  # type: ignore[no-untyped-def]
    tenant_id, _ = make_tenant(url=any_url)
    with unit_of_work(any_url) as session:
        place_order(session, tenant_id, shop_order("W-1", ("SKU-1", "2", "9.50"), ("SKU-2", "1", "3")))
    with unit_of_work(any_url) as session:
        order = session.scalars(select(Order).where(Order.tenant_id == tenant_id)).one()
        lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).all()
        assert (order.number, order.export_state, order.export_attempts) == ("W-1", "pending", 0)
        assert order.total == Decimal("22.00")
        assert sorted((line.line_no, line.sku) for line in lines) == [(1, "SKU-1"), (2, "SKU-2")]


def test_a_number_is_taken_once_per_shop(any_url: str, make_tenant) -> None:  # type: ignore[no-untyped-def]
    first, _ = make_tenant(url=any_url)
    second, _ = make_tenant(url=any_url)
    with unit_of_work(any_url) as session:
        place_order(session, first, shop_order("W-7", ("SKU-1", "1", "1")))
        place_order(session, second, shop_order("W-7", ("SKU-1", "1", "1")))  # another shop: fine
    with pytest.raises(InvalidInput, match="order W-7 already exists"), unit_of_work(any_url) as session:
        place_order(session, first, shop_order("W-7", ("SKU-1", "1", "1")))


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"number": "W-1", "customer_code": "C1", "lines": []}, "lines: List should have at least 1 item"),
        (
            {"number": "W-1", "customer_code": "C1", "lines": [{"sku": "A", "quantity": 0, "unit_price": 1}]},
            "lines.0.quantity",
        ),
        (
            {"number": "W-1", "customer_code": "C1", "lines": [{"sku": "A", "quantity": "x", "unit_price": 1}]},
            "lines.0.quantity",
        ),
        ({"number": "W-1", "lines": [{"sku": "A", "quantity": 1, "unit_price": 1}]}, "customer_code: Field required"),
        (
            {
                "number": "W-1",
                "customer_code": "C1",
                "lines": [{"sku": "A", "quantity": 1, "unit_price": 1}],
                "cupon": 1,
            },
            "cupon: Extra inputs",
        ),
        ([1, 2], "order: Input should be a valid dictionary"),
    ],
)
def test_bad_order_documents_are_refused_naming_the_field(document: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace(".", r"\.")):
        order_from_json(document)


def test_an_unusable_order_number_is_refused(pg_url: str, make_tenant) -> None:  # type: ignore[no-untyped-def]
    tenant_id, _ = make_tenant()
    with pytest.raises(InvalidInput, match="must be 1-64 letters"), unit_of_work(pg_url) as session:
        place_order(session, tenant_id, shop_order("../etc/passwd", ("SKU-1", "1", "1")))


def test_a_claim_is_exclusive_until_its_lease_ends(any_url: str, make_tenant) -> None:  # type: ignore[no-untyped-def]
    tenant_id, _ = make_tenant(url=any_url)
    with unit_of_work(any_url) as session:
        order_id = place_order(session, tenant_id, shop_order("W-1", ("SKU-1", "1", "1"))).id
    with unit_of_work(any_url) as session:
        claimed = claim(session, tenant_id, order_id, LEASE)
    assert claimed is not None and claimed[0].number == "W-1" and claimed[1] is False  # never tried before
    with unit_of_work(any_url) as session:
        assert claim(session, tenant_id, order_id, LEASE) is None  # another worker holds it
        assert sendable_ids(session, tenant_id, 0, 10) == []
        # Once the lease has run out (the worker died), the order is sendable again, to re-check first.
        later = now_utc() + 2 * LEASE
        assert sendable_ids(session, tenant_id, 0, 10, now=later) == [order_id]


def test_a_worker_that_died_leaves_an_order_to_look_up_first(pg_url: str, make_tenant) -> None:  # type: ignore[no-untyped-def]
    tenant_id, _ = make_tenant()
    with unit_of_work(pg_url) as session:
        order_id = place_order(session, tenant_id, shop_order("W-1", ("SKU-1", "1", "1"))).id
    with unit_of_work(pg_url) as session:
        assert claim(session, tenant_id, order_id, dt.timedelta(seconds=-1)) is not None  # its lease already over
    with unit_of_work(pg_url) as session:
        again = claim(session, tenant_id, order_id, LEASE)
        assert again is not None and again[1] is True
        assert session.get_one(Order, order_id).export_attempts == 2


def test_unclaim_gives_the_order_back_uncounted(pg_url: str, make_tenant) -> None:  # type: ignore[no-untyped-def]
    tenant_id, _ = make_tenant()
    with unit_of_work(pg_url) as session:
        order_id = place_order(session, tenant_id, shop_order("W-1", ("SKU-1", "1", "1"))).id
    with unit_of_work(pg_url) as session:
        claim(session, tenant_id, order_id, LEASE)
        unclaim(session, order_id)
    with unit_of_work(pg_url) as session:
        order = session.get_one(Order, order_id)
        assert (order.export_state, order.export_attempts, order.export_lease_until) == ("pending", 0, None)


def test_failed_orders_are_parked_and_requeued(pg_url: str, make_tenant) -> None:  # type: ignore[no-untyped-def]
    tenant_id, _ = make_tenant()
    with unit_of_work(pg_url) as session:
        ids = [place_order(session, tenant_id, shop_order(f"W-{n}", ("SKU-1", "1", "1"))).id for n in (1, 2, 3)]
    with unit_of_work(pg_url) as session:
        for order_id in ids:
            claim(session, tenant_id, order_id, LEASE)
        mark_failed(session, ids[0], "unknown product SKU-1")
        mark_failed(session, ids[1], "customer C0001 is closed")
        mark_sent(session, ids[2], "SO042")
    with unit_of_work(pg_url) as session:
        failed = list_orders(session, tenant_id, ["failed"])
        assert [(o.number, o.export_error) for o in failed] == [
            ("W-1", "unknown product SKU-1"),
            ("W-2", "customer C0001 is closed"),
        ]
        assert sendable_ids(session, tenant_id, 0, 10) == []
        with pytest.raises(NotFound, match="no failed order W-3"):
            requeue_failed(session, tenant_id, ["W-3"])
    with unit_of_work(pg_url) as session:
        assert requeue_failed(session, tenant_id, ["W-2"]) == ["W-2"]
        assert sendable_ids(session, tenant_id, 0, 10) == [ids[1]]
        assert requeue_failed(session, tenant_id, None) == ["W-1"]
        sent = list_orders(session, tenant_id, ["sent"])
        assert [(o.number, o.erp_ref) for o in sent] == [("W-3", "SO042")]
