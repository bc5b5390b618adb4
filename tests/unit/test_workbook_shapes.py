"""Workbooks as other tools write them, not as openpyxl does: shared strings with rich text and a
phonetic guide, skipped cells and rows, booleans, errors, formulas, a custom date format on the
1904 calendar, no <dimension>, the sheet under another name and not first in the zip, and an
entity that tries to read a local file."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from erp_adapters.csv_files.reader import count_rows, read_chunks
from erp_adapters.errors import MalformedSource

MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
PACKAGE = 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
KIND = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def workbook(path: Path, sheet_data: str, shared: str = "", styles: str = "", date1904: bool = False) -> Path:
    """A minimal workbook: two sheets, the first in tab order stored as xl/worksheets/datos.xml
    (rId3), the second (rId1) a decoy that must not be read."""
    parts = {
        "xl/workbook.xml": (
            f'<workbook {MAIN} {REL}><workbookPr date1904="{int(date1904)}"/><sheets>'
            '<sheet name="Datos" sheetId="2" r:id="rId3"/><sheet name="Otra" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f"<Relationships {PACKAGE}>"
            f'<Relationship Id="rId1" Type="{KIND}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId3" Type="{KIND}/worksheet" Target="worksheets/datos.xml"/>'
            f'<Relationship Id="rId4" Type="{KIND}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId5" Type="{KIND}/styles" Target="/xl/styles.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet {MAIN}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>decoy</t></is></c></row>'
            "</sheetData></worksheet>"
        ),
        "xl/worksheets/datos.xml": f"<worksheet {MAIN}><sheetData>{sheet_data}</sheetData></worksheet>",
        "xl/sharedStrings.xml": shared or f'<sst {MAIN} count="0" uniqueCount="0"/>',
        "xl/styles.xml": styles or f"<styleSheet {MAIN}/>",
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name in sorted(parts, reverse=True):  # the workbook part last, as no writer puts it
            archive.writestr(name, parts[name])
    return path


def test_a_workbook_written_by_another_tool(tmp_path: Path) -> None:
    shared = (
        f'<sst {MAIN} count="4" uniqueCount="4">'
        "<si><t>Referencia</t></si><si><t>Nombre</t></si>"
        '<si><r><rPr><b/></rPr><t>Sudadera </t></r><r><t xml:space="preserve">azul</t></r></si>'
        '<si><t>カップ</t><rPh sb="0" eb="3"><t>カップ</t></rPh></si>'
        "</sst>"
    )
    styles = (
        f'<styleSheet {MAIN}><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
        '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs></styleSheet>'
    )
    header = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
    header += '<c r="C1" t="inlineStr"><is><t>PVP</t></is></c><c r="D1" t="inlineStr"><is><t>Activo</t></is></c>'
    header += '<c r="E1" t="inlineStr"><is><t>Alta</t></is></c><c r="F1" t="inlineStr"><is><t>Total</t></is></c></row>'
    rows = (
        header
        # B2 missing (an empty cell), a number with an exponent, a boolean, a 1904 serial date, an error
        + '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="C2"><v>1.99E1</v></c><c r="D2" t="b"><v>1</v></c>'
        '<c r="E2" s="1"><v>45620</v></c><c r="F2" t="e"><v>#N/A</v></c></row>'
        # rows 3 and 4 skipped; a formula's cached text; a cell with a style and no value
         + '<row r="5"><c r="A5" t="s"><v>3</v></c><c r="B5" t="str"><f>A5&amp;"!"</f><v>カップ!</v></c>'
        '<c r="C5" s="1"/></row>'
        # no r attributes at all, as some writers do
         + '<row><c><v>7</v></c><c t="inlineStr"><is><r><t>a</t></r><r><t>b</t></r></is></c></row>'
    )
    path = workbook(tmp_path / "products.xlsx", rows, shared, styles, date1904=True)

    [frame] = list(read_chunks(path, 100))

    assert list(frame.columns) == ["Referencia", "Nombre", "PVP", "Activo", "Alta", "Total"]
    assert frame.to_dict("records") == [
        {
            "Referencia": "Sudadera azul",
            "Nombre": "",
            "PVP": "19.9",
            "Activo": "TRUE",
            "Alta": "2028-11-25",  # 45,620 days after 1 January 1904; on the 1900 calendar, 2024-11-24
            "Total": "#N/A",
        },
        {"Referencia": "カップ", "Nombre": "カップ!", "PVP": "", "Activo": "", "Alta": "", "Total": ""},
        {"Referencia": "7", "Nombre": "ab", "PVP": "", "Activo": "", "Alta": "", "Total": ""},
    ]
    assert count_rows(path) == 3  # no <dimension>: the rows are counted


def test_an_error_names_the_sheet_row(tmp_path: Path) -> None:
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>sku</t></is></c></row><row r="9"><c r="C9"><v>1</v></c></row>'
    path = workbook(tmp_path / "products.xlsx", rows)

    with pytest.raises(MalformedSource, match=r"^products\.xlsx: row 9 has more filled cells than the header"):
        list(read_chunks(path, 100))


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ('<row r="1"><c r="A1" t="s"><v>5</v></c></row>', "list index out of range"),
        ('<row r="1"><c r="a1"><v>5</v></c></row>', "row 1: 'a1' is not a cell reference"),
        ('<row r="1"><c r="A1"><v>5</v></c>', "Opening and ending tag mismatch"),
    ],
    ids=["shared string out of range", "bad reference", "cut-off XML"],
)
def test_a_malformed_sheet_is_refused_in_one_line(tmp_path: Path, row: str, says: str) -> None:
    path = workbook(tmp_path / "products.xlsx", row)

    with pytest.raises(MalformedSource, match=r"^products\.xlsx: ") as refused:
        list(read_chunks(path, 100))

    assert says in str(refused.value) and "\n" not in str(refused.value)


def test_an_entity_in_the_workbook_reads_no_local_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    shared = (
        f'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY leak SYSTEM "file://{secret}">]>'
        f"<sst {MAIN}><si><t>sku</t></si><si><t>&leak;</t></si></sst>"
    )
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>'
    path = workbook(tmp_path / "products.xlsx", rows, shared)

    try:
        frames = list(read_chunks(path, 100))
    except MalformedSource as refused:
        assert "TOP-SECRET" not in str(refused)
    else:
        assert "TOP-SECRET" not in frames[0].to_csv()
