"""The csv_files adapter against real export files written into a temporary drop folder."""

from __future__ import annotations

import copy
import datetime as dt
import os
from pathlib import Path

import openpyxl
import pytest

import erp_adapters.csv_files.adapter as adapter_module
import erp_adapters.csv_files.reader as reader_module
from erp_adapters.base import Capability
from erp_adapters.csv_files.adapter import CsvFilesAdapter
from erp_adapters.csv_files.mapping import normalize_header, resolve_fields
from erp_adapters.csv_files.reader import cell_text, detect_encoding, detect_separator, read_chunks
from erp_adapters.errors import AdapterConfigError, MalformedSource
from erp_adapters.registry import create_adapter
from records.erp import Entity, Page

PRODUCTS = Entity.PRODUCTS


def write(path: Path, text: str, encoding: str = "utf-8", mtime_s: int | None = None) -> Path:
    path.write_bytes(text.encode(encoding))
    if mtime_s is not None:
        os.utime(path, ns=(mtime_s * 10**9, mtime_s * 10**9))
    return path


def signature(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def fetch_all(folder: Path, cursor: dict | None = None, page_size: int = 100, **options: object) -> list[Page]:
    adapter = CsvFilesAdapter.from_options({"path": str(folder), **options})
    return list(adapter.fetch(PRODUCTS, cursor, page_size))


def numbered_csv(rows: int) -> str:
    return "sku;name;price\n" + "".join(f"S{n};Product {n};{n},50\n" for n in range(1, rows + 1))


def test_semicolon_latin1_file_keeps_spanish_decimals_as_text(tmp_path: Path) -> None:
    text = "Referencia;Descripción;PVP;EAN\nA-001;Camiseta señora;19,90;00841234\nA-002;Pantalón niño;7,5;\n"
    path = write(tmp_path / "products.csv", text, encoding="latin-1")

    [page] = fetch_all(tmp_path)

    assert detect_encoding(path) == "latin-1"
    assert page.fields == {"sku": "Referencia", "name": "Descripción", "price": "PVP", "barcode": "EAN"}
    assert page.frame.to_dict("records") == [
        {"Referencia": "A-001", "Descripción": "Camiseta señora", "PVP": "19,90", "EAN": "00841234"},
        {"Referencia": "A-002", "Descripción": "Pantalón niño", "PVP": "7,5", "EAN": ""},
    ]
    assert page.source == "products.csv" and page.first_row == 2  # the line an editor shows: the header is line 1


def test_comma_utf8_file_with_bom_and_accents(tmp_path: Path) -> None:
    text = "\ufeff Código ,Nombre,Precio Venta\nC1,Camión azul,12.00\nC2,Acción «ñ»,3\n"
    path = write(tmp_path / "products.csv", text)

    [page] = fetch_all(tmp_path)

    assert detect_encoding(path) == "utf-8-sig"
    assert list(page.frame.columns) == ["Código", "Nombre", "Precio Venta"]
    assert page.fields == {"sku": "Código", "name": "Nombre", "price": "Precio Venta"}
    assert page.frame["Nombre"].tolist() == ["Camión azul", "Acción «ñ»"]
    assert page.frame["Precio Venta"].tolist() == ["12.00", "3"]


@pytest.mark.parametrize("block_bytes", [1, 2, 3, 1 << 20])
def test_encoding_is_judged_alike_whatever_the_block_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_bytes: int
) -> None:
    # Blocks of 1-3 bytes cut every multi-byte UTF-8 sequence; an uppercase accent before a
    # curly quote ("É”") happens to be valid UTF-8 yet is no sign of a mixed file.
    monkeypatch.setattr(reader_module, "_BLOCK_BYTES", block_bytes)
    utf8 = write(tmp_path / "a.csv", "sku;name\nS1;Camión «azul» — 5 €\n😀;Ñº\n")
    latin1 = write(tmp_path / "b.csv", "sku;name\nS1;Camión «azul» Nº 1ª\nS2;“CAFÉ”\n", encoding="cp1252")

    assert detect_encoding(utf8) == "utf-8-sig"
    assert detect_encoding(latin1) == "latin-1"


def test_a_stray_nul_in_a_cell_is_read_not_taken_for_binary_data(tmp_path: Path) -> None:
    # The transform quarantines that record (tests/reliability/test_bad_input.py); the file loads.
    write(tmp_path / "products.csv", "sku;name;price\nS1;nombre\x00raro;9,95\nS2;bien;9,95\n")

    [page] = fetch_all(tmp_path)

    assert page.frame["name"].tolist() == ["nombre\x00raro", "bien"]


