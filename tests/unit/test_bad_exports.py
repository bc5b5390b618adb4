"""Exports that broke the csv_files reader: each is read right, or refused in one line naming the
file (MalformedSource). Every file is built here, byte by byte, as the tool that made it would."""

from __future__ import annotations

import codecs
import gzip
import io
import tarfile
import zipfile
from pathlib import Path

import openpyxl
import pytest

import erp_adapters.csv_files.reader as reader_module
from domain.products import PRODUCTS as PRODUCT_SPEC
from domain.transform import transform_page
from erp_adapters.csv_files.adapter import CsvFilesAdapter
from erp_adapters.csv_files.reader import count_rows
from erp_adapters.errors import AdapterConfigError, MalformedSource
from records.erp import Entity, Page

PRODUCTS = Entity.PRODUCTS
# Accents, Spanish punctuation and both decimal styles: what a Spanish ERP's export holds.
TEXT = "Referencia;Descripción;PVP\r\nÉ-1;Camión «azul» nº 3;19,90\r\nÑ-2;Pantalón niño;1.234,50\r\n"
FRAME = [
    {"Referencia": "É-1", "Descripción": "Camión «azul» nº 3", "PVP": "19,90"},
    {"Referencia": "Ñ-2", "Descripción": "Pantalón niño", "PVP": "1.234,50"},
]
LOADED = [
    {"sku": "É-1", "name": "Camión «azul» nº 3", "price": "19.9000"},
    {"sku": "Ñ-2", "name": "Pantalón niño", "price": "1234.5000"},
]
ARCHIVE = "products.csv: a gzip/zip archive, not a CSV export; unpack it into the drop folder"


def fetch_all(folder: Path, page_size: int = 100, **options: object) -> list[Page]:
    adapter = CsvFilesAdapter.from_options({"path": str(folder), **options})
    return list(adapter.fetch(PRODUCTS, None, page_size))


def refusal(folder: Path) -> str:
    with pytest.raises(MalformedSource) as raised:
        fetch_all(folder)
    return str(raised.value)


def loaded(page: Page) -> list[dict[str, str]]:
    batch = transform_page(page, PRODUCT_SPEC)
    assert batch.rejected == []
    return batch.rows[["sku", "name", "price"]].to_dict("records")


@pytest.mark.parametrize("bom", [codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE], ids=["LE", "BE"])
def test_utf16_with_a_bom_is_read(tmp_path: Path, bom: bytes) -> None:
    """As Excel's "Unicode text" and other Windows tools write it (once read as NUL-filled Latin-1)."""
    order = "utf-16-le" if bom == codecs.BOM_UTF16_LE else "utf-16-be"
    (tmp_path / "products.csv").write_bytes(bom + TEXT.encode(order))

    [page] = fetch_all(tmp_path)

    assert page.fields == {"sku": "Referencia", "name": "Descripción", "price": "PVP"}
    assert page.frame.to_dict("records") == FRAME
    assert loaded(page) == LOADED
    assert count_rows(tmp_path / "products.csv") == 2


@pytest.mark.parametrize(
    "content",
    [
        TEXT.encode("utf-16-le"),  # UTF-16 without its BOM
        TEXT.encode("utf-16-be"),
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"Workbook" + bytes(8),  # an old .xls
    ],
    ids=["utf16-le-no-bom", "utf16-be-no-bom", "xls"],
)
def test_nul_bytes_without_a_utf16_bom_are_binary_data(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "products.csv").write_bytes(content)

    assert refusal(tmp_path) == "products.csv: binary data (NUL bytes), not a CSV export"


MIXED = "mixes UTF-8 and Latin-1 text (first at line {}); re-export it in one encoding"


@pytest.mark.parametrize("block_bytes", [1 << 20, 1, 2, 3, 7])
def test_utf8_rows_in_a_latin1_export_are_refused_naming_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_bytes: int
) -> None:
    """Read as Latin-1, "É-2" loaded as "Ã\\x89-2". Small blocks cut the UTF-8 sequences between two reads."""
    monkeypatch.setattr(reader_module, "_BLOCK_BYTES", block_bytes)
    latin1 = "Referencia;Descripción;PVP\nA-1;Camión;1,00\n".encode("latin-1")
    (tmp_path / "products.csv").write_bytes(latin1 + "É-2;Pantalón;2,00\n".encode())

    assert refusal(tmp_path) == f"products.csv: {MIXED.format(3)}"


def test_a_latin1_row_in_a_utf8_export_is_refused_naming_the_line(tmp_path: Path) -> None:
    utf8 = "Referencia;Descripción;PVP\nA-1;Camión;1,00\nA-2;Acción;2,00\n".encode()
    (tmp_path / "products.csv").write_bytes(utf8 + "A-3;Pantalón;3,00\n".encode("cp1252"))

    assert refusal(tmp_path) == f"products.csv: {MIXED.format(4)}"


def test_a_utf8_bom_on_latin1_text_is_refused_as_mixed(tmp_path: Path) -> None:
    """Read as Latin-1, the first column was "ï»¿Referencia" and no field mapped to it."""
    content = codecs.BOM_UTF8 + "Referencia;Descripción;PVP\nA-1;Camión;1,00\n".encode("latin-1")
    (tmp_path / "products.csv").write_bytes(content)

    assert refusal(tmp_path) == f"products.csv: {MIXED.format(1)}"


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1", "utf-16"])
def test_a_gzipped_export_named_csv_is_read(tmp_path: Path, encoding: str) -> None:
    (tmp_path / "products.csv").write_bytes(gzip.compress(TEXT.encode(encoding)))

    [page] = fetch_all(tmp_path)

    assert page.frame.to_dict("records") == FRAME
    assert loaded(page) == LOADED
    assert count_rows(tmp_path / "products.csv") == 2


