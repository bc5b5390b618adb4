"""A Spanish ERP's export connected the way a new user does it: one connection file, one check,
one sync; then the file changed (every record kept, refused rows loaded by a retry). Real
Postgres, the real flows on a temporary Prefect API, the CLI in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from shop.models import AuditEntry, Contact, Customer, ProductVariant, StockLevel, Tenant
from tests.cli_helpers import invoke
from tests.db import session_factory

pytestmark = pytest.mark.usefixtures("prefect_harness", "shop_env")

ARTICULOS = [  # Latin-1, ";", decimal commas and "." grouping thousands, the ERP's own headers
    "CODART;REFVARIANTE;DESCART;PRCVENTA;TALLA",
    "00123;00123-S;Camiseta Éxito;1.234;S",
    "00123;00123-M;Camiseta Éxito;1.234,50;M",
    "00200;00200-U;Gorra Ñandú;12,5;U",
    "00300;00300-U;;3,00;U",
]
CLIENTES = [  # contacts carried in each customer's row
    "CODCLI;NIFCLI;NOMCLI;POBLACION;CODCONTACTO;PERSONA;EMAILCONT",
    "C001;12345678Z;Ferretería López;Bilbao;C001-1;Ane López;ane@lopez.es",
    "C002;87654321X;Droguería Sáez;Vigo;C002-1;Xoán Sáez;xoan@saez.gal",
]
EXISTENCIAS = ["REFVARIANTE;UNIDADES", "00123-S;1.500", "00200-U;7"]  # no warehouse column

CONNECTION = """adapter = "csv_files"
sync = ["products", "customers", "stock"]

[options]
path = "{folder}"

[products]
files = ["articulos*.csv"]
decimal = ","
[products.columns]
sku = "REFVARIANTE"
template_code = "CODART"
name = "DESCART"
price = "PRCVENTA"
size = "TALLA"

[customers]
files = ["clientes*.csv"]
[customers.columns]
code = "CODCLI"
tax_id = "NIFCLI"
name = "NOMCLI"
city = "POBLACION"
[customers.defaults]
country = "ES"

[contacts]
files = ["clientes*.csv"]
[contacts.columns]
code = "CODCONTACTO"
customer_code = "CODCLI"
name = "PERSONA"
email = "EMAILCONT"

