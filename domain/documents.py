"""Documents the ERP issues, each with its lines: invoices, delivery notes (albaranes) and
pending orders. Not credited; each document written is one process.

A document arrives as one record whose ``lines`` field is a JSON list of line objects
(adapters fold an export's one-row-per-line layout into that); a bad line sends the whole
document to quarantine, so a shop never shows half an invoice.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import cast

import pandas as pd
from sqlalchemy import Table

from domain.customers import CUSTOMERS_TABLE
from domain.specs import EntitySpec, FieldSpec, ParentRef
from shop.models import DeliveryNote, Invoice, PendingOrder

LINE_SPECS = (
    FieldSpec("line_no", max_length=16),  # numbered 1, 2, … when the export gives none
    FieldSpec("sku", required=True, max_length=64),
    FieldSpec("description", max_length=255),
    FieldSpec("quantity", kind="decimal", required=True),  # negative on a credit note or a return
    FieldSpec("unit_price", kind="decimal", minimum=0),  # delivery notes often carry no prices
)

HEADER_FIELDS = (
    FieldSpec("number", required=True, max_length=64),
    FieldSpec("customer_code", required=True, max_length=64),
    FieldSpec("order_ref", max_length=64),
    FieldSpec("issued_on", kind="date", required=True),
    FieldSpec("total", kind="decimal"),
    FieldSpec("lines", kind="lines", required=True, parts=LINE_SPECS),
)


def complete_document(frame: pd.DataFrame) -> pd.DataFrame:
    """Lines numbered 1, 2, … where the export gave no number; the total, where the export gave
    none, is the sum of quantity × unit price (lines without a price count as zero)."""
    documents = [json.loads(text) for text in frame["lines"]]
    for lines in documents:
        for position, line in enumerate(lines, start=1):
            line["line_no"] = line["line_no"] or str(position)
    totals = [
        f"{sum((Decimal(line['quantity']) * Decimal(line['unit_price'] or 0) for line in lines), Decimal(0)):.4f}"
        for lines in documents
    ]
    return frame.assign(
        lines=[json.dumps(lines, ensure_ascii=False, sort_keys=True) for lines in documents],
        total=frame["total"].mask(frame["total"] == "", pd.Series(totals, index=frame.index)),
    )


def document_spec(name: str, table: Table, *extra: FieldSpec) -> EntitySpec:
    return EntitySpec(
        name=name,
        table=table,
        key=("number",),
        fields=(*HEADER_FIELDS, *extra),
        credited=False,
        derive=complete_document,
        parent=ParentRef("customer_code", CUSTOMERS_TABLE, "code", "customer"),
    )


INVOICES = document_spec("invoices", cast(Table, Invoice.__table__))
DELIVERY_NOTES = document_spec("delivery_notes", cast(Table, DeliveryNote.__table__))
PENDING_ORDERS = document_spec(
    "pending_orders", cast(Table, PendingOrder.__table__), FieldSpec("status", required=True, max_length=32)
)
