"""Invoices and credit notes, delivery notes and pending orders from Odoo, each with its lines.

- Invoices are posted ``account.move`` records of type ``out_invoice``, and credit notes of type
  ``out_refund``: a credit note's quantities and total are negative, as the shop keeps them. The
  lines are the move's product lines (``account.move.line``, ``display_type = product``). The
  order is the move's ``ref``, which Odoo copies from the sale order's customer reference: the
  shop's number for an order sent from the shop.
- Delivery notes are done outgoing ``stock.picking`` records, their lines the ``stock.move``
  records (quantities done, no prices); the order is the customer reference of the sale order the
  picking came from (``sale_id``).
- Pending orders are confirmed ``sale.order`` records not fully delivered (``delivery_status``,
  from the Inventory app); the status is the delivery status, the lines the order's product lines.

Each document's customer is its partner's company (``commercial_partner_id``) by its ``ref``.
Every page costs one read of the documents, one of their lines, and a few of what they link to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from erp_adapters.odoo.client import OdooClient
from erp_adapters.odoo.links import customer_codes, field_of, ids_of, skus
from erp_adapters.odoo.reading import OdooSource, many2one, text
from erp_adapters.values import Row, document_row

Record = dict[str, Any]
COLUMNS = ("number", "customer_code", "order_ref", "issued_on", "total", "lines")
FIELDS = {column: column for column in COLUMNS}


@dataclass(frozen=True)
class LineSource:
    model: str
    link: str  # the line's field holding its document
    quantity: str
    price: str | None  # None: the lines carry no price (a delivery)
    domain: tuple[tuple[str, str, Any], ...] = ()


def _lines(client: OdooClient, source: LineSource, documents: list[int]) -> dict[str, list[Record]]:
    """Document id → its lines, in Odoo's order (by id)."""
    fields = [source.link, "product_id", "name", source.quantity, *([source.price] if source.price else [])]
    domain = [[source.link, "in", documents], *(list(term) for term in source.domain)]
    found = client.execute_kw(source.model, "search_read", [domain], {"fields": fields, "order": "id asc"})
    lines: dict[str, list[Record]] = {}
    for line in found:
        lines.setdefault(many2one(line.get(source.link))[0], []).append(line)
    return lines


def _rows(
    client: OdooClient, rows: list[Record], source: LineSource, partner: str
) -> tuple[list[list[Row]], dict[str, str]]:
    """Each document's line rows (SKU, description, quantity, price), and its customer's code."""
    lines = _lines(client, source, [int(row["id"]) for row in rows])
    products = skus(client, [line.get("product_id") for found in lines.values() for line in found])
    customers = customer_codes(client, [row.get(partner) for row in rows])
    return [
        [
            {
                "line_no": str(number),
                "sku": products.get(many2one(line.get("product_id"))[0], ""),
                "description": text(line.get("name")),
                "quantity": text(line.get(source.quantity)),
                "unit_price": text(line.get(source.price)) if source.price else "",
            }
            for number, line in enumerate(lines.get(text(row["id"]), []), start=1)
        ]
        for row in rows
    ], {text(row["id"]): customers.get(many2one(row.get(partner))[0], "") for row in rows}


INVOICE_LINES = LineSource(
    "account.move.line", "move_id", "quantity", "price_unit", (("display_type", "=", "product"),)
)


def _invoices(client: OdooClient, rows: list[Record]) -> pd.DataFrame:
    lines, customers = _rows(client, rows, INVOICE_LINES, "partner_id")
    records = []
    for row, items in zip(rows, lines, strict=True):
        credit = row.get("move_type") == "out_refund"
        if credit:  # the shop keeps a credit note's quantities and total negative
            items = [{**item, "quantity": _negated(item["quantity"])} for item in items]
        total = _negated(text(row.get("amount_total"))) if credit else row.get("amount_total")
        issued = row.get("invoice_date") or _day(row.get("date"))
        records.append(document_row(row.get("name"), customers[text(row["id"])], row.get("ref"), issued, total, items))
    return pd.DataFrame(records, columns=list(COLUMNS), dtype=str)


DELIVERY_LINES = LineSource("stock.move", "picking_id", "quantity", None)


def _delivery_notes(client: OdooClient, rows: list[Record]) -> pd.DataFrame:
    lines, customers = _rows(client, rows, DELIVERY_LINES, "partner_id")
    orders = field_of(client, "sale.order", ids_of(row.get("sale_id") for row in rows), "client_order_ref")
    records = [
        document_row(
            row.get("name"),
            customers[text(row["id"])],
            orders.get(many2one(row.get("sale_id"))[0], ""),
            _day(row.get("date_done")),
            "",
            items,
        )
        for row, items in zip(rows, lines, strict=True)
    ]
    return pd.DataFrame(records, columns=list(COLUMNS), dtype=str)


ORDER_LINES = LineSource(
    "sale.order.line", "order_id", "product_uom_qty", "price_unit", (("display_type", "=", False),)
)


def _pending_orders(client: OdooClient, rows: list[Record]) -> pd.DataFrame:
    lines, customers = _rows(client, rows, ORDER_LINES, "partner_id")
    records = [
        {
            **document_row(
                row.get("name"),
                customers[text(row["id"])],
                row.get("client_order_ref"),
                _day(row.get("date_order")),
                row.get("amount_total"),
                items,
            ),
            "status": text(row.get("delivery_status")) or "pending",
        }
        for row, items in zip(rows, lines, strict=True)
    ]
    return pd.DataFrame(records, columns=[*COLUMNS, "status"], dtype=str)


def _day(stamp: object) -> str:
    """Odoo's ``2026-11-20 10:30:00`` (UTC) or ``2026-11-20`` as its day."""
    return text(stamp)[:10]


def _negated(number: str) -> str:
    if number in ("", "0"):
        return number
    return number[1:] if number.startswith("-") else f"-{number}"


def _source(
    model: str,
    domain: tuple[tuple[str, str, Any], ...],
    read: tuple[str, ...],
    frame: Callable[[OdooClient, list[Record]], pd.DataFrame],
    *extra: str,
) -> OdooSource:
    return OdooSource(model, domain, read, {**FIELDS, **{name: name for name in extra}}, frame)


INVOICES = _source(
    "account.move",
    (("move_type", "in", ["out_invoice", "out_refund"]), ("state", "=", "posted")),
    ("name", "move_type", "partner_id", "invoice_date", "date", "amount_total", "ref"),
    _invoices,
)
DELIVERY_NOTES = _source(
    "stock.picking",
    (("picking_type_code", "=", "outgoing"), ("state", "=", "done")),
    ("name", "partner_id", "date_done", "sale_id"),
    _delivery_notes,
)
PENDING_ORDERS = _source(
    "sale.order",
    (("state", "=", "sale"), ("delivery_status", "!=", "full")),
    ("name", "partner_id", "client_order_ref", "date_order", "amount_total", "delivery_status"),
    _pending_orders,
    "status",
)
