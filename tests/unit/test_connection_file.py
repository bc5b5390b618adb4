"""A connection file read and checked, without a database: every refusal one line naming the
place and the closest valid name; the value rules it declares, applied by the transform."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from domain.entities import SPECS
from domain.transform import parse_date, parse_decimal, transform_page
from erp_adapters.csv_files.adapter import CsvFilesAdapter
from erp_adapters.csv_files.drops import EntityDrop, entity_drops
from erp_adapters.errors import MalformedSource
from records.erp import Entity, Page, ValueRules
from records.errors import InvalidInput
from services.connections import _document, parse_connection, render

GOOD = """
adapter = "csv_files"
secret = "ACME_ERP"
sync = ["products", "stock"]

[options]
path = "/srv/drops/acme"

[products]
files = ["articulos*.csv", "ARTICULOS*.TXT"]
encoding = "latin-1"
delimiter = ";"
decimal = ","
thousands = "."
date_format = "%d/%m/%Y"

[products.columns]
sku = "REFVARIANTE"
template_code = "CODART"
price = "PRCVENTA"

[stock.defaults]
warehouse = "CENTRAL"
"""


def test_a_connection_file_becomes_the_adapters_options() -> None:
    connection = parse_connection(GOOD)
    assert (connection.adapter, connection.secret, connection.sync) == ("csv_files", "ACME_ERP", ["products", "stock"])
    assert connection.options == {
        "path": "/srv/drops/acme",
        "files": {"products": ["articulos*.csv", "ARTICULOS*.TXT"]},
        "mapping": {"products": {"sku": "REFVARIANTE", "template_code": "CODART", "price": "PRCVENTA"}},
        "defaults": {"stock": {"warehouse": "CENTRAL"}},
        "formats": {
            "products": {
                "encoding": "latin-1",
                "delimiter": ";",
                "decimal": ",",
                "thousands": ".",
                "date_format": "%d/%m/%Y",
            }
        },
    }
    drops = entity_drops(connection.options)
    assert drops["products"].rules == ValueRules(",", ".", "%d/%m/%Y", {})
    assert (drops["products"].text.encoding, drops["products"].text.delimiter) == ("iso8859-1", ";")
    assert drops["stock"].rules.defaults == {"warehouse": "CENTRAL"}


def test_what_is_shown_reads_back_as_the_same_connection() -> None:
    connection = parse_connection(GOOD)
    shown = render(_document(connection), "acme")
    assert shown.startswith("# The ERP connection of tenant acme.")
    assert parse_connection(shown) == connection


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("[products.columns]", "[prodcts.columns]"), "unknown setting or entity 'prodcts' (did you mean 'products'?)"),
        (('sku = "REFVARIANTE"', 'skuu = "REFVARIANTE"'), "'skuu' is not a field of products (did you mean 'sku'?)"),
        (('decimal = ","', 'decimals = ","'), "[products]: unknown setting 'decimals' (did you mean 'decimal'?)"),
        (('adapter = "csv_files"', 'adapter = "csv_file"'), "unknown adapter 'csv_file' (did you mean 'csv_files'?)"),
        (('warehouse = "CENTRAL"', 'warehous = "CENTRAL"'), "'warehous' is not a field of stock (did you mean"),
        (
            ('sync = ["products", "stock"]', 'sync = ["products", "stok"]'),
            "sync: unknown group 'stok' (did you mean 'stock'?)",
        ),
        (('path = "/srv/drops/acme"', 'path = "/srv"\npassword = "hunter2"'), "'password' looks like a secret"),
        (('thousands = "."', 'thousands = ","'), "thousands of products must be one of"),
        (('date_format = "%d/%m/%Y"', 'date_format = "%d/%m"'), "date_format of products must be a pattern"),
        (('encoding = "latin-1"', 'encoding = "latin-9000"'), "encoding of products 'latin-9000' is unknown"),
        (('files = ["articulos*.csv", "ARTICULOS*.TXT"]', 'files = ["../etc/*.csv"]'), "names in the drop folder"),
        (('delimiter = ";"', 'delimiter = "::"'), "delimiter of products must be one of"),
        (('secret = "ACME_ERP"', "secret = ["), "not valid TOML"),
    ],
)
def test_a_mistake_is_one_line_with_the_closest_name(change: tuple[str, str], message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_connection(GOOD.replace(*change), "acme.toml")
    assert message in str(refused.value) and str(refused.value).startswith("acme.toml: ")
    assert "\n" not in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_options_are_a_table() -> None:
    with pytest.raises(InvalidInput, match=r"\[options\] must be a table"):
        parse_connection('adapter = "csv_files"\noptions = 3\n')


def test_per_entity_reading_is_for_drop_folders_only() -> None:
    odoo = 'adapter = "odoo"\n[options]\nurl = "https://erp.example"\n[products.columns]\nsku = "default_code"\n'
    with pytest.raises(InvalidInput, match=r"\[products\]: odoo reads its own models"):
        parse_connection(odoo)


def test_exports_are_matched_by_their_globs_ignoring_case(tmp_path: Path) -> None:
    for name in ("ARTICULOS_2026.CSV", "articulos.txt", "products.csv", "products.bak", "clientes.csv"):
        (tmp_path / name).write_text("x\n")
    declared = EntityDrop("products", files=("articulos*.csv", "Articulos*.TXT"))
    assert sorted(p.name for p in tmp_path.iterdir() if declared.matches(p)) == ["ARTICULOS_2026.CSV", "articulos.txt"]
    default = EntityDrop("products")  # the entity's name, as .csv or .xlsx only
    assert sorted(p.name for p in tmp_path.iterdir() if default.matches(p)) == ["products.csv"]


def test_declared_separators_read_spanish_thousands_and_refuse_what_does_not_fit() -> None:
    values = pd.Series(["1.234", "1.234,50", "12,5", "12.34", "1.234.567", "-3,5"])
    spanish = parse_decimal(values, ValueRules(decimal=",", thousands=".")).tolist()
    assert spanish[:3] == [1234.0, 1234.5, 12.5] and pd.isna(spanish[3]) and spanish[4:] == [1234567.0, -3.5]
    no_grouping = parse_decimal(values, ValueRules(decimal=",", thousands="")).tolist()
    assert pd.isna(no_grouping[0]) and pd.isna(no_grouping[1]) and no_grouping[2] == 12.5  # '.' is no separator here


def test_a_column_with_decimal_commas_reads_a_lone_dot_as_thousands() -> None:
    # Undeclared: the column's own style decides, so one thousand is not read as 1.234.
    parsed = parse_decimal(pd.Series(["19,90", "1.234", "1.5"])).tolist()
    assert parsed[:2] == [19.9, 1234.0] and pd.isna(parsed[2])  # '1.5' fits no style of the column
    assert parse_decimal(pd.Series(["1,234.50", "7.25"])).tolist() == [1234.5, 7.25]


def test_a_declared_date_format_is_the_only_one_read() -> None:
    values = pd.Series(["03/04/2026", "2026-04-03"])
    assert parse_date(values, "%m/%d/%Y").dt.strftime("%Y-%m-%d").fillna("").tolist() == ["2026-03-04", ""]
    assert parse_date(values).dt.strftime("%Y-%m-%d").tolist() == ["2026-04-03", "2026-04-03"]


def test_defaults_fill_a_missing_column_and_blank_cells_only() -> None:
    frame = pd.DataFrame({"REF": ["A", "B"], "UDS": ["1", "2"], "ALM": ["", "NORTE"]}, dtype=str)
    rules = ValueRules(defaults={"warehouse": "CENTRAL"})
    with_column = transform_page(
        Page(frame, {"sku": "REF", "quantity": "UDS", "warehouse": "ALM"}, "s.csv", 1, rules=rules), SPECS["stock"]
    )
    assert with_column.rows["warehouse"].tolist() == ["CENTRAL", "NORTE"]
    without = transform_page(Page(frame, {"sku": "REF", "quantity": "UDS"}, "s.csv", 1, rules=rules), SPECS["stock"])
    assert without.rows["warehouse"].tolist() == ["CENTRAL", "CENTRAL"]
    with pytest.raises(MalformedSource, match="no column for required field 'warehouse'"):
        transform_page(Page(frame, {"sku": "REF", "quantity": "UDS"}, "s.csv", 1), SPECS["stock"])


def test_the_adapter_reads_a_declared_encoding_and_says_when_it_is_wrong(tmp_path: Path) -> None:
    (tmp_path / "articulos.csv").write_bytes("ref|nombre|precio\nÉ-2|Camión|1.234,5\n".encode("cp1252"))
    options = {
        "path": str(tmp_path),
        "files": {"products": ["articulos*"]},
        "formats": {"products": {"encoding": "cp1252", "delimiter": "|", "decimal": ",", "thousands": "."}},
    }
    [page] = CsvFilesAdapter.from_options(options).fetch(Entity.PRODUCTS, None, 10)
    batch = transform_page(page, SPECS["products"])
    assert batch.rows[["sku", "name", "price"]].values.tolist() == [["É-2", "Camión", "1234.5000"]]
    options["formats"] = {"products": {"encoding": "utf-8"}}
    with pytest.raises(MalformedSource, match=r"articulos.csv: not utf-8-sig as declared"):
        list(CsvFilesAdapter.from_options(options).fetch(Entity.PRODUCTS, None, 10))


def test_a_workbook_keeps_its_typed_numbers_and_dates_whatever_the_text_exports_declare(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["Número", "Fecha", "Código cliente", "Línea", "Referencia", "Cantidad", "Precio", "Total"])
    book.active.append(["F-1", dt.datetime(2026, 11, 3), "C1", 1, "A-1", 2, 1234.5, 2469.0])
    book.save(tmp_path / "facturas.xlsx")
    (tmp_path / "facturas.csv").write_text(
        "Número;Fecha;Código cliente;Línea;Referencia;Cantidad;Precio;Total\nF-2;04/11/2026;C1;1;A-1;2;1.234,50;2.469\n"
    )
    options = {
        "path": str(tmp_path),
        "files": {"invoices": ["facturas*"]},
        "formats": {"invoices": {"decimal": ",", "thousands": ".", "date_format": "%d/%m/%Y"}},
    }
    pages = list(CsvFilesAdapter.from_options(options).fetch(Entity.INVOICES, None, 10))
    batches = [transform_page(page, SPECS["invoices"]) for page in pages]
    assert [b.rejected for b in batches] == [[], []]
    totals = {row["number"]: (row["issued_on"], row["total"]) for b in batches for row in b.rows.to_dict("records")}
    assert totals == {"F-1": ("2026-11-03", "2469.0000"), "F-2": ("2026-11-04", "2469.0000")}
