"""Documents folded from one row per line, and the order in which a tenant's groups run."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pandas as pd
import pytest

from devkit.samples import write_invoices
from domain.documents import LINE_SPECS
from domain.groups import SYNC_GROUPS, dependency_levels, priority_order
from erp_adapters.csv_files.adapter import CsvFilesAdapter
from erp_adapters.documents import fold_lines, whole_documents
from records.documents import LINE_FIELDS
from records.erp import Entity


def test_adapters_and_the_pipeline_agree_on_line_fields() -> None:
    assert tuple(spec.name for spec in LINE_SPECS) == LINE_FIELDS


def test_lines_fold_into_their_document_in_order() -> None:
    frame = pd.DataFrame(
        {
            "Num": ["F1", "F1", "F2", "F1"],  # a stray line of F1 after F2 still joins F1
            "Cliente": ["C1", "C1", "C2", "C1"],
            "Ref": ["A", "B", "C", "D"],
            "Cant": ["1", "2", "3", "4"],
        }
    )
    fields = {"number": "Num", "customer_code": "Cliente", "sku": "Ref", "quantity": "Cant"}

    documents, document_fields, rows = fold_lines(frame, fields, first_row=10)

    assert documents["Num"].tolist() == ["F1", "F2"]
    assert document_fields == {"number": "Num", "customer_code": "Cliente", "lines": "lines"}
    assert rows == [10, 12]
    assert [line["sku"] for line in json.loads(documents.at[0, "lines"])] == ["A", "B", "D"]
    assert json.loads(documents.at[1, "lines"]) == [{"sku": "C", "quantity": "3"}]


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 7, 100])
def test_no_document_is_split_between_pages(chunk_rows: int) -> None:
    numbers = ["A", "A", "A", "B", "C", "C", "D", "D", "D", "D", "E"]
    frame = pd.DataFrame({"n": numbers, "line": range(len(numbers))})
    chunks = [frame.iloc[i : i + chunk_rows].reset_index(drop=True) for i in range(0, len(frame), chunk_rows)]

    pages = list(whole_documents(chunks, "n"))

    assert pd.concat(pages)["line"].tolist() == list(range(len(numbers)))  # nothing lost, nothing repeated
    for page, following in itertools.pairwise(pages):
        assert page["n"].iloc[-1] != following["n"].iloc[0]


def test_invoice_export_read_in_small_pages_keeps_every_line(tmp_path: Path) -> None:
    path = write_invoices(tmp_path, 25, customers=5, variants=30, bad_rows=False)
    lines_in_file = sum(1 for _ in path.open(encoding="latin-1")) - 1

    pages = list(CsvFilesAdapter(tmp_path).fetch(Entity.INVOICES, None, page_size=4))

    numbers = [n for page in pages for n in page.frame["Número"]]
    assert len(numbers) == len(set(numbers)) == 25
    assert sum(len(json.loads(text)) for page in pages for text in page.frame["lines"]) == lines_in_file
    assert pages[-1].cursor["current"] is None  # only the last page marks the file done


def test_independent_groups_share_a_wave() -> None:
    assert dependency_levels(list(SYNC_GROUPS)) == [
        ["products", "sales_reps", "admin_users", "customers"],
        ["stock", "invoices", "pending_orders"],
    ]
    assert dependency_levels(["stock", "invoices"]) == [["stock", "invoices"]]  # parents not chosen: no wait


def test_priority_order_puts_the_tenants_choice_first() -> None:
    groups = ["products", "stock", "customers", "pending_orders"]
    assert priority_order(groups, []) == ["stock", "pending_orders", "customers", "products"]
    assert priority_order(groups, ["products"]) == ["products", "stock", "customers", "pending_orders"]
