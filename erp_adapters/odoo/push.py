"""Shop orders into Odoo as ``sale.order`` records, exactly once.

The shop order number goes into ``client_order_ref``, Odoo's field for the customer's own
reference, and is looked up there before every create. A create whose answer was lost (a time-out
after Odoo committed, a dropped connection) is therefore found on the next attempt, never made twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from erp_adapters.errors import OrderRejected
from erp_adapters.odoo.client import OdooClient, OdooRefused
from erp_adapters.orders import find_else_create, order_note
from records.orders import ShopOrder

ODOO_DATETIME = "%Y-%m-%d %H:%M:%S"  # Odoo stores naive UTC


def find_sale_order(client: OdooClient, reference: str) -> str | None:
    """The name (``S00042``) of the oldest sale order carrying this shop reference, if any."""
    found = client.execute_kw(
        "sale.order",
        "search_read",
        [[["client_order_ref", "=", reference]]],
        {"fields": ["name"], "order": "id asc", "limit": 1, "context": {"active_test": False}},
    )
    return str(found[0]["name"]) if found else None


def push_sale_order(client: OdooClient, order: ShopOrder, reference: str, attempts: int, backoff: float) -> str:
    """Find, else create (``erp_adapters.orders.find_else_create``). Raises OrderRejected for
    data Odoo refuses, TransientErpError when the attempts run out."""
    return find_else_create(
        lambda: find_sale_order(client, reference),
        lambda: create_sale_order(client, order, reference),
        attempts=attempts,
        backoff=backoff,
        answer_wait=client.timeout,
    )


def create_sale_order(client: OdooClient, order: ShopOrder, reference: str) -> str:
    values = {
        "partner_id": _partner_id(client, order.customer_code),
        "client_order_ref": reference,
        "date_order": order.placed_at.astimezone(dt.UTC).strftime(ODOO_DATETIME),
        "order_line": _order_lines(client, order),
        "note": order_note(order),
    }
    try:
        new_id = client.execute_kw("sale.order", "create", [values], write=True)
    except OdooRefused as exc:
        raise OrderRejected(f"Odoo refused order {order.number}: {exc}") from None
    created = client.execute_kw("sale.order", "read", [[new_id]], {"fields": ["name"]})
    return str(created[0]["name"])


def _partner_id(client: OdooClient, customer_code: str) -> int:
    found = client.execute_kw(
        "res.partner", "search_read", [[["ref", "=", customer_code]]], {"fields": ["id"], "limit": 1}
    )
    if not found:
        raise OrderRejected(f"customer {customer_code} is not in Odoo (no contact with reference {customer_code})")
    return int(found[0]["id"])


def _order_lines(client: OdooClient, order: ShopOrder) -> list[list[Any]]:
    skus = sorted({line.sku for line in order.lines})
    found = client.execute_kw(
        "product.product", "search_read", [[["default_code", "in", skus]]], {"fields": ["id", "default_code"]}
    )
    product_ids = {row["default_code"]: int(row["id"]) for row in found}
    missing = [sku for sku in skus if sku not in product_ids]
    if missing:
        raise OrderRejected(f"products not in Odoo (no internal reference {', '.join(missing)})")
    return [
        [
            0,  # Odoo's "create this line" command
            0,
            {
                "product_id": product_ids[line.sku],
                "product_uom_qty": float(line.quantity),
                "price_unit": float(line.unit_price),
                "name": line.description or line.sku,
            },
        ]
        for line in order.lines
    ]


def cancel_sale_order(client: OdooClient, reference: str) -> str:
    """Cancel the sale order carrying this shop reference (``action_cancel``); one already
    cancelled is left as it is. OrderRejected when Odoo refuses (a delivered or invoiced order)."""
    found = client.execute_kw(
        "sale.order",
        "search_read",
        [[["client_order_ref", "=", reference]]],
        {"fields": ["name", "state"], "order": "id asc", "limit": 1, "context": {"active_test": False}},
    )
    if not found:
        raise OrderRejected(f"Odoo has no sale order for shop order {reference}")
    name, state = str(found[0]["name"]), found[0].get("state")
    if state == "cancel":
        return f"{name} was already cancelled in Odoo"
    try:
        client.execute_kw("sale.order", "action_cancel", [[int(found[0]["id"])]], write=True)
    except OdooRefused as exc:
        raise OrderRejected(f"Odoo refused to cancel {name}: {exc}") from None
    return f"{name} cancelled in Odoo"
