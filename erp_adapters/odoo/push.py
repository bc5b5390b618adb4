"""Shop orders into Odoo as ``sale.order`` records, exactly once.

The shop order number goes into ``client_order_ref``, Odoo's field for the customer's own
reference, and is looked up there before every create. A create whose answer was lost (a time-out
after Odoo committed, a dropped connection) is therefore found on the next attempt, never made twice.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from erp_adapters.errors import NoAnswer, OrderRejected, TransientErpError
from erp_adapters.odoo.client import OdooClient, OdooRefused
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
    """Find, else create; a create that failed in a way that may have reached Odoo is retried
    after finding again. Raises OrderRejected for data Odoo refuses, TransientErpError when the
    attempts run out."""
    for attempt in range(1, attempts + 1):
        found = find_sale_order(client, reference)
        if found is not None:
            return found
        try:
            return create_sale_order(client, order, reference)
        except TransientErpError as exc:
            if attempt == attempts:
                raise
            # A create that got no answer may still be running in Odoo: the next look-up waits as
            # long again, so Odoo has had twice our time-out to commit it. Jitter spreads workers.
            settle = client.timeout if isinstance(exc, NoAnswer) else 0.0
            time.sleep(settle + backoff * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable: the last attempt returns or raises")


def create_sale_order(client: OdooClient, order: ShopOrder, reference: str) -> str:
    values = {
        "partner_id": _partner_id(client, order.customer_code),
        "client_order_ref": reference,
        "date_order": order.placed_at.astimezone(dt.UTC).strftime(ODOO_DATETIME),
        "order_line": _order_lines(client, order),
        "note": _note(order),
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


def _note(order: ShopOrder) -> str:
    parts = [f"Shop order {order.number}"]
    if order.payment_method:
        parts.append(f"payment: {order.payment_method}")
    if order.shipping_method:
        parts.append(f"shipping: {order.shipping_method}")
    return "; ".join(parts)
