"""Property: whatever a file holds — odd encodings, BOMs, missing or extra columns, huge fields,
injection strings, NaN or negative numbers, duplicate keys within and across batches, emojis —
each row is either loaded as it reads or quarantined with a reason, and a file the pipeline
cannot read fails with one line and writes nothing. Count in = loaded + unchanged + quarantined."""

from __future__ import annotations

import csv
import tempfile
import uuid
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import func, select

from domain.products import PRODUCTS
from domain.transform import drop_repeated, transform_page
from erp_adapters.errors import ErpError
from pipeline.extract import open_source
from pipeline.load import LoadTarget, load
from services.tenants import add_tenant
from shop.models import ProductVariant, QuarantinedRecord, SyncCursor
from tests.db import session_factory, unit_of_work

pytestmark = pytest.mark.reliability

NASTY = [
    "'; DROP TABLE product_variants; --",
    '=HYPERLINK("http://x")',
    "<script>alert(1)</script>",
    "Camiseta 👕 verde 🌿",
    "名前",
    "línea\nnueva",
    '"comillas"; y; separadores',
    "\ufeffBOM dentro",
    " ",
    "nul\x00en medio",
]
NUMBERS = ["9,95", "1.234,56", "1,234.56", "-5", "NaN", "inf", "-inf", "1e309", "12.5", "0", "", "abc", "€ 7,00"]
text = st.one_of(st.text(max_size=12), st.sampled_from(NASTY), st.text(min_size=256, max_size=300))
row = st.tuples(
    st.one_of(st.sampled_from([f"S-{n}" for n in range(5)]), text, st.just("")),  # few SKUs: duplicates
    text,
    st.one_of(st.sampled_from(NUMBERS), st.decimals(allow_nan=True, allow_infinity=True).map(str)),
    text,  # a column nobody asked for
)
HEADERS = [
    ("sku", "name", "price", "extra"),
    ("Referencia", "Nombre", "PVP", "Notas"),
    ("REFERENCIA", "descripción", "Precio Venta", "obs."),
    ("sku", "name", "notes", "extra"),  # no price column: the file cannot be read
]


def write_file(folder: Path, header: tuple[str, ...], rows: list[tuple[str, ...]], form: str) -> Path:
    if form == "xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        for values in [header, *rows]:
            sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) for v in values])  # no workbook holds control characters
        path = folder / "products.xlsx"
        book.save(path)
        return path
    encoding = form
    content = [header, *rows]
    if encoding == "latin-1" and not all(
        v.encode("latin-1", "ignore").decode("latin-1") == v for r in content for v in r
    ):
        encoding = "utf-8"  # what a Latin-1 ERP could never have written
    path = folder / "products.csv"
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(content)
    return path


def counted(url: str, tenant_id: int) -> tuple[int, int, dict | None]:  # type: ignore[type-arg]
    with session_factory(url)() as session:
        stored = session.scalar(
            select(func.count()).select_from(ProductVariant).where(ProductVariant.tenant_id == tenant_id)
        )
        quarantined = session.scalar(
            select(func.count()).select_from(QuarantinedRecord).where(QuarantinedRecord.tenant_id == tenant_id)
        )
        cursor = session.scalar(select(SyncCursor.position).where(SyncCursor.tenant_id == tenant_id))
    return int(stored or 0), int(quarantined or 0), cursor


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(row, min_size=1, max_size=20),
    header=st.sampled_from(HEADERS),
    form=st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "xlsx"]),
)
def test_every_row_is_loaded_or_quarantined(
    pg_url: str, rows: list[tuple[str, ...]], header: tuple[str, ...], form: str
) -> None:
    event(check_file(pg_url, rows, header, form))  # --hypothesis-show-statistics shows the mix


def check_file(pg_url: str, rows: list[tuple[str, ...]], header: tuple[str, ...], form: str) -> str:
    """Loads one generated file for a new tenant, checks the accounting and says how it went."""
    folder = Path(tempfile.mkdtemp(prefix="erp-sync-bad-"))
    write_file(folder, header, rows, form)
    slug = f"b-{uuid.uuid4().hex[:10]}"
    with unit_of_work(pg_url) as session:
        tenant_id = add_tenant(
            session, slug, "corporate", erp_kind="csv_files", erp_options={"path": str(folder)}, entities=[]
        ).id
    target = LoadTarget(session_factory(pg_url), tenant_id, slug, "bad-input")

    fetched = written = unchanged = rejected = 0
    seen: set[tuple[str, ...]] = set()
    try:
        for batch_no, page in enumerate(
            open_source(session_factory(pg_url), tenant_id, "products").pages("products", 3)
        ):
            result = load(drop_repeated(transform_page(page, PRODUCTS), seen), target, batch_no)
            fetched += result.fetched
            written, unchanged, rejected = (
                written + result.written,
                unchanged + result.unchanged,
                rejected + result.quarantined,
            )
    except ErpError as exc:  # a file the pipeline cannot read: one line, nothing written, cursor kept
        assert "\n" not in str(exc) and str(exc)
        stored, quarantined, cursor = counted(pg_url, tenant_id)
        assert header == HEADERS[-1] or stored + quarantined == 0 or cursor is None
        return f"refused: {type(exc).__name__}"
    assert header != HEADERS[-1], "a file without a price column was read"

    stored, quarantined, _ = counted(pg_url, tenant_id)
    assert fetched == len(rows)  # no row lost or invented by the reader, whatever its bytes
    assert fetched == written + unchanged + rejected  # each row loaded, found unchanged or refused
    assert stored == written  # one record per distinct valid key (the first row wins), written once
    with session_factory(pg_url)() as session:
        reasons = session.scalars(select(QuarantinedRecord.reason).where(QuarantinedRecord.tenant_id == tenant_id))
        assert all(reason.strip() and "\n" not in reason for reason in reasons)
    assert 0 < quarantined <= rejected or rejected == quarantined == 0  # identical bad rows share an entry
    return f"read: {'some' if rejected else 'no'} rows quarantined, {'some' if written else 'no'} loaded"


def test_a_nul_character_is_quarantined_not_fatal(pg_url: str) -> None:
    """Found by the property above: Postgres refuses NUL in text, and the whole batch failed."""
    rows = [("S-1", "nombre\x00raro", "9,95", ""), ("S-2", "bien", "9,95", "")]
    assert check_file(pg_url, rows, HEADERS[0], "utf-8") == "read: some rows quarantined, some loaded"


def test_a_number_too_large_for_the_shop_is_quarantined(pg_url: str) -> None:
    """Also found by the property: a price of 10,000,000,000 overflowed the column and failed the batch."""
    rows = [("S-1", "caro", "10.000.000.000,00", ""), ("S-2", "bien", "9,95", "")]
    assert check_file(pg_url, rows, HEADERS[0], "utf-8") == "read: some rows quarantined, some loaded"
