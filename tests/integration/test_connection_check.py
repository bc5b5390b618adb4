"""`erp-sync connection check` beyond the fixtures' shapes: a server ERP read through its API (a
fake Odoo and a fake Holded over HTTP), UTF-16 and tab-separated text under a .txt name, a workbook, a wrong
declared encoding; and `connection set` when the folder moves. Nothing the check reads is written."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from devkit.samples import write_invoices
from services.tenants import add_tenant
from shop.models import ProductVariant, QuarantinedRecord, SyncCursor, Tenant
from tests.cli_helpers import invoke
from tests.db import session_factory, unit_of_work
from tests.fakes.holded_server import FakeHolded
from tests.fakes.holded_tenant import holded_tenant
from tests.fakes.odoo_server import FakeOdoo
from tests.fakes.odoo_tenant import odoo_tenant


def written_anything(url: str, tenant_id: int) -> int:
    with session_factory(url)() as session:
        variants = session.scalar(select(func.count()).where(ProductVariant.tenant_id == tenant_id))
        quarantined = session.scalar(select(func.count()).where(QuarantinedRecord.tenant_id == tenant_id))
        credits = session.get_one(Tenant, tenant_id).credits_used
    return int(variants or 0) + int(quarantined or 0) + credits


def test_a_server_erp_is_checked_through_its_api(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    odoo = FakeOdoo()
    odoo.put_variant("POL-1", "Polo 1", 19.9, (10, "Polo"))
    odoo.put_variant("POL-2", "Polo 2", 29.9, (10, "Polo"))
    with odoo.running():
        tenant_id, slug = odoo_tenant(pg_url, odoo, monkeypatch, plan="starter", entities=["products"], timeout=5)
        report = json.loads(invoke(pg_url, f"connection check {slug} --json").stdout)
    [products] = report["entities"]
    assert report["problems"] == [] and products["files"] == []
    assert sorted(row["sku"] for row in products["rows"]) == ["POL-1", "POL-2"]
    assert {row["price"] for row in products["rows"]} == {"19.9000", "29.9000"}
    assert written_anything(pg_url, tenant_id) == 0
    shown = invoke(pg_url, f"connection show {slug}").stdout
    assert 'adapter = "odoo"' in shown and odoo.password not in shown


def test_every_entity_holded_offers_is_checked_and_nothing_written(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    holded = FakeHolded(page_size=1)
    holded.put_product("POL", "Polo", 29.9, variants=[{"sku": "POL-S", "price": 29.9}, {"sku": "POL-M", "price": 31}])
    customer = holded.add_contact("Moda Levante SL", custom_id="C0001", code="B00000018")
    holded.add_person(customer, "Lucía Pérez")
    product, medium = holded.variant_id("POL-M")
    holded.set_stock(holded.add_warehouse("Central"), product, 4, variant_id=medium)
    line = [{"name": "Polo M", "units": 2, "price": 31, "sku": "POL-M"}]
    holded.add_document("invoice", customer, number="F00001", date=1_764_000_000, lines=line)
    groups = ["products", "stock", "customers", "invoices", "pending_orders"]
    with holded.running():
        tenant_id, slug = holded_tenant(pg_url, holded, monkeypatch, plan="starter", entities=groups)
        report = json.loads(invoke(pg_url, f"connection check {slug} --json").stdout)
        shown = invoke(pg_url, f"connection show {slug}").stdout
    checked = {entity["entity"]: entity for entity in report["entities"]}
    assert report["problems"] == []
    assert sorted(row["sku"] for row in checked["products"]["rows"]) == ["POL-M", "POL-S"]
    assert [(r["sku"], r["warehouse"]) for r in checked["stock"]["rows"]] == [("POL-M", "Central")]
    assert [row["customer_code"] for row in checked["contacts"]["rows"]] == ["C0001"]
    assert [row["customer_code"] for row in checked["invoices"]["rows"]] == ["C0001"]
    assert checked["pending_orders"]["rows"] == [] and checked["delivery_notes"]["rows"] == []
    assert written_anything(pg_url, tenant_id) == 0
    assert 'adapter = "holded"' in shown and holded.api_key not in shown


def csv_tenant(url: str, folder: Path, options: dict[str, object]) -> tuple[int, str]:
    slug = f"k-{folder.name[-8:].lower().replace('_', '-')}"
    with unit_of_work(url) as session:
        tenant = add_tenant(
            session,
            slug,
            "starter",
            erp_kind="csv_files",
            erp_options={"path": str(folder), **options},
            entities=["products"],
        )
        return tenant.id, slug


def test_odd_exports_are_checked_as_they_will_be_read(pg_url: str, tmp_path: Path) -> None:
    (tmp_path / "ARTICULOS.TXT").write_text("Código\tDescripción\tImporte\nÑ-1\tCañón\t1.234,5\n", encoding="utf-16")
    tenant_id, slug = csv_tenant(
        pg_url,
        tmp_path,
        {
            "files": {"products": ["articulos*.txt"]},
            "mapping": {"products": {"price": "Importe"}},
            "formats": {"products": {"decimal": ",", "thousands": "."}},
        },
    )
    report = json.loads(invoke(pg_url, f"connection check {slug} --json").stdout)
    [products] = report["entities"]
    assert [(f["name"], f["encoding"], f["delimiter"]) for f in products["files"]] == [
        ("ARTICULOS.TXT", "utf-16", "\t")
    ]
    assert [(r["sku"], r["name"], r["price"]) for r in products["rows"]] == [("Ñ-1", "Cañón", "1234.5000")]

    book = openpyxl.Workbook()
    book.active.append(["Referencia", "Nombre"])  # no price column, and no default for it
    book.active.append(["X-1", "Gorra"])
    book.save(tmp_path / "articulos_extra.xlsx")
    with unit_of_work(pg_url) as session:
        tenant = session.get_one(Tenant, tenant_id)
        tenant.erp_options = {**tenant.erp_options, "files": {"products": ["articulos*.txt", "articulos*.xlsx"]}}
    failed = invoke(pg_url, f"connection check {slug}", expect=1)
    problems = " ".join(failed.stderr.split())
    assert "xlsx workbook" in failed.stdout
    assert "problem: products:" in problems and "Importe" in problems  # the mapped column the workbook lacks
    assert written_anything(pg_url, tenant_id) == 0


def test_a_wrong_declared_encoding_is_a_problem_naming_the_file(pg_url: str, tmp_path: Path) -> None:
    (tmp_path / "products.csv").write_bytes("Referencia;Nombre;PVP\nA-1;Camión;9,5\n".encode("latin-1"))
    _, slug = csv_tenant(pg_url, tmp_path, {"formats": {"products": {"encoding": "utf-8"}}})
    report = json.loads(invoke(pg_url, f"connection check {slug} --json", expect=1).stdout)
    assert any("products.csv" in p and "not utf-8-sig as declared" in p for p in report["problems"]), report


def test_moving_the_folder_reads_every_entity_again(pg_url: str, tmp_path: Path) -> None:
    tenant_id, slug = csv_tenant(pg_url, tmp_path, {})
    with unit_of_work(pg_url) as session:
        for entity in ("products", "stock"):
            session.add(SyncCursor(tenant_id=tenant_id, entity=entity, position={"files": {"products.csv": "1:1"}}))
    moved = tmp_path / "moved"
    moved.mkdir()
    connection = tmp_path / "c.toml"
    connection.write_text(f'adapter = "csv_files"\n[options]\npath = "{moved}"\n')
    replaced = json.loads(invoke(pg_url, f"connection set {slug} {connection} --json").stdout)
    assert replaced["changed"] == ["options"] and "products" in replaced["read_again"]
    with session_factory(pg_url)() as session:
        assert session.scalars(select(SyncCursor.entity).where(SyncCursor.tenant_id == tenant_id)).all() == []
        assert session.get_one(Tenant, tenant_id).entities == ["products"]  # no `sync`: left as it was
    again = json.loads(invoke(pg_url, f"connection set {slug} {connection} --json").stdout)
    assert again == {"tenant": slug, "changed": [], "read_again": []}


def test_a_document_export_one_row_per_line_checks_clean(pg_url: str, tmp_path: Path) -> None:
    """Invoices come one row per line and are folded into documents: their header has no
    'lines' column, and the check must not ask for one."""
    write_invoices(tmp_path, 4, customers=3, variants=8)
    (tmp_path / "invoices.csv").replace(tmp_path / "facturas_2026.csv")
    tenant_id, slug = csv_tenant(
        pg_url, tmp_path, {"files": {"invoices": ["facturas*.csv"], "delivery_notes": ["albaranes*"]}}
    )
    with unit_of_work(pg_url) as session:
        session.get_one(Tenant, tenant_id).entities = ["invoices"]
    report = json.loads(invoke(pg_url, f"connection check {slug} --json", expect=1).stdout)
    checked = {entity["entity"]: entity for entity in report["entities"]}
    assert [f["problem"] for f in checked["invoices"]["files"]] == [None]
    assert checked["invoices"]["rows"] and checked["invoices"]["rows"][0]["number"].startswith("FV26-")
    assert report["problems"] == ["delivery_notes: no file in the drop folder matches albaranes*"]
