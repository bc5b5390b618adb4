"""Customers' tax ids: which ones are refused and why, and the refused rows kept as the ERP wrote
them, whatever share of a page they are."""

from __future__ import annotations

import pandas as pd

from devkit.samples import customer_rows
from domain.customers import CUSTOMERS, check_tax_id
from domain.tax_ids import is_valid_spanish_tax_id
from domain.transform import transform_page
from records.erp import Page

COLUMNS = ["Código", "NIF", "Nombre", "País"]
FIELDS = {"code": "Código", "tax_id": "NIF", "name": "Nombre", "country": "País"}


def test_only_spanish_tax_ids_are_checked_and_each_refusal_names_the_id() -> None:
    frame = pd.DataFrame(
        {
            "tax_id": ["B12345674", "12345678A", "X1234567L", "FR12345678901", "", "12345678Z"],
            "country": ["ES", "ES", "", "FR", "ES", ""],
        },
        index=[10, 11, 12, 13, 14, 15],  # a page's rows keep their own index
    )
    assert check_tax_id(frame).to_dict() == {
        10: "",
        11: "tax_id is not a valid NIF/NIE/CIF: '12345678A'",
        12: "",
        13: "",  # foreign VAT numbers are taken as given
        14: "",  # no tax id at all is not a wrong one
        15: "",
    }


def test_refused_rows_keep_every_cell_and_their_line_whatever_their_share_of_the_page() -> None:
    rows = [[f"C{n:03d}", "12345678A" if n % 2 else "12345678Z", f"Cliente {n}", "ES"] for n in range(1, 201)]
    page = Page(pd.DataFrame(rows, columns=COLUMNS, dtype=str), FIELDS, "clientes.csv", first_row=2)

    batch = transform_page(page, CUSTOMERS)

    assert len(batch.rows) == 100 and len(batch.rejected) == 100
    for refused, n in zip(batch.rejected, range(1, 201, 2), strict=True):
        assert refused.source_ref == f"clientes.csv:{n + 1}"
        assert refused.raw == dict(zip(COLUMNS, rows[n - 1], strict=True))
        assert refused.reason == "tax_id is not a valid NIF/NIE/CIF: '12345678A'"


def test_a_big_sample_export_has_valid_tax_ids_to_its_last_row() -> None:
    """The benchmarks import tens of thousands of sample customers: none may be refused for a
    tax id the generator outgrew (a NIF of 9 digits past customer 11,365, before)."""
    assert all(is_valid_spanish_tax_id(row[1]) for row in customer_rows(60_000))
