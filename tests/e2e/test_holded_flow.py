"""A tenant on Holded end to end, against the fake Holded over real HTTP and real Postgres: every
entity Holded offers imported through the flows, a re-read that costs only the change, deletes
reconciled, and shop orders sent as sales orders exactly once."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select

from erp_adapters.holded.rows import HOLDED_ZONE
from records.orders import ShopOrder, ShopOrderLine
from services.outbox import place_order
from shop.models import (
    Contact,
    Customer,
    DeliveryNote,
    Invoice,
    Order,
    PendingOrder,
    ProductVariant,
    QuarantinedRecord,
    StockLevel,
)
from tests.db import session_factory, unit_of_work
from tests.fakes.holded_server import FakeHolded
from tests.fakes.holded_tenant import holded_tenant
from tests.shop_reads import tenant_rows

pytestmark = pytest.mark.usefixtures("prefect_harness", "shop_env")

GROUPS = ["products", "stock", "customers", "invoices", "pending_orders"]  # what the tenant switches on
ENTITIES = ["products", "stock", "customers", "contacts", "invoices", "delivery_notes", "pending_orders"]
# Holded dates a document at midnight in Spain: 2026-11-19 23:00 UTC is the 20th there.
ISSUED = int(dt.datetime(2026, 11, 20, tzinfo=HOLDED_ZONE).timestamp())


@pytest.fixture
def holded() -> Iterator[FakeHolded]:
    fake = FakeHolded(page_size=2)  # every list spans pages
    fake.put_product("CAM-1", "Camiseta", 19.9, barcode="8400000000011")
    fake.put_product(
        "POL",
        "Polo",
        41.0,
        variants=[
            {"sku": "POL-S", "price": 39.0, "name": "S"},
            {"sku": "POL-M", "price": 39.5, "name": "M"},
            {"sku": "POL-L", "price": "", "name": "L"},  # no price of its own: the product's
        ],
    )
    fake.put_product("", "Montaje en tienda", 25.0)  # a service without a SKU
    address = {"address": "Calle  Mayor 1", "city": "Almería", "postalCode": 4001, "province": "Almería"}
    levante = fake.add_contact(
        "Moda Levante SL", custom_id="C0001", code="B00000018", email="Compras@ModaLevante.es",
        bill_address={**address, "country": "España", "countryCode": "ES"},
    )  # fmt: skip
    fake.add_person(levante, "Lucía Pérez", email="lucia@modalevante.es", phone="+34 600 000 001")
    boutique = fake.add_contact("Boutique Sur SL", code="B00000026")  # no reference of its own
    fake.add_contact("Textiles Proveedor SA", custom_id="P-1", type="supplier")
    central, bilbao = fake.add_warehouse("Central", default=True), fake.add_warehouse("Bilbao")
    fake.set_stock(central, fake.product_id("CAM-1"), 12)
    polo, small = fake.variant_id("POL-S")
    fake.set_stock(central, polo, 3, small)
    fake.set_stock(bilbao, polo, 5, fake.variant_id("POL-L")[1])
    lines = [
        {"name": "Camiseta", "units": 2, "price": 19.9, "sku": "CAM-1"},
        {"name": "Portes", "units": 1, "price": 6.0},  # shipping: no product line
    ]
    fake.add_document("invoice", levante, number="F00001", date=ISSUED, lines=lines)
    fake.add_document("creditnote", levante, number="R00001", date=ISSUED, lines=lines[:1])  # one T-shirt back
    fake.add_document("waybill", boutique, number="ALB00001", date=ISSUED, lines=lines[:1])
    fake.add_document("salesorder", levante, number="SO00001", date=ISSUED, lines=lines[:1], status=3)
    with fake.running():
        yield fake


def test_every_entity_comes_in_and_a_re_read_costs_only_the_change(
    pg_url: str, holded: FakeHolded, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.sync_tenant import sync_tenant

    monkeypatch.setenv("ERP_SYNC_BATCH_SIZE", "3")
    tenant_id, slug = holded_tenant(pg_url, holded, monkeypatch, plan="starter", entities=GROUPS)

    first = sync_tenant(tenant=slug, return_state=True)

    assert first.is_completed(), first.message
    counts = first.result()
    written = {entity: counts[entity]["written"] for entity in ENTITIES}
    assert written == dict.fromkeys(ENTITIES, 1) | {"products": 4, "stock": 3, "customers": 2, "invoices": 2}
    assert (counts["products"]["quarantined"], counts["products"]["credits"]) == (1, 4)
    with session_factory(pg_url)() as session:
        variants = tenant_rows(session, tenant_id, ProductVariant.sku, ProductVariant.name, ProductVariant.price)
        stock = tenant_rows(session, tenant_id, StockLevel.sku, StockLevel.warehouse, StockLevel.quantity)
        customers = tenant_rows(session, tenant_id, Customer.code, Customer.tax_id, Customer.postal_code)
        contacts = tenant_rows(session, tenant_id, Contact.customer_code, Contact.name, Contact.email)
        invoice, credit = session.scalars(
            select(Invoice).where(Invoice.tenant_id == tenant_id).order_by(Invoice.number)
        )
        note = session.scalars(select(DeliveryNote.customer_code).where(DeliveryNote.tenant_id == tenant_id)).one()
        order_status = session.scalars(select(PendingOrder.status).where(PendingOrder.tenant_id == tenant_id)).one()
        reason = session.scalars(select(QuarantinedRecord.reason).where(QuarantinedRecord.tenant_id == tenant_id)).one()
    assert variants == [
        ("CAM-1", "Camiseta", Decimal("19.9000")),
        ("POL-L", "Polo L", Decimal("41.0000")),
        ("POL-M", "Polo M", Decimal("39.5000")),
        ("POL-S", "Polo S", Decimal("39.0000")),
    ]
    assert "sku" in reason
    assert stock == [
        ("CAM-1", "Central", Decimal("12.000")),
        ("POL-L", "Bilbao", Decimal("5.000")),
        ("POL-S", "Central", Decimal("3.000")),
    ]
    boutique = next(c for c in holded.contacts.values() if c["name"] == "Boutique Sur SL")["id"]
    assert sorted(customers) == sorted([("C0001", "B00000018", "04001"), (boutique, "B00000026", None)])
    assert contacts == [("C0001", "Lucía Pérez", "lucia@modalevante.es")]
    assert (invoice.number, invoice.customer_code, invoice.issued_on) == ("F00001", "C0001", dt.date(2026, 11, 20))
    assert [line["sku"] for line in invoice.lines] == ["CAM-1"]  # the shipping line is no product
    assert invoice.total == Decimal(str(next(iter(holded.documents["invoice"].values()))["total"]))
    assert (note, order_status) == (boutique, "cancelled")
    assert (credit.number, credit.customer_code) == ("R00001", "C0001")  # a credit note, kept negative
    assert [(line["sku"], line["quantity"]) for line in credit.lines] == [("CAM-1", "-2.0000")]
    assert credit.total == -Decimal(str(next(iter(holded.documents["creditnote"].values()))["total"]))

    holded.put_product("CAM-1", "Camiseta", 17.5, barcode="8400000000011")
    again = sync_tenant(tenant=slug, return_state=True)

    assert again.is_completed(), again.message
    counts = again.result()
    assert {entity: counts[entity]["written"] for entity in ENTITIES} == dict.fromkeys(ENTITIES, 0) | {"products": 1}
    assert (counts["products"]["processes"], counts["products"]["credits"]) == (1, 0)


def test_a_product_removed_from_holded_is_deleted_and_its_stock_with_it(
    pg_url: str, holded: FakeHolded, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.reconcile import reconcile_deletes
    from flows.sync_tenant import sync_tenant

    tenant_id, slug = holded_tenant(pg_url, holded, monkeypatch, plan="starter", entities=["products", "stock"])
    assert sync_tenant(tenant=slug, return_state=True).is_completed()
    holded.remove_product("CAM-1")

    state = reconcile_deletes(tenant=slug, return_state=True)

    assert state.is_completed(), state.message
    assert state.result()["products"]["deleted"] == 1
    with session_factory(pg_url)() as session:
        assert [sku for (sku,) in tenant_rows(session, tenant_id, ProductVariant.sku)] == ["POL-L", "POL-M", "POL-S"]
        assert [sku for (sku,) in tenant_rows(session, tenant_id, StockLevel.sku)] == ["POL-L", "POL-S"]


def test_shop_orders_go_to_holded_as_sales_orders_once_each(
    pg_url: str, holded: FakeHolded, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.export_orders import export_orders

    tenant_id, slug = holded_tenant(pg_url, holded, monkeypatch, plan="business", entities=[], timeout=0.3)
    placed = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
    line = ShopOrderLine("POL-S", Decimal(3), Decimal("39.00"), "Polo S")
    with unit_of_work(pg_url) as session:
        for number, customer in (("W-1", "C0001"), ("W-2", "NOPE"), ("W-3", "C0001")):
            place_order(session, tenant_id, ShopOrder(number, customer, placed, (line,), payment_method="card"))
    holded.slow_seconds = 0.6
    holded.schedule("timeout_after_commit", call="POST /documents/salesorder")  # W-1: created, answer lost

    state = export_orders(tenant=slug, return_state=True)

    assert state.is_completed(), state.message
    with session_factory(pg_url)() as session:
        orders = {n: (s, ref) for n, s, ref in session.execute(
            select(Order.number, Order.export_state, Order.erp_ref).where(Order.tenant_id == tenant_id)
        )}  # fmt: skip
        mine = select(Order.export_error).where(Order.tenant_id == tenant_id, Order.number == "W-2")
        refused = session.scalars(mine).one()
    levante = next(c["id"] for c in holded.contacts.values() if c["customId"] == "C0001")
    sent = holded.documents_where("salesorder", contact=levante, status=0)
    by_desc = {doc["desc"]: doc for doc in sent}
    assert sorted(by_desc) == ["Shop order W-1", "Shop order W-3"]  # W-1 once, though its answer was lost
    assert orders["W-1"] == ("sent", by_desc["Shop order W-1"]["id"])
    assert orders["W-3"] == ("sent", by_desc["Shop order W-3"]["id"])
    assert orders["W-2"][0] == "failed" and "NOPE" in str(refused)
    pushed = by_desc["Shop order W-1"]
    assert [(p["sku"], p["units"], p["price"]) for p in pushed["products"]] == [("POL-S", 3.0, 39.0)]
    assert pushed["date"] == int(placed.timestamp()) and "payment: card" in pushed["notes"]
    assert json.dumps(pushed["products"][0]["productId"]) == json.dumps("#".join(holded.variant_id("POL-S")))

    assert export_orders(tenant=slug, return_state=True).is_completed()
    assert len(holded.documents_where("salesorder")) == 1 + 2  # the fixture's order and the two sent
