"""The tryton adapter against a real trytond over HTTP: pages, deltas, documents, errors, orders."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from erp_adapters.errors import AdapterConfigError, OrderRejected, TransientErpError
from erp_adapters.registry import create_adapter
from erp_adapters.tryton import TrytonAdapter
from records.erp import Entity
from records.orders import ShopOrder, ShopOrderLine
from tests.tryton.server import ADMIN_PASSWORD, TrytonServer

SHOP_FIELDS = {
    Entity.PRODUCTS: {"sku", "name", "price", "template_code", "template_name", "barcode", "color", "size"},
    Entity.STOCK: {"sku", "warehouse", "quantity"},
    Entity.SALES_REPS: {"code", "name", "email"},
    Entity.ADMIN_USERS: {"email", "name"},
    Entity.CUSTOMERS: {
        "code",
        "tax_id",
        "name",
        "email",
        "phone",
        "address",
        "city",
        "province",
        "postal_code",
        "country",
    },
    Entity.CONTACTS: {"code", "customer_code", "name", "email", "phone"},
    Entity.INVOICES: {"number", "customer_code", "order_ref", "issued_on", "total", "lines"},
    Entity.DELIVERY_NOTES: {"number", "customer_code", "order_ref", "issued_on", "total", "lines"},
    Entity.PENDING_ORDERS: {"number", "customer_code", "order_ref", "issued_on", "total", "lines", "status"},
}


def adapter(server: TrytonServer, **options: Any) -> TrytonAdapter:
    made = create_adapter("tryton", {**server.options(**options), "password": ADMIN_PASSWORD})
    assert isinstance(made, TrytonAdapter)
    return made


def read_all(source: TrytonAdapter, entity: Entity, since: dict[str, Any] | None = None, page_size: int = 400) -> Any:
    pages = list(source.fetch(entity, since, page_size))
    frame = pd.concat([page.frame for page in pages], ignore_index=True) if pages else pd.DataFrame()
    return frame, pages


def count(server: TrytonServer, model: str, domain: list[Any]) -> int:
    return server.client().count(model, domain)


@pytest.fixture(scope="module")
def server(tryton_server: TrytonServer) -> TrytonServer:
    return tryton_server


def test_every_entity_pages_with_the_shop_fields_and_tryton_counts(server: TrytonServer) -> None:
    source, exact = adapter(server), adapter(server, look_back_minutes=0)
    expected = {
        Entity.PRODUCTS: count(server, "product.product", []),
        Entity.STOCK: 2 * count(server, "product.product", [["type", "=", "goods"]]),
        Entity.SALES_REPS: count(server, "company.employee", []),
        Entity.ADMIN_USERS: count(server, "res.user", [["email", "!=", None]]),
        Entity.CUSTOMERS: count(server, "party.party", []),
        Entity.CONTACTS: count(
            server,
            "party.contact_mechanism",
            [["type", "in", ["email", "phone", "mobile"]], ["party.active", "=", True]],
        ),
        Entity.INVOICES: count(server, "account.invoice", [["type", "=", "out"], ["state", "=", "posted"]]),
        Entity.DELIVERY_NOTES: count(server, "stock.shipment.out", []),
        Entity.PENDING_ORDERS: count(server, "sale.sale", []),
    }
    assert expected[Entity.PRODUCTS] == 2500 and expected[Entity.CUSTOMERS] >= 500  # the seed is there
    for entity, rows in expected.items():
        frame, pages = read_all(source, entity)
        assert (entity, len(frame)) == (entity, rows)
        assert set(frame.columns) == SHOP_FIELDS[entity]
        assert all(dict(page.fields) == {c: c for c in page.frame.columns} for page in pages)
        assert pages[0].first_row == 1 and pages[-1].cursor["id"] == 0  # the last page closes the window
        assert source.estimate(entity, None) == rows
        # Right after a full read nothing is newer than its cursor (Tryton can search every stamp);
        # stock has no stamps and is read whole every time.
        assert exact.estimate(entity, pages[-1].cursor) == (rows if entity is Entity.STOCK else 0)
        assert all(isinstance(value, str) for value in frame.to_numpy().ravel())


def test_products_carry_template_attributes_price_and_barcode(server: TrytonServer) -> None:
    frame, _ = read_all(adapter(server), Entity.PRODUCTS, page_size=1000)
    first = frame.set_index("sku").loc["T0000-2"].to_dict()
    assert first == {
        "name": "Camiseta 0000 (blue)",
        "price": "9.95",
        "template_code": "T0000",
        "template_name": "Camiseta 0000",
        "barcode": "8400000000024",
        "color": "blue",
        "size": "",
    }
    assert frame.set_index("sku").loc["T0001-2", ["size", "price"]].tolist() == ["M", "10.32"]
    assert frame["sku"].is_unique and (frame["barcode"] != "").all()


def test_stock_is_per_warehouse_with_the_quantities_tryton_computes(server: TrytonServer) -> None:
    frame, pages = read_all(adapter(server), Entity.STOCK, page_size=1000)
    assert set(frame["warehouse"]) == {"WH", "WH2"}
    assert {page.source for page in pages} == {"tryton:product.product@WH", "tryton:product.product@WH2"}
    client = server.client()
    warehouses = {
        r["code"]: r["id"] for r in client.search_read("stock.location", [["type", "=", "warehouse"]], None, ["code"])
    }
    for code, location in warehouses.items():
        records = client.search_read(
            "product.product", [], None, ["code", "quantity"], context={"locations": [location]}
        )
        levels = frame[frame["warehouse"] == code].set_index("sku")["quantity"].map(Decimal)
        assert levels.to_dict() == {r["code"]: Decimal(str(r["quantity"])) for r in records}
        assert (levels == 0).sum() > 0 and (levels > 0).sum() > 0  # empty levels are sent too


def test_customers_and_their_contact_mechanisms_as_contacts(server: TrytonServer) -> None:
    source = adapter(server)
    customers, _ = read_all(source, Entity.CUSTOMERS)
    assert customers.set_index("code").loc["C0001"].to_dict() == {
        "tax_id": "10000001S",
        "name": "Cliente 0001 SL",
        "email": "cliente0001@example.com",
        "phone": "+34930000001",
        "address": "Calle Mayor 2",
        "city": "Madrid",
        "province": "Madrid",
        "postal_code": "08002",
        "country": "ES",
    }
    contacts, _ = read_all(source, Entity.CONTACTS)
    mine = contacts[contacts["customer_code"] == "C0001"].drop(columns="customer_code")
    ids = [
        r["id"]
        for r in server.client().search_read("party.contact_mechanism", [["party.code", "=", "C0001"]], None, [])
    ]
    assert mine.to_dict("records") == [
        {"code": f"C0001-{ids[0]}", "name": "Compras 0001", "email": "cliente0001@example.com", "phone": ""},
        {"code": f"C0001-{ids[1]}", "name": "Cliente 0001 SL", "email": "", "phone": "+34930000001"},
    ]


def test_documents_with_their_lines_as_json(server: TrytonServer) -> None:
    source = adapter(server)
    invoices, _ = read_all(source, Entity.INVOICES)
    invoice = invoices.iloc[0].to_dict()
    assert {k: v for k, v in invoice.items() if k != "lines"} == {
        "number": "1",
        "customer_code": "C0000",
        "order_ref": "WEB-0000",
        "issued_on": dt.date.today().isoformat(),
        "total": "31.85",
    }
    assert json.loads(invoice["lines"]) == [
        {"line_no": "1", "sku": "T0000-1", "description": "", "quantity": "1", "unit_price": "9.95"},
        {"line_no": "2", "sku": "T0000-2", "description": "", "quantity": "2", "unit_price": "10.95"},
    ]
    notes, _ = read_all(source, Entity.DELIVERY_NOTES)
    assert notes.set_index("order_ref").loc["WEB-0001", ["customer_code", "total"]].tolist() == ["C0001", "31.85"]
    orders, _ = read_all(source, Entity.PENDING_ORDERS)
    assert orders["status"].value_counts().to_dict() == {"processing": 5, "quotation": 2}
    assert len(json.loads(orders.set_index("order_ref").loc["WEB-0006", "lines"])) == 2


def test_a_delta_reads_what_changed_since_the_cursor_and_template_edits_reach_their_variants(
    server: TrytonServer,
) -> None:
    source = adapter(server, look_back_minutes=0)
    _, pages = read_all(source, Entity.PRODUCTS, page_size=1000)
    cursor = pages[-1].cursor
    assert read_all(source, Entity.PRODUCTS, cursor)[0].empty
    assert source.estimate(Entity.PRODUCTS, cursor) == 0

    client = server.client()
    variant = client.search_read("product.product", [["code", "=", "T0010-1"]], 1, ["id"])[0]["id"]
    client.model("product.product", "write", [variant], {"suffix_code": "-1X"}, write=True)
    template = client.search_read("product.template", [["code", "=", "T0011"]], 1, ["id"])[0]["id"]
    client.model("product.template", "write", [template], {"name": "Camiseta once"}, write=True)

    changed, _ = read_all(source, Entity.PRODUCTS, cursor)
    assert sorted(changed["sku"]) == ["T0010-1X", "T0011-1", "T0011-2"]
    assert set(changed.loc[changed["sku"] != "T0010-1X", "template_name"]) == {"Camiseta once"}
    wide = adapter(server, look_back_minutes=10**7)  # a look-back re-reads, harmlessly, what it covers
    assert len(read_all(wide, Entity.PRODUCTS, cursor)[0]) == 2500


def test_an_interrupted_read_resumes_after_the_last_page_loaded(server: TrytonServer) -> None:
    source = adapter(server)
    pages = list(source.fetch(Entity.CUSTOMERS, None, 100))
    resumed = list(source.fetch(Entity.CUSTOMERS, pages[1].cursor, 100))
    assert (
        pd.concat([p.frame for p in resumed])["code"].tolist()
        == pd.concat([p.frame for p in pages[2:]])["code"].tolist()
    )
    assert resumed[-1].cursor == {"write_date": pages[1].cursor["until"], "id": 0}


def test_shop_orders_become_one_confirmed_sale_even_when_pushed_again(server: TrytonServer) -> None:
    source = adapter(server)
    order = ShopOrder(
        number="SHOP-1001",
        customer_code="C0042",
        placed_at=dt.datetime(2026, 11, 20, 10, 30),
        lines=(
            ShopOrderLine("T0002-1", Decimal(2), Decimal("12.50")),
            ShopOrderLine("T0003-2", Decimal(1), Decimal("7")),
        ),
    )
    assert source.find_order("SHOP-1001") is None
    number = source.push_order(order, "SHOP-1001")
    assert source.push_order(order, "SHOP-1001") == number  # a retry finds the first sale
    assert source.find_order("SHOP-1001") == number
    sales = server.client().search_read(
        "sale.sale", [["reference", "=", "SHOP-1001"]], None, ["state", "total_amount", "party.code", "currency.code"]
    )
    assert [(s["state"], s["total_amount"], s["party."]["code"], s["currency."]["code"]) for s in sales] == [
        ("processing", Decimal("32.00"), "C0042", "EUR")  # the order's currency (ShopOrder's default)
    ]


def test_an_order_tryton_cannot_take_is_rejected_with_the_reason(server: TrytonServer) -> None:
    source = adapter(server)
    line = ShopOrderLine("NOPE-1", Decimal(1), Decimal(1))
    order = ShopOrder(number="SHOP-2", customer_code="C0001", placed_at=dt.datetime(2026, 11, 20), lines=(line,))
    with pytest.raises(OrderRejected, match="no salable product 'NOPE-1' in Tryton"):
        source.push_order(order, "SHOP-2")
    with pytest.raises(OrderRejected, match="customer 'C9999' is not in Tryton"):
        source.push_order(ShopOrder("SHOP-3", "C9999", dt.datetime(2026, 11, 20), (line,)), "SHOP-3")
    assert source.find_order("SHOP-2") is None


def test_a_wrong_password_or_database_is_a_configuration_error_without_the_secret(server: TrytonServer) -> None:
    wrong = create_adapter("tryton", {**server.options(), "password": "not-the-password"})
    with pytest.raises(AdapterConfigError) as refused:
        list(wrong.fetch(Entity.SALES_REPS, None, 10))
    assert str(refused.value) == f"tryton: login refused for user 'admin' on database '{server.database}'"
    missing = create_adapter("tryton", {**server.options(), "database": "nope", "password": ADMIN_PASSWORD})
    with pytest.raises(AdapterConfigError, match="database 'nope' is not served"):
        missing.estimate(Entity.SALES_REPS, None)
    with pytest.raises(AdapterConfigError, match="missing option 'password'"):
        create_adapter("tryton", server.options())


def test_a_user_without_access_to_a_model_is_a_configuration_error(server: TrytonServer) -> None:
    client = server.client()
    client.model(
        "res.user", "create", [{"name": "Web shop", "login": "shop", "password": "shop-Pass-2026"}], write=True
    )
    limited = create_adapter("tryton", {**server.options(), "user": "shop", "password": "shop-Pass-2026"})

    assert limited.estimate(Entity.PRODUCTS, None) == 2500  # products are readable by anyone
    with pytest.raises(AdapterConfigError, match=r"^tryton: user 'shop' cannot read account.invoice: .*access"):
        list(limited.fetch(Entity.INVOICES, None, 10))


def test_an_unreachable_server_is_transient_after_bounded_retries(server: TrytonServer) -> None:
    options = {**server.options(), "url": "http://127.0.0.1:9", "password": ADMIN_PASSWORD, "retries": 2}
    source = create_adapter("tryton", options)
    with pytest.raises(TransientErpError, match=r"^tryton at http://127.0.0.1:9/.* unreachable: ConnectionError$"):
        source.estimate(Entity.PRODUCTS, None)
