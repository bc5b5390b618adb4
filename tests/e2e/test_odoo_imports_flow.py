"""Product variants imported from a fake Odoo over real HTTP: pages by id, then only changes cost."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select

from shop.models import Contact, Customer, ProductVariant, QuarantinedRecord
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
