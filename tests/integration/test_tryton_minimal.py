"""The tryton adapter on a plain Tryton (no product_attribute, account or sale: the minimal seeded
database of ``tests.tryton.server``), and shop orders in their own currency (on the full one).

On the minimal database the entities whose modules are there import, without the fields of the
missing modules; those that need a missing module fail in one line naming it.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from erp_adapters.errors import AdapterConfigError, OrderRejected
from erp_adapters.registry import create_adapter
from erp_adapters.tryton import TrytonAdapter
from erp_adapters.tryton.listings import LISTINGS
from records.erp import Entity
from records.orders import ShopOrder, ShopOrderLine
from tests.integration.test_tryton_transport import FaultyProxy
from tests.tryton.seed import ean13
from tests.tryton.server import ADMIN_PASSWORD, MINIMAL_MODULES, TrytonServer

pytestmark = pytest.mark.tryton  # the conftest marks only the tests on the full database

SHOP_FIELDS = {
    Entity.PRODUCTS: ["sku", "name", "price", "template_code", "template_name", "barcode", "color", "size"],
    Entity.STOCK: ["sku", "warehouse", "quantity"],
    Entity.CUSTOMERS: ["code", "tax_id", "name", "email", "phone", "address", "city", "province", "postal_code",
                       "country"],
}  # fmt: skip


def adapter(server: TrytonServer, **options: Any) -> TrytonAdapter:
    made = create_adapter("tryton", {**server.options(**options), "password": ADMIN_PASSWORD})
    assert isinstance(made, TrytonAdapter)
    return made


def read_all(source: TrytonAdapter, entity: Entity, page_size: int = 50) -> pd.DataFrame:
    pages = list(source.fetch(entity, None, page_size))
    return pd.concat([page.frame for page in pages], ignore_index=True) if pages else pd.DataFrame()


@pytest.fixture(scope="module")
def minimal(minimal_tryton_server: TrytonServer) -> TrytonServer:
    return minimal_tryton_server


def test_fields_of_optional_modules_are_read_only_where_the_module_is_activated() -> None:
    plain = {"company", "party", "product", "stock", "account_invoice", "sale"}  # the install of the report
    assert "attributes" not in LISTINGS[Entity.PRODUCTS].for_modules(plain).fields
    assert "attributes" in LISTINGS[Entity.PRODUCTS].for_modules({*plain, "product_attribute"}).fields
    assert "sales.reference" in LISTINGS[Entity.INVOICES].for_modules(plain).fields
    assert "sales.reference" not in LISTINGS[Entity.INVOICES].for_modules(plain - {"sale"}).fields
    notes = LISTINGS[Entity.DELIVERY_NOTES]
    assert set(notes.fields) - set(notes.for_modules(plain - {"sale"}).fields) == {"outgoing_moves.sale.reference"}


def test_the_modules_are_read_once_per_adapter(minimal: TrytonServer) -> None:
    with FaultyProxy(minimal.url) as proxy:  # forwards every call and logs its method
        source = adapter(minimal, url=proxy.url)
        assert read_all(source, Entity.PRODUCTS).shape[0] == 80
        source.estimate(Entity.STOCK, None)
        read_all(source, Entity.CUSTOMERS)
        with pytest.raises(AdapterConfigError):
            source.find_order("SHOP-1")

    assert proxy.calls.count("model.ir.module.search_read") == 1
    assert set(MINIMAL_MODULES) <= source.modules()
    assert not {"product_attribute", "account", "account_invoice", "sale"} & source.modules()


def test_products_without_product_attribute_are_plain_variants(minimal: TrytonServer) -> None:
    frame = read_all(adapter(minimal), Entity.PRODUCTS)

    assert list(frame.columns) == SHOP_FIELDS[Entity.PRODUCTS]
    assert len(frame) == minimal.client().count("product.product", []) == 80
    assert frame.set_index("sku").loc["M0001-2"].to_dict() == {
        "name": "Pantalón 0001",  # no attribute values to add to it
        "price": "20.4",
        "template_code": "M0001",
        "template_name": "Pantalón 0001",
        "barcode": ean13(9004),
        "color": "",
        "size": "",
    }
    assert frame["sku"].is_unique and (frame["barcode"] != "").all()
    assert (frame["color"] == "").all() and (frame["size"] == "").all()


def test_customers_and_a_company_party_without_address_keep_a_blank_country(minimal: TrytonServer) -> None:
    source = adapter(minimal)
    frame = read_all(source, Entity.CUSTOMERS)

    assert list(frame.columns) == SHOP_FIELDS[Entity.CUSTOMERS]
    assert len(frame) == minimal.client().count("party.party", []) == 30 + 1 + 2  # customers, company, staff
    assert frame.set_index("code").loc["C0002"].to_dict() == {
        "tax_id": "10000002Q",
        "name": "Cliente 0002 SL",
        "email": "cliente0002@example.com",
        "phone": "+34930000002",
        "address": "Calle Mayor 3",
        "city": "Valencia",
        "province": "Valencia",
        "postal_code": "08003",
        "country": "ES",
    }
    (owner,) = minimal.client().search_read("company.company", [], 1, ["party.code"])
    (company,) = frame[frame["code"] == owner["party."]["code"]].to_dict("records")
    assert {key: company[key] for key in ("address", "city", "province", "postal_code", "country")} == dict.fromkeys(
        ("address", "city", "province", "postal_code", "country"), ""
    )  # no address in Tryton: nothing made up, not even the country
    contacts = read_all(source, Entity.CONTACTS)
    assert len(contacts) == 2 * 30 + 2  # each customer's e-mail and phone, each employee's e-mail


def test_stock_is_per_warehouse_without_the_sale_module(minimal: TrytonServer) -> None:
    frame = read_all(adapter(minimal), Entity.STOCK, page_size=100)

    assert list(frame.columns) == SHOP_FIELDS[Entity.STOCK]
    assert frame.groupby("warehouse").size().to_dict() == {"WH": 80, "WH2": 80}
    client = minimal.client()
    for code in ("WH", "WH2"):
        (warehouse,) = client.search_read("stock.location", [["code", "=", code]], 1, [])
        records = client.search_read(
            "product.product", [], None, ["code", "quantity"], context={"locations": [warehouse["id"]]}
        )
        levels = frame[frame["warehouse"] == code].set_index("sku")["quantity"].map(Decimal)
        assert levels.to_dict() == {r["code"]: Decimal(str(r["quantity"])) for r in records}
        assert (levels == 0).sum() > 0 and (levels > 0).sum() > 0


def test_sales_reps_users_and_a_delivery_note_without_a_sale_behind_it(minimal: TrytonServer) -> None:
    source = adapter(minimal)

    assert sorted(read_all(source, Entity.SALES_REPS)["code"]) == ["E00", "E01"]
    users = minimal.client().count("res.user", [["email", "!=", None]])
    assert len(read_all(source, Entity.ADMIN_USERS)) == users >= 1  # the admin, with the e-mail it was made with
    (note,) = read_all(source, Entity.DELIVERY_NOTES).to_dict("records")  # read without the moves' sale
    assert {key: note[key] for key in ("customer_code", "order_ref", "total")} == {
        "customer_code": "C0000",
        "order_ref": "SHOP-M1",
        "total": "39.80",
    }
    assert [line["sku"] for line in json.loads(note["lines"])] == ["M0000-1"]


def test_what_needs_a_missing_module_fails_in_one_line_naming_it(minimal: TrytonServer) -> None:
    source = adapter(minimal)
    missing = {
        Entity.INVOICES: "tryton: invoices need the module 'account_invoice', not activated on database 'shop_erp'",
        Entity.PENDING_ORDERS: "tryton: pending_orders need the module 'sale', not activated on database 'shop_erp'",
    }
    for entity, line in missing.items():
        with pytest.raises(AdapterConfigError) as refused:
            list(source.fetch(entity, None, 10))
        assert str(refused.value) == line
        with pytest.raises(AdapterConfigError) as refused:
            source.estimate(entity, None)
        assert str(refused.value) == line

    order = ShopOrder(
        "SHOP-M2", "C0001", dt.datetime(2026, 11, 20), (ShopOrderLine("M0001-1", Decimal(1), Decimal(5)),)
    )
    orders = "tryton: orders need the module 'sale', not activated on database 'shop_erp'"
    with pytest.raises(AdapterConfigError, match=f"^{orders}$"):
        source.push_order(order, order.number)
    with pytest.raises(AdapterConfigError, match=f"^{orders}$"):
        source.find_order(order.number)


def test_a_user_without_admin_rights_finds_the_modules_and_a_missing_field_is_not_called_a_right(
    minimal: TrytonServer,
) -> None:
    client = minimal.client()
    client.model(
        "res.user", "create", [{"name": "Web shop", "login": "shop", "password": "shop-Pass-2026"}], write=True
    )
    limited = create_adapter("tryton", {**minimal.options(), "user": "shop", "password": "shop-Pass-2026"})
    assert isinstance(limited, TrytonAdapter)

    assert "product" in limited.modules() and "product_attribute" not in limited.modules()
    assert len(read_all(limited, Entity.PRODUCTS)) == 80  # ir.module and products: readable by any user

    # What the adapter used to ask for: a field Tryton does not know is a server failure, not access.
    with pytest.raises(AdapterConfigError) as failed:
        client.search_read("product.product", [], 1, ["code", "attributes"])
    assert str(failed.value) == "tryton: reading product.product failed in the server: 'attributes'"


def _currency(server: TrytonServer, code: str) -> int:
    """The currency with this code, created (with a rate for today) if the database lacks it."""
    client = server.client()
    found = client.search_read("currency.currency", [["code", "=", code]], 1, [])
    if found:
        return int(found[0]["id"])
    values = {"name": code, "code": code, "symbol": code, "rounding": Decimal("0.01"), "digits": 2,
              "rates": [["create", [{"date": dt.date(2026, 1, 1), "rate": Decimal("1.08")}]]]}  # fmt: skip
    (created,) = client.model("currency.currency", "create", [values], write=True)
    return int(created)


def test_orders_reach_tryton_in_their_own_currency(tryton_server: TrytonServer) -> None:
    usd = _currency(tryton_server, "USD")  # the full database's company keeps its books in EUR
    source = adapter(tryton_server)
    lines = (ShopOrderLine("T0002-1", Decimal(2), Decimal("12.50")), ShopOrderLine("T0003-2", Decimal(1), Decimal(7)))
    for number, currency in (("SHOP-EUR-1", "EUR"), ("SHOP-USD-1", "USD")):
        order = ShopOrder(number, "C0042", dt.datetime(2026, 11, 20, 10, 30), lines, currency=currency)
        source.push_order(order, number)

    sales = tryton_server.client().search_read(
        "sale.sale",
        [["reference", "in", ["SHOP-EUR-1", "SHOP-USD-1"]]],
        None,
        ["reference", "state", "total_amount", "currency", "currency.code", "lines.unit_price"],
    )
    assert [
        (s["reference"], s["currency."]["code"], s["total_amount"], [line["unit_price"] for line in s["lines."]])
        for s in sales
    ] == [
        ("SHOP-EUR-1", "EUR", Decimal("32.00"), [Decimal("12.50"), Decimal(7)]),
        ("SHOP-USD-1", "USD", Decimal("32.00"), [Decimal("12.50"), Decimal(7)]),  # the amounts as the shop sent them
    ]
    assert sales[1]["currency"] == usd and {s["state"] for s in sales} == {"processing"}


def test_an_order_in_a_currency_tryton_lacks_is_refused_naming_it(tryton_server: TrytonServer) -> None:
    source = adapter(tryton_server)
    line = ShopOrderLine("T0004-1", Decimal(1), Decimal(10))
    order = ShopOrder("SHOP-GBP-1", "C0043", dt.datetime(2026, 11, 20), (line,), currency="GBP")

    with pytest.raises(OrderRejected, match=r"^order SHOP-GBP-1: currency 'GBP' is not in Tryton$"):
        source.push_order(order, order.number)

    assert source.find_order(order.number) is None
    assert tryton_server.client().count("sale.sale", [["reference", "=", "SHOP-GBP-1"]]) == 0
