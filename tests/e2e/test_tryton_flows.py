"""A tenant on a real Tryton server through the real flows: full import, deltas, reconciled deletes.

The module's Tryton copy is changed through JSON-RPC, as a user of the ERP would, and the shop
database and the ledger are read back. Counts are asked of Tryton itself, never hard-coded.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update

from quotas.ledger import Ledger, Usage
from records.orders import ShopOrder, ShopOrderLine
from services.outbox import place_order
from services.tenants import add_tenant
from shop.models import (
    AdminUser,
    Contact,
    Customer,
    DeliveryNote,
    Invoice,
    Order,
    PendingOrder,
    ProductVariant,
    SalesRep,
    StockLevel,
    now_utc,
)
from tests.db import session_factory, unit_of_work
from tests.tryton.server import ADMIN_PASSWORD, TrytonServer

pytestmark = pytest.mark.usefixtures("prefect_harness", "shop_env")

SECRET = "ERP_SYNC_TEST_TRYTON_PASSWORD"
MODELS = {
    "products": ProductVariant,
    "stock": StockLevel,
    "sales_reps": SalesRep,
    "admin_users": AdminUser,
    "customers": Customer,
    "contacts": Contact,
    "invoices": Invoice,
    "delivery_notes": DeliveryNote,
    "pending_orders": PendingOrder,
}
GROUPS = ["products", "stock", "sales_reps", "admin_users", "customers", "invoices", "pending_orders"]
CREDITED = ("products", "sales_reps", "admin_users", "customers", "contacts")


@pytest.fixture
def tryton_env(shop_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv(SECRET, ADMIN_PASSWORD)
    monkeypatch.setenv("ERP_SYNC_BATCH_SIZE", "500")  # 2,500 variants in a handful of batches
    yield shop_env


def tenant(pg_url: str, server: TrytonServer, groups: list[str] = GROUPS) -> tuple[int, str]:
    slug = f"tryton-{uuid.uuid4().hex[:8]}"
    with unit_of_work(pg_url) as session:
        row = add_tenant(
            session,
            slug,
            "enterprise",
            erp_kind="tryton",
            erp_options=server.options(),
            entities=groups,
            secret_name=SECRET,
        )
        return row.id, slug


def sync(slug: str) -> dict[str, dict[str, int]]:
    from flows.sync_tenant import sync_tenant

    state = sync_tenant(tenant=slug, return_state=True)
    assert state.is_completed(), f"{state.name}: {state.message}"
    result: dict[str, dict[str, int]] = state.result()
    return result


def reconcile(slug: str) -> dict[str, dict[str, int]]:
    from flows.reconcile import reconcile_deletes

    state = reconcile_deletes(tenant=slug, return_state=True)
    assert state.is_completed(), f"{state.name}: {state.message}"
    result: dict[str, dict[str, int]] = state.result()
    return result


def in_tryton(server: TrytonServer) -> dict[str, int]:
    client = server.client()

    def count(model: str, domain: list[Any]) -> int:
        return client.count(model, domain)

    warehouses = count("stock.location", [["type", "=", "warehouse"]])
    return {
        "products": count("product.product", []),
        "stock": warehouses * count("product.product", [["type", "=", "goods"]]),
        "sales_reps": count("company.employee", []),
        "admin_users": count("res.user", [["email", "!=", None]]),
        "customers": count("party.party", []),
        "contacts": count(
            "party.contact_mechanism", [["type", "in", ["email", "phone", "mobile"]], ["party.active", "=", True]]
        ),
        "invoices": count("account.invoice", [["type", "=", "out"], ["state", "in", ["validated", "posted", "paid"]]]),
        "delivery_notes": count("stock.shipment.out", [["state", "!=", "cancelled"]]),
        "pending_orders": count("sale.sale", [["state", "in", ["quotation", "confirmed", "processing"]]]),
    }


def in_shop(pg_url: str, tenant_id: int) -> dict[str, int]:
    with session_factory(pg_url)() as session:
        return {
            entity: session.execute(
                select(func.count()).select_from(model).where(model.tenant_id == tenant_id)
            ).scalar_one()
            for entity, model in MODELS.items()
        }


def usage(pg_url: str, tenant_id: int) -> Usage:
    return Ledger(session_factory(pg_url)).usage(tenant_id)


def one_id(server: TrytonServer, model: str, domain: list[Any]) -> int:
    (record,) = server.client().search_read(model, domain, None, [])
    return int(record["id"])


def add_stock(server: TrytonServer, sku: str, quantity: float) -> None:
    """Goods found in the first warehouse: a done move from its lost-and-found to its storage."""
    client = server.client()
    (warehouse,) = client.search_read(
        "stock.location", [["code", "=", "WH"]], 1, ["storage_location", "lost_found_location"]
    )
    (product,) = client.search_read("product.product", [["code", "=", sku]], 1, ["default_uom"])
    move = {
        "product": product["id"],
        "unit": product["default_uom"],
        "quantity": quantity,
        "from_location": warehouse["lost_found_location"],
        "to_location": warehouse["storage_location"],
        "company": client.context["company"],
        "effective_date": dt.date.today(),
    }
    (move_id,) = client.model("stock.move", "create", [move], write=True)
    client.model("stock.move", "do", [move_id], write=True)


def new_template(server: TrytonServer, code: str) -> int:
    client = server.client()
    (unit,) = client.search_read("product.uom", [["symbol", "=", "u"]], 1, [])
    template = {
        "name": f"Producto {code}",
        "code": code,
        "type": "goods",
        "default_uom": unit["id"],
        "salable": True,
        "sale_uom": unit["id"],
        "list_price": Decimal("5"),
        "products": [["create", [{"suffix_code": "-1"}]]],
    }
    (template_id,) = client.model("product.template", "create", [template], write=True)
    return int(template_id)


def test_full_import_then_a_delta_writes_exactly_what_changed_in_tryton(
    pg_url: str, tryton_server: TrytonServer, tryton_env: str
) -> None:
    tenant_id, slug = tenant(pg_url, tryton_server)
    expected = in_tryton(tryton_server)

    first = sync(slug)

    assert {entity: counts["written"] for entity, counts in first.items()} == expected
    assert {entity: counts["quarantined"] for entity, counts in first.items()} == dict.fromkeys(expected, 0)
    assert in_shop(pg_url, tenant_id) == expected
    assert min(expected.values()) > 0  # every entity has records to import
    credited = sum(expected[entity] for entity in CREDITED)
    before = usage(pg_url, tenant_id)
    assert (before.credits_used, before.processes_used) == (credited, sum(expected.values()))

    client = tryton_server.client()
    variant = one_id(tryton_server, "product.product", [["code", "=", "T0020-1"]])
    client.model("product.product", "write", [variant], {"attributes": {"color": "green"}}, write=True)
    template = one_id(tryton_server, "product.template", [["code", "=", "T0021"]])
    client.model("product.template", "write", [template], {"list_price": "99.90"}, write=True)
    add_stock(tryton_server, "T0030-1", 5)
    address = one_id(tryton_server, "party.address", [["party.code", "=", "C0050"]])
    client.model("party.address", "write", [address], {"street": "Avinguda Diagonal 1"}, write=True)

    second = sync(slug)

    assert {entity: counts["written"] for entity, counts in second.items()} == {
        "products": 3,  # the variant, and both variants of the repriced template
        "stock": 1,
        "sales_reps": 0,
        "admin_users": 0,
        "customers": 1,
        "contacts": 0,
        "invoices": 0,
        "delivery_notes": 0,
        "pending_orders": 0,
    }
    assert second["stock"]["fetched"] == expected["stock"]  # stock is read whole: moves stamp no variant
    after = usage(pg_url, tenant_id)
    assert (after.processes_used - before.processes_used, after.credits_used) == (5, credited)
    with session_factory(pg_url)() as session:
        prices = session.execute(
            select(ProductVariant.sku, ProductVariant.price).where(
                ProductVariant.tenant_id == tenant_id, ProductVariant.sku.like("T0021-%")
            )
        ).all()
        street = session.scalars(
            select(Customer.address).where(Customer.tenant_id == tenant_id, Customer.code == "C0050")
        ).one()
    assert sorted((sku, str(price)) for sku, price in prices) == [("T0021-1", "99.9000"), ("T0021-2", "99.9000")]
    assert street == "Avinguda Diagonal 1"


def test_records_gone_from_tryton_are_reconciled_away(
    pg_url: str, tryton_server: TrytonServer, tryton_env: str
) -> None:
    tenant_id, slug = tenant(pg_url, tryton_server, ["products", "stock", "customers"])
    client = tryton_server.client()
    template = new_template(tryton_server, "TGONE")  # seeded variants have moves: Tryton keeps those
    sync(slug)
    client.model("product.template", "delete", [template], write=True)
    customer = one_id(tryton_server, "party.party", [["code", "=", "C0400"]])
    client.model("party.party", "delete", [customer], write=True)
    archived = one_id(tryton_server, "party.party", [["code", "=", "C0401"]])
    client.model("party.party", "write", [archived], {"active": False}, write=True)

    results = reconcile(slug)

    assert {entity: counts["deleted"] for entity, counts in results.items() if counts["deleted"]} == {
        "contacts": 4,  # each customer's e-mail and phone
        "customers": 2,  # one deleted, one archived
        "stock": 2,  # the variant's (empty) level in each warehouse
        "products": 1,
    }
    assert set(results) == {"products", "stock", "customers", "contacts"}
    shop, erp = in_shop(pg_url, tenant_id), in_tryton(tryton_server)
    assert {entity: shop[entity] for entity in results} == {entity: erp[entity] for entity in results}


PLAIN_GROUPS = ["products", "stock", "sales_reps", "admin_users", "customers"]  # no account_invoice, no sale


def in_plain_tryton(server: TrytonServer) -> dict[str, int]:
    """What the minimal database holds of the entities its modules provide."""
    client = server.client()
    goods = client.count("product.product", [["type", "=", "goods"]])
    return {
        "products": client.count("product.product", []),
        "stock": client.count("stock.location", [["type", "=", "warehouse"]]) * goods,
        "sales_reps": client.count("company.employee", []),
        "admin_users": client.count("res.user", [["email", "!=", None]]),
        "customers": client.count("party.party", []),
        "contacts": client.count("party.contact_mechanism", [["type", "in", ["email", "phone", "mobile"]]]),
    }


@pytest.mark.tryton  # the conftest marks only the tests on the full database
def test_a_plain_tryton_without_product_attribute_or_sale_imports_what_its_modules_hold(
    pg_url: str, minimal_tryton_server: TrytonServer, tryton_env: str
) -> None:
    tenant_id, slug = tenant(pg_url, minimal_tryton_server, PLAIN_GROUPS)
    expected = in_plain_tryton(minimal_tryton_server)

    first = sync(slug)

    assert {entity: counts["written"] for entity, counts in first.items()} == expected
    assert {entity: counts["quarantined"] for entity, counts in first.items()} == dict.fromkeys(expected, 0)
    assert {entity: n for entity, n in in_shop(pg_url, tenant_id).items() if entity in expected} == expected
    with session_factory(pg_url)() as session:
        variants = session.execute(
            select(ProductVariant.sku, ProductVariant.name, ProductVariant.attrs).where(
                ProductVariant.tenant_id == tenant_id, ProductVariant.sku.like("M0001-%")
            )
        ).all()
    assert sorted(tuple(v) for v in variants) == [("M0001-1", "Pantalón 0001", {}), ("M0001-2", "Pantalón 0001", {})]
    second = sync(slug)
    assert {entity: counts["written"] for entity, counts in second.items()} == dict.fromkeys(expected, 0)


@pytest.mark.tryton
def test_a_party_without_an_address_keeps_a_blank_country_in_the_shop(
    pg_url: str, minimal_tryton_server: TrytonServer, tryton_env: str
) -> None:
    tenant_id, slug = tenant(pg_url, minimal_tryton_server, ["customers"])
    (company,) = minimal_tryton_server.client().search_read("company.company", [], 1, ["party.code"])
    sync(slug)
    with session_factory(pg_url)() as session:
        country = session.scalars(
            select(Customer.country).where(Customer.tenant_id == tenant_id, Customer.code == company["party."]["code"])
        ).one()
    assert country in (None, "")  # Tryton has no address for it: no country to import


def export(slug: str) -> dict[str, int]:
    from flows.export_orders import export_orders

    state = export_orders(tenant=slug, return_state=True)
    assert state.is_completed(), f"{state.name}: {state.message}"
    result: dict[str, int] = state.result()
    return result


def test_shop_orders_reach_tryton_once_through_the_export_flow(
    pg_url: str, tryton_server: TrytonServer, tryton_env: str
) -> None:
    tenant_id, slug = tenant(pg_url, tryton_server, ["products"])
    line = ShopOrderLine("T0100-1", Decimal(2), Decimal("9.50"))
    orders = [ShopOrder(f"WEBT-{n}", f"C02{n:02d}", now_utc(), (line,)) for n in range(3)]
    unknown = ShopOrder("WEBT-X", "C0200", now_utc(), (ShopOrderLine("NO-SUCH", Decimal(1), Decimal(1)),))
    with unit_of_work(pg_url) as session:
        for order in [*orders, unknown]:
            place_order(session, tenant_id, order)

    assert export(slug) == {"sent": 3, "found": 0, "rejected": 1, "waiting": 0, "processes": 3}
    # As if the worker had died after Tryton confirmed WEBT-0 but before the shop marked it sent.
    with unit_of_work(pg_url) as session:
        session.execute(
            update(Order).where(Order.tenant_id == tenant_id, Order.number == "WEBT-0").values(export_state="pending")
        )
    assert export(slug) == {"sent": 0, "found": 1, "rejected": 0, "waiting": 0, "processes": 1}

    sales = tryton_server.client().search_read(
        "sale.sale", [["reference", "like", "WEBT-%"]], None, ["reference", "number", "state"]
    )
    with session_factory(pg_url)() as session:
        refs = dict(
            session.execute(select(Order.number, Order.erp_ref).where(Order.tenant_id == tenant_id)).tuples().all()
        )
    assert sorted((s["reference"], s["state"]) for s in sales) == [(o.number, "processing") for o in orders]
    assert refs == {**{s["reference"]: s["number"] for s in sales}, "WEBT-X": None}