def test_tab_separated_file(tmp_path: Path) -> None:
    path = write(tmp_path / "products.tsv.csv", "sku\tname\tprice\nT1\tTaza, grande\t4;5\n")

    [page] = fetch_all(tmp_path)

    assert detect_separator(path, "utf-8-sig") == "\t"
    assert page.frame.to_dict("records") == [{"sku": "T1", "name": "Taza, grande", "price": "4;5"}]


def test_xlsx_cells_become_the_text_the_sheet_shows(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Referencia", "Nombre", "PVP", "EAN", "Stock", "Alta", "Modificado"])
    sheet.append(
        ["X1", "Sudadera", 19.9, 8412345678901, 12, dt.datetime(2026, 11, 25), dt.datetime(2026, 11, 25, 9, 30)]
    )
    sheet.append(["X2", None, 20.0, None, 0, None, None])
    sheet.append([None, None, None, None, None, None, None])  # formatted but empty
    workbook.save(tmp_path / "Products_2026-11-25.xlsx")

    [page] = fetch_all(tmp_path)

    assert page.source == "Products_2026-11-25.xlsx"
    assert page.fields == {"sku": "Referencia", "name": "Nombre", "price": "PVP", "barcode": "EAN"}
    assert page.frame.to_dict("records") == [
        {
            "Referencia": "X1",
            "Nombre": "Sudadera",
            "PVP": "19.9",
            "EAN": "8412345678901",
            "Stock": "12",
            "Alta": "2026-11-25",
            "Modificado": "2026-11-25T09:30:00",
        },
        {"Referencia": "X2", "Nombre": "", "PVP": "20", "EAN": "", "Stock": "0", "Alta": "", "Modificado": ""},
    ]


def test_xlsx_pages_and_resume(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["sku", "price"])
    for n in range(1, 6):
        sheet.append([f"S{n}", n + 0.25])
    workbook.save(tmp_path / "products.xlsx")

    pages = fetch_all(tmp_path, page_size=2)
    resumed = fetch_all(tmp_path, cursor=pages[0].cursor, page_size=2)

    assert [page.first_row for page in pages] == [2, 4, 6]
    assert pages[0].frame["price"].tolist() == ["1.25", "2.25"]
    assert [page.first_row for page in resumed] == [4, 6]
    assert [sku for page in resumed for sku in page.frame["sku"]] == ["S3", "S4", "S5"]


def test_cell_text_formats() -> None:
    assert [cell_text(value) for value in (None, True, 12, 19.9, 20.0, 0.1 + 0.2, 1e-7, 1e20)] == [
        "",
        "TRUE",
        "12",
        "19.9",
        "20",
        "0.3",
        "0.0000001",
        "100000000000000000000",
    ]
    assert cell_text(dt.date(2026, 1, 2)) == "2026-01-02"


def test_large_file_yields_pages_with_row_numbers_and_cursors(tmp_path: Path) -> None:
    path = write(tmp_path / "products.csv", numbered_csv(5))
    sig = signature(path)

    pages = fetch_all(tmp_path, page_size=2)

    assert [page.first_row for page in pages] == [2, 4, 6]
    assert [len(page.frame) for page in pages] == [2, 2, 1]
    assert [sku for page in pages for sku in page.frame["sku"]] == ["S1", "S2", "S3", "S4", "S5"]
    assert pages[0].cursor == {"files": {}, "current": {"file": "products.csv", "signature": sig, "rows_done": 2}}
    assert pages[1].cursor == {"files": {}, "current": {"file": "products.csv", "signature": sig, "rows_done": 4}}
    assert pages[2].cursor == {"files": {"products.csv": sig}, "current": None}


def test_exact_multiple_of_page_size_ends_on_a_full_page(tmp_path: Path) -> None:
    write(tmp_path / "products.csv", numbered_csv(4))

    pages = fetch_all(tmp_path, page_size=2)

    assert [len(page.frame) for page in pages] == [2, 2]
    assert pages[-1].cursor["current"] is None


def test_refetch_with_final_cursor_yields_nothing(tmp_path: Path) -> None:
    write(tmp_path / "products.csv", numbered_csv(3))
    final = fetch_all(tmp_path, page_size=2)[-1].cursor

    assert fetch_all(tmp_path, cursor=final, page_size=2) == []


def test_rewritten_file_comes_back(tmp_path: Path) -> None:
    path = write(tmp_path / "products.csv", numbered_csv(3), mtime_s=1_700_000_000)
    final = fetch_all(tmp_path)[-1].cursor

    write(path, numbered_csv(3), mtime_s=1_700_000_100)  # same content, touched by the ERP
    pages = fetch_all(tmp_path, cursor=final)

    assert len(pages) == 1 and len(pages[0].frame) == 3
    assert pages[0].cursor == {"files": {"products.csv": signature(path)}, "current": None}
    assert signature(path) != final["files"]["products.csv"]


def test_resume_from_mid_file_cursor_yields_only_remaining_rows(tmp_path: Path) -> None:
    # Blank lines must not shift the numbering of a resumed read.
    write(tmp_path / "products.csv", "sku;name\nS1;a\n\nS2;b\nS3;c\n\nS4;d\nS5;e\n")
    pages = fetch_all(tmp_path, page_size=2)
    mid = pages[0].cursor
    before = copy.deepcopy(mid)

    resumed = fetch_all(tmp_path, cursor=mid, page_size=2)

    assert mid == before  # the caller's cursor is never mutated
    assert [page.first_row for page in resumed] == [4, 6]
    assert [sku for page in resumed for sku in page.frame["sku"]] == ["S3", "S4", "S5"]
    assert resumed[-1].cursor == pages[-1].cursor


def test_mid_file_cursor_of_a_rewritten_file_starts_over(tmp_path: Path) -> None:
    path = write(tmp_path / "products.csv", numbered_csv(4), mtime_s=1_700_000_000)
    mid = fetch_all(tmp_path, page_size=2)[0].cursor

    write(path, numbered_csv(4), mtime_s=1_700_000_500)
    pages = fetch_all(tmp_path, cursor=mid, page_size=2)

    assert [page.first_row for page in pages] == [2, 4]


def test_files_are_processed_oldest_first_and_each_is_remembered(tmp_path: Path) -> None:
    newer = write(tmp_path / "products_b.csv", numbered_csv(1), mtime_s=1_700_000_200)
    older = write(tmp_path / "products_a_late_name.csv", numbered_csv(2), mtime_s=1_700_000_100)

    pages = fetch_all(tmp_path)

    assert [page.source for page in pages] == [older.name, newer.name]
    assert pages[0].cursor == {"files": {older.name: signature(older)}, "current": None}
    assert pages[1].cursor["files"] == {older.name: signature(older), newer.name: signature(newer)}


def test_remembered_files_stay_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(adapter_module, "MAX_REMEMBERED_FILES", 2)
    for n in range(3):
        write(tmp_path / f"products_{n}.csv", numbered_csv(1), mtime_s=1_700_000_000 + n)
    gone_cursor = {"files": {"products_vanished.csv": "1:1"}, "current": None}

    final = fetch_all(tmp_path, cursor=gone_cursor)[-1].cursor

    assert set(final["files"]) == {"products_1.csv", "products_2.csv"}


def test_tenant_mapping_override_wins_over_aliases(tmp_path: Path) -> None:
    write(tmp_path / "products.csv", "Referencia;Cod Interno;Nombre;Descripcion\nR1;I1;n;d\n")

    [page] = fetch_all(tmp_path, mapping={"products": {"sku": "cod interno", "template_name": "Descripcion"}})

    assert page.fields == {"sku": "Cod Interno", "template_name": "Descripcion", "name": "Nombre"}
    assert page.frame.loc[0, page.fields["sku"]] == "I1"


def test_bad_mapping_override_raises_config_error(tmp_path: Path) -> None:
    write(tmp_path / "products.csv", "Referencia;Nombre\nR1;n\n")

    with pytest.raises(AdapterConfigError) as raised:
        fetch_all(tmp_path, mapping={"products": {"sku": "Codigo SAP"}})

    message = str(raised.value)
    assert "products.csv" in message and "'sku'" in message and "'Codigo SAP'" in message
    assert "Referencia, Nombre" in message and "\n" not in message


def test_mapping_option_must_be_nested_text() -> None:
    with pytest.raises(AdapterConfigError, match="mapping"):
        CsvFilesAdapter.from_options({"path": ".", "mapping": {"products": "sku"}})


def test_aliases_ignore_case_accents_and_punctuation() -> None:
    columns = ["COD. ARTÍCULO", "Descripción", "P.V.P.", "Código Barras", "Talla", "Colour", "Nombre Modelo", "Modelo"]

    fields = resolve_fields("products", columns, {})

    assert normalize_header("  Cód. Artículo ") == "cod_articulo"
    assert fields == {
        "sku": "COD. ARTÍCULO",
        "name": "Descripción",
        "barcode": "Código Barras",
        "size": "Talla",
        "color": "Colour",
        "template_name": "Nombre Modelo",
        "template_code": "Modelo",
    }


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("products_extra_field.csv", b"sku;name\nS1;a\nS2;b;c\n"),
        ("products_open_quote.csv", b'sku;name\nS1;"never closed\n'),
        ("products_shifted.csv", b"sku;name\nS1;a;x\nS2;b;y\n"),
        ("products_empty.csv", b""),
        ("products_binary.csv", b'\x89PNG\r\n\x1a\n\x00\x00;\x00"\x01\x02\n' + bytes(range(256)) * 4),
    ],
)
def test_unparseable_csv_raises_malformed_source_naming_the_file(tmp_path: Path, name: str, content: bytes) -> None:
    (tmp_path / name).write_bytes(content)

    with pytest.raises(MalformedSource) as raised:
        fetch_all(tmp_path, page_size=1)

    assert str(raised.value).startswith(f"{name}: ") and "\n" not in str(raised.value)