def test_a_gzipped_export_larger_than_a_block_streams_in_pages_and_resumes(tmp_path: Path) -> None:
    rows = 60_000  # about 1.9 MB unpacked: two blocks
    text = "sku;name;price\n" + "".join(f"S{n:05};Producto número {n};{n},50\n" for n in range(rows))
    (tmp_path / "products.csv").write_bytes(gzip.compress(text.encode("latin-1")))
    adapter = CsvFilesAdapter.from_options({"path": str(tmp_path)})

    pages = list(adapter.fetch(PRODUCTS, None, 25_000))
    resumed = list(adapter.fetch(PRODUCTS, pages[0].cursor, 25_000))

    assert [(page.first_row, len(page.frame)) for page in pages] == [(2, 25_000), (25_002, 25_000), (50_002, 10_000)]
    assert pages[-1].frame.iloc[-1].tolist() == ["S59999", "Producto número 59999", "59999,50"]
    assert [page.first_row for page in resumed] == [25_002, 50_002]
    assert adapter.estimate(PRODUCTS, None) == rows


def tar_gz(member: bytes) -> bytes:
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz") as archive:
        info = tarfile.TarInfo("products.csv")
        info.size = len(member)
        archive.addfile(info, io.BytesIO(member))
    return packed.getvalue()


def zipped(member: bytes | None) -> bytes:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        if member is not None:
            archive.writestr("products.csv", member)
    return packed.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        zipped(TEXT.encode()),
        zipped(None),
        tar_gz(TEXT.encode()),
        gzip.compress(zipped(TEXT.encode())),
    ],
    ids=["zip", "empty-zip", "tar.gz", "zip-in-gzip"],
)
def test_an_archive_named_csv_is_refused(tmp_path: Path, content: bytes) -> None:
    """Read as text, these gave "Error tokenizing data…" or a garbled page."""
    (tmp_path / "products.csv").write_bytes(content)

    assert refusal(tmp_path) == ARCHIVE


def test_a_truncated_gzip_is_malformed_not_a_read_error_to_retry(tmp_path: Path) -> None:
    (tmp_path / "products.csv").write_bytes(gzip.compress(TEXT.encode())[:-12])

    message = refusal(tmp_path)

    assert message.startswith("products.csv: a damaged gzip archive, not a readable CSV export (")
    assert "\n" not in message


def test_an_xlsx_is_a_zip_read_as_a_workbook_but_refused_under_a_csv_name(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Referencia", "Descripción", "PVP"])
    workbook.active.append(["É-1", "Camión «azul» nº 3", 19.9])
    (tmp_path / "xlsx").mkdir()
    (tmp_path / "csv").mkdir()
    workbook.save(tmp_path / "xlsx" / "products.xlsx")
    (tmp_path / "csv" / "products.csv").write_bytes((tmp_path / "xlsx" / "products.xlsx").read_bytes())

    [page] = fetch_all(tmp_path / "xlsx")

    assert page.frame.to_dict("records") == [{"Referencia": "É-1", "Descripción": "Camión «azul» nº 3", "PVP": "19.9"}]
    assert refusal(tmp_path / "csv") == ARCHIVE


LONG = 5_243_000  # a 5 MB line: the header of an export that lost its line ends


def test_a_5mb_header_gives_a_short_missing_column_message(tmp_path: Path) -> None:
    (tmp_path / "products.csv").write_bytes(b"a" * LONG + b"\n")
    [page] = fetch_all(tmp_path)

    with pytest.raises(MalformedSource) as raised:
        transform_page(page, PRODUCT_SPEC)

    message = str(raised.value)
    assert message == (
        "products.csv: no column for required field 'sku', 'name', 'price' "
        f"(columns: {'a' * 200}… (5,243,000 characters))"
    )
    assert len(message) < 400


def test_a_5mb_header_gives_a_bounded_mapping_message(tmp_path: Path) -> None:
    (tmp_path / "products.csv").write_bytes(b"a" * LONG + b"\n")

    with pytest.raises(AdapterConfigError) as raised:
        fetch_all(tmp_path, mapping={"products": {"sku": "Codigo SAP"}})

    listed = f"mapping for field 'sku' names column 'Codigo SAP', which is not in the file (columns: {'a' * LONG})"
    assert str(raised.value) == f"products.csv: {listed[:1000]}… ({len(listed):,} characters)"


def test_a_5mb_bad_price_is_quarantined_with_a_cut_reason(tmp_path: Path) -> None:
    content = b"sku;name;price\nS1;Camiseta;" + b"x" * LONG + b"\nS2;Gorra;9,90\n"
    (tmp_path / "products.csv").write_bytes(content)
    [page] = fetch_all(tmp_path)

    batch = transform_page(page, PRODUCT_SPEC)

    [rejected] = batch.rejected
    assert rejected.source_ref == "products.csv:2"  # line 1 is the header
    assert rejected.reason == f"price is not a number: '{'x' * 200}…' (5,243,000 characters)"
    assert len(rejected.reason) < 400
    assert batch.rows[["sku", "price"]].to_dict("records") == [{"sku": "S2", "price": "9.9000"}]


def test_the_cutting_helper() -> None:
    from records.text import clipped, quoted

    assert clipped("abc") == "abc" and quoted("abc") == "'abc'"
    assert clipped("é" * 201) == "é" * 200 + "… (201 characters)"
    assert quoted("x" * 1_000) == f"'{'x' * 200}…' (1,000 characters)"
    assert len(quoted("\x01" * 10_000)) < 1_000  # escapes lengthen the cut, never unboundedly
