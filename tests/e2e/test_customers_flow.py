"""Customers and their contacts through the same pipeline, on Postgres under Prefect's harness."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from devkit.samples import write_customers
from quotas.ledger import Ledger, count_credits
from services.tenants import add_tenant
from shop.models import Contact, Customer, QuarantinedRecord
from tests.db import session_factory, unit_of_work

pytestmark = pytest.mark.usefixtures("prefect_harness", "shop_env")


def tenant(pg_url: str, folder: Path, entities: list[str]) -> tuple[int, str]:
    slug = f"c-{uuid.uuid4().hex[:10]}"
    with unit_of_work(pg_url) as session:
        row = add_tenant(
            session, slug, "starter", erp_kind="csv_files", erp_options={"path": str(folder)}, entities=entities
        )
        return row.id, slug


def sync(slug: str) -> Any:
    from flows.sync_tenant import sync_tenant

    state = sync_tenant(tenant=slug, return_state=True)
    assert state.is_completed(), f"{state.name}: {state.message}"
    return state.result()


def reasons(pg_url: str, tenant_id: int, entity: str) -> list[str]:
    with session_factory(pg_url)() as session:
        return sorted(
            session.scalars(
                select(QuarantinedRecord.reason).where(
                    QuarantinedRecord.tenant_id == tenant_id, QuarantinedRecord.entity == entity
                )
            )
        )


def count(pg_url: str, model: Any, tenant_id: int) -> int:
    with session_factory(pg_url)() as session:
        return session.execute(select(func.count()).select_from(model).where(model.tenant_id == tenant_id)).scalar_one()


def test_customers_then_contacts_with_bad_rows(pg_url: str, tmp_path: Path) -> None:
    write_customers(tmp_path, 120)
    tenant_id, slug = tenant(pg_url, tmp_path, ["customers"])

    results = sync(slug)

    assert list(results) == ["customers", "contacts"]  # the parent entity first
    assert (results["customers"]["written"], results["customers"]["quarantined"]) == (120, 2)
    assert (results["contacts"]["written"], results["contacts"]["quarantined"]) == (120, 1)
    assert reasons(pg_url, tenant_id, "customers") == [
        "email is not an e-mail address",
        "tax_id is not a valid NIF/NIE/CIF: '12345678A'",
    ]
    assert reasons(pg_url, tenant_id, "contacts") == ["customer 'C77777' is not in the shop yet"]
    assert (count(pg_url, Customer, tenant_id), count(pg_url, Contact, tenant_id)) == (120, 120)
    usage = Ledger(session_factory(pg_url)).usage(tenant_id)
    assert (usage.credits_used, usage.processes_used) == (240, 240)
    with session_factory(pg_url)() as session:
        recount = count_credits(session, tenant_id)
        stored = session.scalars(select(Customer).where(Customer.tenant_id == tenant_id, Customer.code == "C00001"))
        first = stored.one()
    assert (recount.customers, recount.contacts, recount.total) == (120, 120, 240)
    assert (first.country, first.province, first.tax_id) == ("ES", "Barcelona", "B10000370")

    for path in tmp_path.glob("*.csv"):  # the ERP exports the same data again
        os.utime(path)
    again = sync(slug)
    assert (again["customers"]["written"], again["contacts"]["written"]) == (0, 0)
    assert Ledger(session_factory(pg_url)).usage(tenant_id).processes_used == 240


def test_a_contact_before_its_customer_waits_then_loads(pg_url: str, tmp_path: Path) -> None:
    drop, staging = tmp_path / "drop", tmp_path / "staging"
    _, contacts = write_customers(drop, 10, bad_rows=False)
    with contacts.open("a", encoding="latin-1", newline="") as handle:  # its customer comes later
        handle.write("K00011;C00011;Ana Ruiz;ana@cliente11.es;\r\n")
    tenant_id, slug = tenant(pg_url, drop, ["customers"])

    first = sync(slug)

    assert (first["contacts"]["written"], first["contacts"]["quarantined"]) == (10, 1)
    assert reasons(pg_url, tenant_id, "contacts") == ["customer 'C00011' is not in the shop yet"]

    customers, _ = write_customers(staging, 11, bad_rows=False)  # the ERP now exports C00011 too
    customers.replace(drop / "customers.csv")
    second = sync(slug)

    assert second["customers"]["written"] == 1
    assert second["contacts"]["written"] == 1  # the waiting contact, healed without a new contacts export
    with session_factory(pg_url)() as session:
        contact = session.scalars(select(Contact).where(Contact.tenant_id == tenant_id, Contact.code == "K00011")).one()
        waiting = session.scalars(select(QuarantinedRecord).where(QuarantinedRecord.tenant_id == tenant_id)).one()
    assert (contact.customer_code, contact.name) == ("C00011", "Ana Ruiz")
    assert waiting.resolved_at is not None
    usage = Ledger(session_factory(pg_url)).usage(tenant_id)
    assert (usage.credits_used, usage.processes_used) == (22, 22)