def test_corrupt_xlsx_raises_malformed_source(tmp_path: Path) -> None:
    write(tmp_path / "products.xlsx", "this is not a workbook")

    with pytest.raises(MalformedSource, match=r"^products\.xlsx: "):
        fetch_all(tmp_path)


def test_header_only_file_yields_one_empty_page_with_final_cursor(tmp_path: Path) -> None:
    path = write(tmp_path / "products.csv", "sku;name;price\n")

    pages = fetch_all(tmp_path)

    assert len(pages) == 1
    assert pages[0].frame.empty and list(pages[0].frame.columns) == ["sku", "name", "price"]
    assert pages[0].fields == {"sku": "sku", "name": "name", "price": "price"}
    assert pages[0].cursor == {"files": {"products.csv": signature(path)}, "current": None}
    assert fetch_all(tmp_path, cursor=pages[0].cursor) == []


def test_header_only_xlsx_yields_one_empty_page(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["sku", "name", None, "sku"])
    workbook.save(tmp_path / "products.xlsx")

    [page] = fetch_all(tmp_path)

    assert page.frame.empty and list(page.frame.columns) == ["sku", "name", "Unnamed: 2", "sku.1"]
    assert page.cursor["current"] is None


def test_files_of_other_entities_are_ignored(tmp_path: Path) -> None:
    for name in ("customers.csv", "products.txt", "old_products.csv", "products.csv.bak"):
        write(tmp_path / name, numbered_csv(1))
    (tmp_path / "products_dir.csv").mkdir()
    write(tmp_path / "PRODUCTS-2026.CSV", numbered_csv(2))

    pages = fetch_all(tmp_path)

    assert [page.source for page in pages] == ["PRODUCTS-2026.CSV"]


def test_reader_streams_in_chunks_of_at_most_chunk_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "products.csv", numbered_csv(7))

    sizes = [len(chunk) for chunk in read_chunks(path, 3)]
    skipped = [chunk["sku"].tolist() for chunk in read_chunks(path, 3, skip_rows=4)]

    assert sizes == [3, 3, 1]
    assert skipped == [["S5", "S6"], ["S7"]]
    assert [len(chunk) for chunk in read_chunks(path, 3, skip_rows=7)] == [0]


def test_registered_as_csv_files(tmp_path: Path) -> None:
    adapter = create_adapter("csv_files", {"path": str(tmp_path)})

    assert isinstance(adapter, CsvFilesAdapter)
    assert adapter.name == "csv_files"
    assert {Capability(str(entity)) for entity in Entity} | {Capability.DELTA} <= adapter.capabilities  # every import


@pytest.mark.parametrize("options", [{}, {"path": ""}, {"path": "/definitely/not/here"}])
def test_missing_or_nonexistent_folder_is_a_config_error(options: dict) -> None:
    with pytest.raises(AdapterConfigError, match=r"^csv_files: "):
        create_adapter("csv_files", options)
