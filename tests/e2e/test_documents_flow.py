"""Invoices, delivery notes and pending orders (documents with lines), and admin users, through
the same pipeline on Postgres; then the embedded SQLite default for the documents."""

from __future__ import annotations

import csv
import datetime as dt
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from devkit.samples import (
    write_admin_users,
    write_customers,
    write_documents,
    write_products,
)
from domain.staff import add_admin
from quotas.ledger import Ledger, count_credits
from shop import migrate
from shop.models import AdminUser, DeliveryNote, Invoice, PendingOrder
from tests.db import session_factory, unit_of_work
from tests.e2e.test_customers_flow import count, reasons, sync, tenant
from tests.e2e.test_reconcile_flow import reconcile

pytestmark = pytest.mark.usefixtures("prefect_harness", "shop_env")

DOCUMENT_GROUPS = ["products", "customers", "invoices", "pending_orders"]


def erp_with_documents(folder: Path) -> None:
    write_products(folder, 40, bad_rows=False)
    write_customers(folder, 15, bad_rows=False)
    write_documents(folder, 30, 20, 10, customers=15, variants=40)


def rewrite(path: Path, change: Any) -> None:
    rows = list(csv.reader(path.open(encoding="latin-1"), delimiter=";"))
    rows = [rows[0], *filter(None, (change(row) for row in rows[1:]))]
    with path.open("w", encoding="latin-1", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    os.utime(path)


def test_documents_import_rerun_change_and_delete(pg_url: str, tmp_path: Path) -> None:
    erp_with_documents(tmp_path)
    tenant_id, slug = tenant(pg_url, tmp_path, DOCUMENT_GROUPS)

    results = sync(slug)

    assert [results[e]["written"] for e in ("invoices", "delivery_notes", "pending_orders")] == [30, 20, 10]
    assert (results["invoices"]["quarantined"], results["pending_orders"]["quarantined"]) == (3, 1)
    assert reasons(pg_url, tenant_id, "invoices") == [
        "customer 'C77777' is not in the shop yet",
        "issued_on is not a date: '31/02/2026'",
        "line 2: quantity is not a number: 'dos'",
    ]
    assert reasons(pg_url, tenant_id, "pending_orders") == ["missing status"]
    assert results["invoices"]["credits"] == 0  # documents cost processes, never credits
    with session_factory(pg_url)() as session:
        invoice = session.scalars(
            select(Invoice).where(Invoice.tenant_id == tenant_id, Invoice.number == "FV26-000001")
        )
        first = invoice.one()
        note = session.scalars(select(DeliveryNote).where(DeliveryNote.tenant_id == tenant_id)).first()
    assert isinstance(first.issued_on, dt.date) and first.issued_on.month == 11
    assert [line["line_no"] for line in first.lines] == [str(n) for n in range(1, len(first.lines) + 1)]
    lines_sum = sum(Decimal(line["quantity"]) * Decimal(line["unit_price"]) for line in first.lines)
    assert first.total == (lines_sum * Decimal("1.21")).quantize(Decimal("0.01"))  # the ERP's total, with IVA
    assert note is not None and note.total == 0 and all(line["unit_price"] == "" for line in note.lines)
    ledger = Ledger(session_factory(pg_url))
    before = ledger.usage(tenant_id).processes_used
    assert before == 40 + 15 + 15 + 30 + 20 + 10

    for path in tmp_path.glob("*.csv"):  # the same export again costs nothing
        os.utime(path)
    again = sync(slug)
    assert sum(r["written"] for r in again.values()) == 0
    assert ledger.usage(tenant_id).processes_used == before

    # One order changes state in the ERP; another is fulfilled and leaves the pending list.
    pending = tmp_path / "pending_orders.csv"
    rewrite(pending, lambda row: [*row[:-1], "Enviado"] if row[0] == "PV26-000001" else row)
    assert sync(slug)["pending_orders"]["written"] == 1
    rewrite(pending, lambda row: None if row[0] == "PV26-000002" else row)
    deleted = reconcile(slug).result()  # type: ignore[attr-defined]
    assert deleted["pending_orders"]["deleted"] == 1
    assert {e: r["deleted"] for e, r in deleted.items() if e != "pending_orders"} == dict.fromkeys(
        ("delivery_notes", "invoices", "contacts", "customers", "products"), 0
    )
    assert count(pg_url, PendingOrder, tenant_id) == 9
    assert ledger.usage(tenant_id).processes_used == before + 2


def test_an_invoice_for_a_new_customer_waits_then_loads(pg_url: str, tmp_path: Path) -> None:
    erp_with_documents(tmp_path)
    tenant_id, slug = tenant(pg_url, tmp_path, ["customers", "invoices"])
    sync(slug)
    assert "customer 'C77777' is not in the shop yet" in reasons(pg_url, tenant_id, "invoices")

    customers = tmp_path / "customers.csv"
    rewrite(customers, lambda row: row)
    with customers.open("a", encoding="latin-1", newline="") as handle:
        handle.write("C77777;B12345674;Nuevo Cliente S.L.;nuevo@cliente.es;;;Madrid;Madrid;28001\r\n")
    healed = sync(slug)

    assert healed["customers"]["written"] == 1
    assert healed["invoices"]["written"] == 1  # the waiting invoice, without a new invoices export
    assert count(pg_url, Invoice, tenant_id) == 31


def test_admin_users_from_the_erp_are_credits(pg_url: str, tmp_path: Path) -> None:
    write_admin_users(tmp_path, ["jefa@tienda.es", "almacen@tienda.es", "web@tienda.es"])
    tenant_id, slug = tenant(pg_url, tmp_path, ["admin_users"])
    with unit_of_work(pg_url) as session:  # one of them was given access by hand before
        add_admin(session, tenant_id, "web@tienda.es")

    results = sync(slug)

    # The hand-added admin is the same person: updated with the ERP's name, not a second credit.
    assert (results["admin_users"]["written"], results["admin_users"]["credits"]) == (3, 2)
    assert count(pg_url, AdminUser, tenant_id) == 3
    with session_factory(pg_url)() as session:
        assert count_credits(session, tenant_id).admin_users == 3
    assert Ledger(session_factory(pg_url)).usage(tenant_id).credits_used == 3


def test_documents_on_the_embedded_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    migrate.upgrade(url)
    monkeypatch.setenv("ERP_SYNC_DATABASE_URL", url)
    drop = tmp_path / "drop"
    erp_with_documents(drop)
    _, slug = tenant(url, drop, DOCUMENT_GROUPS)

    results = sync(slug)

    assert [results[e]["written"] for e in ("invoices", "delivery_notes", "pending_orders")] == [30, 20, 10]
    with session_factory(url)() as session:
        order = session.scalars(select(PendingOrder).where(PendingOrder.number == "PV26-000001")).one()
    assert isinstance(order.issued_on, dt.date) and order.status and order.lines
    assert sum(r["written"] for r in sync(slug).values()) == 0  # hashes match across the round trip
