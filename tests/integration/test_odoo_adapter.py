"""The Odoo adapter against a fake Odoo over real HTTP on loopback, each test over JSON-RPC and
over the JSON-2 API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest

from erp_adapters.errors import AdapterConfigError, OrderRejected, TransientErpError
from erp_adapters.odoo import OdooAdapter
from erp_adapters.registry import create_adapter
from records.erp import Entity
from records.orders import ShopOrder, ShopOrderLine
from shop.models import now_utc
from tests.fakes.odoo_server import FakeOdoo

TIMEOUT = 0.2  # seconds the client waits for an answer; the fake's slow answers take 1 s


@pytest.fixture(params=["jsonrpc", "json2"])
def odoo(request: pytest.FixtureRequest) -> Iterator[FakeOdoo]:
    fake = FakeOdoo(protocol=request.param)
    fake.add_partner("C0001")
    for sku in ("SKU-1", "SKU-2"):
        fake.add_product(sku)
    with fake.running():
        yield fake


def adapter_for(fake: FakeOdoo, **options: object) -> OdooAdapter:
    settings = {"url": fake.url, "db": fake.db, "username": fake.login, "password": fake.password}
    settings["protocol"] = fake.protocol
    settings.update({"timeout": TIMEOUT, "backoff": 0.01, **options})
    adapter = create_adapter("odoo", settings)
    assert isinstance(adapter, OdooAdapter)
    return adapter


def order(number: str, customer: str = "C0001", sku: str = "SKU-1") -> ShopOrder:
    return ShopOrder(number, customer, now_utc(), (ShopOrderLine(sku, Decimal(2), Decimal("9.95"), "Camiseta"),))


def test_an_order_becomes_one_sale_order_however_often_it_is_pushed(odoo: FakeOdoo) -> None:
    adapter = adapter_for(odoo)
    assert adapter.find_order("W-1") is None
    first = adapter.push_order(order("W-1"), "W-1")
    again = adapter.push_order(order("W-1"), "W-1")
    assert first == again == "S00001"
    assert adapter.find_order("W-1") == "S00001"
    assert odoo.refs() == ["W-1"]
    assert odoo.sale_orders[0].lines[0]["product_uom_qty"] == 2.0


def test_a_create_whose_answer_came_too_late_is_found_not_repeated(odoo: FakeOdoo) -> None:
    odoo.schedule("timeout_after_commit")
    started = time.monotonic()
    assert adapter_for(odoo).push_order(order("W-2"), "W-2") == "S00001"
    assert time.monotonic() - started < odoo.slow_seconds  # the client gave up on the slow answer
    assert odoo.injected["timeout_after_commit"] == 1
    assert odoo.refs() == ["W-2"]
    assert odoo.calls["sale.order.create"] == 1  # the retry found the order instead of creating it


def test_a_create_still_running_when_the_client_gave_up_is_waited_for_not_repeated(odoo: FakeOdoo) -> None:
    odoo.slow_seconds = 0.25  # Odoo commits after the client's 0.2 s, before twice that
    odoo.schedule("commit_late", call="sale.order.create")
    assert adapter_for(odoo).push_order(order("W-6"), "W-6") == "S00001"
    assert odoo.injected["commit_late"] == 1
    assert odoo.refs() == ["W-6"]  # the look-up after the lost answer waited for the commit
    assert odoo.calls["sale.order.create"] == 1


@pytest.mark.parametrize("fault", ["http_500", "reset"])
def test_a_create_that_failed_before_odoo_did_anything_is_made_on_the_next_attempt(odoo: FakeOdoo, fault: str) -> None:
    odoo.schedule(fault)
    assert adapter_for(odoo).push_order(order("W-3"), "W-3") == "S00001"
    assert odoo.injected[fault] == 1
    assert odoo.calls["sale.order.create"] == 2
    assert odoo.refs() == ["W-3"]


@pytest.mark.parametrize("fault", ["http_500", "reset", "timeout_after_commit"])
def test_reads_are_retried_by_the_http_session(odoo: FakeOdoo, fault: str) -> None:
    odoo.schedule(fault, call="sale.order.search_read", times=2)
    assert adapter_for(odoo).find_order("W-404") is None
    assert odoo.calls["sale.order.search_read"] == 3


def test_a_rate_limited_call_waits_as_long_as_odoo_asks(odoo: FakeOdoo) -> None:
    odoo.retry_after = 1
    odoo.schedule("rate_limited", call="sale.order.create")
    started = time.monotonic()
    assert adapter_for(odoo).push_order(order("W-4"), "W-4") == "S00001"
    assert time.monotonic() - started >= 1.0
    assert odoo.calls["sale.order.create"] == 2  # a 429 is retried even for a write: Odoo did nothing


@pytest.mark.parametrize(
    ("shop_order", "reason"),
    [
        (order("W-5", customer="C0002"), "customer C0002 is not in Odoo (no contact with reference C0002)"),
        (order("W-5", sku="SKU-9"), "products not in Odoo (no internal reference SKU-9)"),
        (
            order("W-5", customer="C0003"),
            "Odoo refused order W-5: The customer C0003 is blocked: credit limit exceeded.",
        ),
    ],
)
def test_orders_odoo_cannot_take_are_rejected_with_the_reason(
    odoo: FakeOdoo, shop_order: ShopOrder, reason: str
) -> None:
    odoo.add_partner("C0003")
    odoo.blocked_partners.add("C0003")
    with pytest.raises(OrderRejected) as caught:
        adapter_for(odoo).push_order(shop_order, shop_order.number)
    assert str(caught.value) == reason
    assert odoo.refs() == []


def test_an_erp_that_keeps_failing_is_a_transient_error_without_the_secret(odoo: FakeOdoo) -> None:
    for call in ("sale.order.search_read", "sale.order.create"):
        odoo.schedule("http_500", call=call, times=100)
    with pytest.raises(TransientErpError, match="answered HTTP 500") as caught:
        adapter_for(odoo, retries=2).push_order(order("W-6"), "W-6")
    assert odoo.password not in str(caught.value)
    assert odoo.refs() == []


def test_a_wrong_password_is_a_set_up_error_that_does_not_echo_it(odoo: FakeOdoo) -> None:
    refused = {"jsonrpc": "login refused for user 'api'", "json2": "the API key was refused on database 'shop'"}
    with pytest.raises(AdapterConfigError, match=refused[odoo.protocol]) as caught:
        adapter_for(odoo, password="wrong-key-5678").find_order("W-7")
    assert "wrong-key-5678" not in str(caught.value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"db": "shop", "username": "api", "password": "x"}, "option 'url' is required"),
        ({"url": "http://127.0.0.1:9", "db": "shop", "username": "api"}, "no password"),
        (
            {"url": "http://127.0.0.1:9", "db": "shop", "username": "api", "password": "x", "timeout": "soon"},
            "'timeout' must be a number",
        ),
    ],
)
def test_bad_options_are_one_line(options: dict[str, object], message: str) -> None:
    with pytest.raises(AdapterConfigError, match=message):
        create_adapter("odoo", options)


def test_an_unreachable_odoo_is_transient() -> None:
    adapter = create_adapter(
        "odoo",
        {"url": "http://127.0.0.1:9", "db": "d", "username": "u", "password": "p", "retries": 1, "backoff": 0.01},
    )
    assert isinstance(adapter, OdooAdapter)
    with pytest.raises(TransientErpError, match="got no answer"):
        adapter.find_order("W-8")


def test_entities_odoo_does_not_offer_are_one_line(odoo: FakeOdoo) -> None:
    with pytest.raises(AdapterConfigError, match=r"importing sales_reps is not offered \(products, customers"):
        adapter_for(odoo).fetch(Entity.SALES_REPS, None, 10)


def test_a_protocol_it_does_not_know_is_one_line() -> None:
    options = {"url": "http://127.0.0.1:9", "db": "d", "password": "p", "protocol": "xmlrpc"}
    with pytest.raises(AdapterConfigError, match="'protocol' must be one of jsonrpc, json2, got 'xmlrpc'"):
        create_adapter("odoo", options)