[stock]
files = ["existencias*.csv"]
decimal = ","
thousands = "."
[stock.columns]
sku = "REFVARIANTE"
quantity = "UNIDADES"
[stock.defaults]
warehouse = "CENTRAL"
"""


def drop(folder: Path, name: str, lines: list[str]) -> None:
    (folder / name).write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))


def sync_counts(url: str, slug: str) -> dict[str, dict[str, int]]:
    payload = json.loads(invoke(url, f"sync {slug} --json").stdout)
    return {row["entity"]: row for row in payload["entities"]}


def test_an_erp_export_connected_with_one_file_one_check_one_sync(pg_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "drops"
    folder.mkdir()
    drop(folder, "ARTICULOS_2026.CSV", ARTICULOS)  # upper case: globs ignore case
    drop(folder, "clientes.csv", CLIENTES)
    drop(folder, "existencias.csv", EXISTENCIAS)
    (folder / "LEEME.txt").write_text("no es una exportación")
    connection = tmp_path / "ferreteria.toml"
    connection.write_text(CONNECTION.format(folder=folder))
    slug = "ferreteria-" + tmp_path.name[-6:].lower().replace("_", "-")

    invoke(pg_url, f"connection validate {connection}")
    invoke(pg_url, f"tenant add {slug} --plan starter --connection {connection}")
    report = json.loads(invoke(pg_url, f"connection check {slug} --json").stdout)
    assert report["problems"] == []
    assert "LEEME.txt: read by no entity this tenant syncs" in report["warnings"]
    checked = {entity["entity"]: entity for entity in report["entities"]}
    assert [f["name"] for f in checked["products"]["files"]] == ["ARTICULOS_2026.CSV"]
    assert (checked["products"]["files"][0]["encoding"], checked["products"]["files"][0]["delimiter"]) == (
        "latin-1",
        ";",
    )
    assert [row["sku"] for row in checked["products"]["rows"]] == ["00200-U"]  # the only one the rules accept
    assert {bad["reason"] for bad in checked["products"]["refused"]} == {
        "price is not a number: '1.234'",
        "price is not a number: '1.234,50'",
        "missing name",
    }
    assert checked["stock"]["rows"] == [
        {"sku": "00123-S", "warehouse": "CENTRAL", "quantity": "1500.0000"},
        {"sku": "00200-U", "warehouse": "CENTRAL", "quantity": "7.0000"},
    ]
    assert checked["contacts"]["rows"][0]["customer_code"] == "C001"
    with session_factory(pg_url)() as session:  # the check wrote nothing and cost nothing
        tenant = session.scalars(select(Tenant).where(Tenant.slug == slug)).one()
        assert (
            tenant.credits_used,
            session.scalars(select(ProductVariant.id).where(ProductVariant.tenant_id == tenant.id)).all(),
        ) == (0, [])

    first = sync_counts(pg_url, slug)
    assert {e: (r["written"], r["quarantined"]) for e, r in first.items()} == {
        "products": (1, 3),
        "customers": (2, 0),
        "contacts": (2, 0),
        "stock": (1, 1),  # 00123-S was refused above: its stock has no variant yet
    }

    # The ERP prints one thousand as "1.234": declare the grouping, and the refused rows load.
    connection.write_text(
        CONNECTION.format(folder=folder).replace('decimal = ","\n', 'decimal = ","\nthousands = "."\n', 1)
    )
    replaced = json.loads(invoke(pg_url, f"connection set {slug} {connection} --json").stdout)
    assert replaced == {"tenant": slug, "changed": ["products"], "read_again": ["products"]}
    retried = invoke(pg_url, f"quarantine retry {slug} --all --entity products").stdout
    assert "2" in retried
    second = sync_counts(pg_url, slug)
    assert (second["products"]["written"], second["products"]["unchanged"], second["products"]["quarantined"]) == (
        0,
        3,
        1,
    )
    with session_factory(pg_url)() as session:
        tenant_id = session.scalars(select(Tenant.id).where(Tenant.slug == slug)).one()
        prices = dict(
            session.execute(
                select(ProductVariant.sku, ProductVariant.price).where(ProductVariant.tenant_id == tenant_id)
            ).all()
        )
        countries = set(session.scalars(select(Customer.country).where(Customer.tenant_id == tenant_id)))
        contacts = session.scalars(select(Contact.name).where(Contact.tenant_id == tenant_id)).all()
        stock = session.scalars(select(StockLevel.warehouse).where(StockLevel.tenant_id == tenant_id)).all()
        audit = session.scalars(select(AuditEntry.action).where(AuditEntry.tenant_id == tenant_id)).all()
    assert {sku: str(price) for sku, price in prices.items()} == {
        "00123-S": "1234.0000",
        "00123-M": "1234.5000",
        "00200-U": "12.5000",
    }
    assert countries == {"ES"} and sorted(contacts) == ["Ane López", "Xoán Sáez"]
    assert stock == ["CENTRAL", "CENTRAL"]  # 00123-S's stock loaded once its variant did
    assert "connection" in audit
    shown = invoke(pg_url, f"connection show {slug}").stdout
    assert 'thousands = "."' in shown and str(folder) in shown


def test_a_connection_that_cannot_map_its_exports_is_refused_when_saved(pg_url: str, tmp_path: Path) -> None:
    drop(tmp_path, "articulos.csv", ARTICULOS)
    connection = tmp_path / "c.toml"
    base = f'adapter = "csv_files"\n[options]\npath = "{tmp_path}"\n[products]\nfiles = ["articulos*.csv"]\n'

    connection.write_text(base + '[products.columns]\nskuu = "REFVARIANTE"\n')
    refused = invoke(pg_url, f"connection validate {connection}", expect=1).stderr
    assert "'skuu' is not a field of products (did you mean 'sku'?)" in refused and len(refused.splitlines()) == 1

    connection.write_text(base)  # no header of the export is a known name for sku, name or price
    refused = invoke(pg_url, f"connection validate {connection}", expect=1).stderr
    assert "products: articulos.csv: no column for required field 'sku', 'name', 'price'" in " ".join(refused.split())

    connection.write_text(
        base + '[products.columns]\nsku = "REF_VARIANTE_TYPO"\nname = "DESCART"\nprice = "PRCVENTA"\n'
    )
    refused = invoke(pg_url, f"connection validate {connection}", expect=1).stderr
    assert "'REF_VARIANTE_TYPO', which is not in the file" in " ".join(refused.split())

    slug = f"c-{tmp_path.name[-6:].lower().replace('_', '-')}"
    mixed = invoke(pg_url, f"tenant add {slug} --plan starter --connection {connection} --erp-option path=/x", expect=1)
    assert "--connection holds the adapter" in mixed.stderr
