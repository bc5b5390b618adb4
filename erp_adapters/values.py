"""ERP values as the pipeline's text, shared by the API adapters: the transform judges text, so
every adapter writes a number, a date or an empty field the same way."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

Row = dict[str, str]


def text(value: Any) -> str:
    """'' for empty (None, False), '.' decimals without a trailing '.0', ISO dates (a datetime as
    its date: documents are issued on a day), other text stripped."""
    if value is None or value is False:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def document_row(number: Any, customer: Any, order_ref: Any, issued: Any, total: Any, lines: list[Row]) -> Row:
    """A document's header fields and its lines (``erp_adapters.documents``: one JSON list)."""
    return {
        "number": text(number),
        "customer_code": text(customer),
        "order_ref": text(order_ref),
        "issued_on": text(issued),
        "total": text(total),
        "lines": json.dumps(lines, ensure_ascii=False),
    }
