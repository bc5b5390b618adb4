"""Product variants from Odoo: ``product.product`` read in pages by id, changed since a cursor.

The cursor is Odoo's ``write_date`` of the newest record seen, less a look-back: a record
committed late with an earlier stamp is read again instead of missed (re-reading an unchanged
record costs nothing). Within a run, pages follow the id, so an interrupted run resumes after
the last page it stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pandas as pd

from erp_adapters.base import Cursor, Page
from erp_adapters.odoo.client import OdooClient

MODEL = "product.product"
READ = ["id", "default_code", "name", "list_price", "barcode", "product_tmpl_id", "write_date"]
# Shop field -> column of the pages (Odoo's names, plus the template split out of product_tmpl_id).
FIELDS = {
    "sku": "default_code",
    "name": "name",
    "price": "list_price",
    "barcode": "barcode",
    "template_code": "template_id",
    "template_name": "template_name",
}
LOOK_BACK = dt.timedelta(seconds=30)
ODOO_STAMP = "%Y-%m-%d %H:%M:%S"


def product_pages(client: OdooClient, since: Cursor | None, page_size: int) -> Iterator[Page]:
    """Pages of the variants changed since the cursor (all of them without one), by id."""
    cursor = since or {}
    changed_since = cursor.get("write_date")
    domain: list[Any] = [["write_date", ">=", changed_since]] if changed_since else []
    after_id = int(cursor.get("after_id", 0))
    newest = str(cursor.get("newest") or changed_since or "")
    first_row = 1
    pending = _read(client, domain, after_id, page_size)
    while pending:
        after_id = int(pending[-1]["id"])
        newest = max([newest, *(str(row["write_date"]) for row in pending)])
        following = _read(client, domain, after_id, page_size)  # one page ahead: only the last one ends the run
        if following:
            next_cursor: Cursor = {"write_date": changed_since, "after_id": after_id, "newest": newest}
        else:
            next_cursor = {"write_date": _minus_look_back(newest), "after_id": 0}
        yield Page(_frame(pending), FIELDS, MODEL, first_row, next_cursor)
        first_row += len(pending)
        pending = following


def count_products(client: OdooClient, since: Cursor | None) -> int:
    changed_since = (since or {}).get("write_date")
    domain = [["write_date", ">=", changed_since]] if changed_since else []
    return int(client.execute_kw(MODEL, "search_count", [domain]))


def _read(client: OdooClient, domain: list[Any], after_id: int, limit: int) -> list[dict[str, Any]]:
    rows = client.execute_kw(
        MODEL, "search_read", [[*domain, ["id", ">", after_id]]], {"fields": READ, "order": "id asc", "limit": limit}
    )
    return list(rows)


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Every value as text, as the shop's transform expects; Odoo's False (empty) becomes ''."""
    records = []
    for row in rows:
        template = row.get("product_tmpl_id") or [None, ""]
        record = {column: _text(row.get(column)) for column in ("default_code", "name", "list_price", "barcode")}
        record["template_id"] = _text(template[0])
        record["template_name"] = _text(template[1])
        records.append(record)
    return pd.DataFrame(records, columns=list(FIELDS.values()), dtype=str)


def _text(value: object) -> str:
    return "" if value is False or value is None else str(value)


def _minus_look_back(stamp: str) -> str:
    return (dt.datetime.strptime(stamp, ODOO_STAMP) - LOOK_BACK).strftime(ODOO_STAMP)
