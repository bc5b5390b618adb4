"""Product variants imported from a fake Odoo over real HTTP: pages by id, then only changes cost."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select

from shop.models import (
    Contact,
    Customer,
    DeliveryNote,
    Invoice,
    PendingOrder,
    ProductVariant,
    QuarantinedRecord,
    StockLevel,
)
from tests.db import session_factory
from tests.fakes.odoo_server import FakeOdoo
from tests.fakes.odoo_tenant import odoo_tenant
from tests.shop_reads import tenant_rows

pytestmark = pytest.mark.usefixtures("prefect_harness", "shop_env")


@pytest.fixture
def odoo() -> Iterator[FakeOdoo]:
    fake = FakeOdoo()
    for n in range(7):
        fake.put_variant(f"POL-{n}", f"Polo {n}", 39.0 + n, (10 + n // 2, f"Polo modelo {n // 2}"), f"84000000{n:05d}")
    with fake.running():
        yield fake


def test_variants_come_in_pages_and_a_re_read_costs_only_the_change(
    pg_url: str, odoo: FakeOdoo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.sync_tenant import sync_tenant

    monkeypatch.setenv("ERP_SYNC_BATCH_SIZE", "3")
    tenant_id, slug = odoo_tenant(pg_url, odoo, monkeypatch, plan="starter", entities=["products"], timeout=1)

    first = sync_tenant(tenant=slug, return_state=True)

    assert first.is_completed(), first.message
    counts = first.result()["products"]
    assert (counts["fetched"], counts["written"], counts["credits"]) == (7, 7, 7)
    assert odoo.calls["product.product.search_read"] == 4  # pages of 3, 3, 1 and the empty look-ahead
    with session_factory(pg_url)() as session:
        columns = (ProductVariant.sku, ProductVariant.price, ProductVariant.template_code, ProductVariant.barcode)
        rows = tenant_rows(session, tenant_id, *columns)
    assert rows[:2] == [
        ("POL-0", Decimal("39.0000"), "10", "8400000000000"),
        ("POL-1", Decimal("40.0000"), "10", "8400000000001"),
    ]

    odoo.put_variant("POL-3", "Polo 3", 45.5, (11, "Polo modelo 1"), "8400000000003")
    again = sync_tenant(tenant=slug, return_state=True)

    counts = again.result()["products"]
    assert (counts["written"], counts["processes"], counts["credits"]) == (1, 1, 0)
    with session_factory(pg_url)() as session:
        price = session.scalars(
            select(ProductVariant.price).where(ProductVariant.tenant_id == tenant_id, ProductVariant.sku == "POL-3")
        ).one()
    assert price == Decimal("45.5000")


def test_companies_become_customers_and_their_people_contacts(
    pg_url: str, odoo: FakeOdoo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.sync_tenant import sync_tenant

    odoo.add_partner("C0001", name="Moda Levante SL", vat="ESB00000018", city="Valencia", country_code="ES")
    odoo.add_partner("C0002", name="Boutique Sur SL", vat="ESB00000027", country_code="ES")  # a wrong control digit
    odoo.add_partner("DE-1", name="Mode GmbH", vat="DE123456789", country_code="DE", email="Info@Mode.de")
    odoo.add_person("C0001", "Lucía Pérez", email="lucia@modalevante.es")
    odoo.add_person("DE-1", "Jonas Weber", ref="K-7")
    tenant_id, slug = odoo_tenant(pg_url, odoo, monkeypatch, plan="starter", entities=["customers"], timeout=1)

    state = sync_tenant(tenant=slug, return_state=True)

    assert state.is_completed(), state.message
    assert (state.result()["customers"]["written"], state.result()["customers"]["quarantined"]) == (2, 1)
    with session_factory(pg_url)() as session:
        customers = tenant_rows(session, tenant_id, Customer.code, Customer.tax_id, Customer.city, Customer.email)
        contacts = tenant_rows(session, tenant_id, Contact.code, Contact.customer_code, Contact.name)
        reason = session.scalars(select(QuarantinedRecord.reason).where(QuarantinedRecord.tenant_id == tenant_id)).one()
    assert customers == [
        ("C0001", "B00000018", "Valencia", None),
        ("DE-1", "DE123456789", None, "info@mode.de"),
    ]
    assert sorted(contacts) == [("K-7", "DE-1", "Jonas Weber"), ("odoo-103", "C0001", "Lucía Pérez")]
    assert "NIF/NIE/CIF" in reason


def test_stock_invoices_credit_notes_deliveries_and_open_orders_come_in_over_json_2(
    pg_url: str, odoo: FakeOdoo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.sync_tenant import sync_tenant

    odoo.add_partner("C0001", name="Moda Levante SL", vat="ESB00000018", country_code="ES")
    odoo.add_person("C0001", "Lucía Pérez")
    lucia = max(odoo.partner_records)  # deliveries go to a person under the customer
    customer, polo = (
        odoo.link("res.partner", odoo.partners["C0001"]),
        odoo.link("product.product", odoo.products["POL-0"]),
    )
    central = odoo.put("stock.warehouse", name="Central", code="WH")
    bilbao = odoo.put("stock.warehouse", name="Bilbao", code="BIO")
    for quantity, warehouse, usage in ((5, central, "internal"), (2.5, central, "internal"), (4, bilbao, "internal"),
                                       (99, central, "customer")):  # fmt: skip
        odoo.put("stock.quant", product_id=polo, warehouse_id=odoo.link("stock.warehouse", warehouse),
                 quantity=quantity, **{"location_id.usage": usage})  # fmt: skip
    for name, kind in (("INV/2026/00001", "out_invoice"), ("RINV/2026/00001", "out_refund")):
        move = odoo.put("account.move", name=name, move_type=kind, state="posted", partner_id=customer,
                        invoice_date="2026-11-20", amount_total=78.0, ref="W-1001")  # fmt: skip
        for line, display in (("Polo", "product"), ("Portes", "line_note")):
            odoo.put("account.move.line", move_id=odoo.link("account.move", move), product_id=polo, name=line,
                     quantity=2.0, price_unit=39.0, display_type=display)  # fmt: skip
    order = odoo.put("sale.order", name="S00042", state="sale", delivery_status="partial", partner_id=customer,
                     client_order_ref="W-1001", date_order="2026-11-19 10:30:00", amount_total=117.0)  # fmt: skip
    odoo.put("sale.order.line", order_id=odoo.link("sale.order", order), product_id=polo, name="Polo",
             product_uom_qty=3.0, price_unit=39.0, display_type=False)  # fmt: skip
    odoo.put("sale.order", name="S00043", state="sale", delivery_status="full", partner_id=customer)
    picking = odoo.put("stock.picking", name="WH/OUT/00007", picking_type_code="outgoing", state="done",
                       partner_id=odoo.link("res.partner", lucia), date_done="2026-11-21 08:00:00",
                       sale_id=odoo.link("sale.order", order))  # fmt: skip
    odoo.put("stock.move", picking_id=odoo.link("stock.picking", picking), product_id=polo, name="Polo", quantity=2.0)
    groups = ["products", "stock", "customers", "invoices", "pending_orders"]
    tenant_id, slug = odoo_tenant(
        pg_url, odoo, monkeypatch, plan="starter", entities=groups, timeout=5, protocol="json2"
    )

    state = sync_tenant(tenant=slug, return_state=True)

    assert state.is_completed(), state.message
    written = {entity: counts["written"] for entity, counts in state.result().items()}
    assert written == {"products": 7, "stock": 2, "customers": 1, "contacts": 1, "invoices": 2,
                       "delivery_notes": 1, "pending_orders": 1}  # fmt: skip
    with session_factory(pg_url)() as session:
        stock = tenant_rows(session, tenant_id, StockLevel.sku, StockLevel.warehouse, StockLevel.quantity)
        invoices = tenant_rows(session, tenant_id, Invoice.number, Invoice.customer_code, Invoice.order_ref,
                               Invoice.total, Invoice.lines)  # fmt: skip
        note = session.scalars(select(DeliveryNote).where(DeliveryNote.tenant_id == tenant_id)).one()
        pending = tenant_rows(session, tenant_id, PendingOrder.number, PendingOrder.status, PendingOrder.issued_on)
    assert sorted(stock) == [("POL-0", "BIO", Decimal("4.000")), ("POL-0", "WH", Decimal("7.500"))]  # 5 + 2.5
    assert [(n, c, o, t) for n, c, o, t, _ in invoices] == [
        ("INV/2026/00001", "C0001", "W-1001", Decimal("78.0000")),
        ("RINV/2026/00001", "C0001", "W-1001", Decimal("-78.0000")),  # a credit note: negative
    ]
    assert [[(line["sku"], line["quantity"]) for line in lines] for *_, lines in invoices] == [
        [("POL-0", "2.0000")],  # the note line is no product line
        [("POL-0", "-2.0000")],
    ]
    assert (note.number, note.customer_code, note.order_ref, note.issued_on) == (
        "WH/OUT/00007", "C0001", "W-1001", dt.date(2026, 11, 21),
    )  # fmt: skip
    assert pending == [("S00042", "partial", dt.date(2026, 11, 19))]  # S00043 is delivered: not pending
    assert odoo.calls["account.move.search_read"] >= 1 and odoo.calls["common.login"] == 0  # JSON-2: no login
