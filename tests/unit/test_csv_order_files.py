"""Orders dropped for a file-based ERP: one complete file per order, named by its number."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from erp_adapters.csv_files.adapter import CsvFilesAdapter
from erp_adapters.errors import TransientErpError
from records.orders import ShopOrder, ShopOrderLine

ORDER = ShopOrder(
    number="W-1001",
    customer_code="C0001",
    placed_at=dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC),
    lines=(
        ShopOrderLine("POL-0001-NEG-S", Decimal(2), Decimal("39.00"), "Polo piqué negro S"),
        ShopOrderLine("POL-0001-NEG-M", Decimal(1), Decimal("39.00")),
    ),
    total=Decimal("117.00"),
    shipping_address={"city": "Valencia"},
    payment_method="tarjeta",
)


def test_an_order_is_dropped_once_as_a_file_named_by_its_number(tmp_path: Path) -> None:
    adapter = CsvFilesAdapter(tmp_path)
    assert adapter.find_order("W-1001") is None
    assert adapter.push_order(ORDER, "W-1001") == "W-1001"
    dropped = tmp_path / "orders" / "W-1001.csv"
    first_write = dropped.stat().st_mtime_ns
    assert adapter.push_order(ORDER, "W-1001") == "W-1001"  # already there: not written again
    assert dropped.stat().st_mtime_ns == first_write
    assert adapter.find_order("W-1001") == "W-1001"
    assert [p.name for p in (tmp_path / "orders").iterdir()] == ["W-1001.csv"]  # no partial file left
    rows = list(csv.DictReader(dropped.read_text(encoding="utf-8").splitlines(), delimiter=";"))
    assert [(r["line_no"], r["sku"], r["quantity"], r["unit_price"]) for r in rows] == [
        ("1", "POL-0001-NEG-S", "2", "39.00"),
        ("2", "POL-0001-NEG-M", "1", "39.00"),
    ]
    assert rows[0]["description"] == "Polo piqué negro S"
    assert rows[0]["shipping_address"] == '{"city": "Valencia"}'
    assert rows[1]["payment_method"] == "tarjeta"


def test_a_folder_the_erp_cannot_be_given_files_in_is_a_transient_error(tmp_path: Path) -> None:
    (tmp_path / "orders").write_text("a file where the folder should be")
    with pytest.raises(TransientErpError, match="cannot drop order W-1001"):
        CsvFilesAdapter(tmp_path).push_order(ORDER, "W-1001")
