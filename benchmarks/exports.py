"""Deterministic ERP exports for the benchmarks: the demo's Spanish product and customer exports,
scaled up, as `;`-separated Latin-1 CSV or as an xlsx workbook. The same arguments always give
the same bytes, so every round and every case reads the same rows."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from devkit.samples import HEADER, write_customers, write_rows

PRICE = 2  # column of the product export that the delta cases change


def write_xlsx(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Artículos")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def with_changed_prices(rows: list[list[str]], share: float, price: str) -> tuple[list[list[str]], int]:
    """A copy of ``rows`` where every n-th variant (``share`` of them) costs ``price``, and how
    many of them that is."""
    changed = [list(row) for row in rows]
    if share == 0:
        return changed, 0
    for row in changed[:: round(1 / share)]:
        row[PRICE] = price
    return changed, len(changed[:: round(1 / share)])


def product_export(folder: Path, rows: list[list[str]], kind: str = "csv") -> Path:
    """The export an ERP drops into a tenant's folder: products.csv or products.xlsx."""
    if kind == "xlsx":
        return write_xlsx(folder / "products.xlsx", HEADER, rows)
    return write_rows(folder, "products.csv", HEADER, rows)


def customer_export(folder: Path, count: int) -> None:
    """Customers and one contact each, with no bad rows."""
    write_customers(folder, count, bad_rows=False)
