"""Shop orders as Tryton sales, exactly once: the shop's order number is the sale's ``reference``.

The sale is looked up by reference before it is created, and the create is never retried after
a lost answer (see the client), so a push repeated after any failure finds the first sale.

The sale is in the order's currency (``currency.currency`` by ISO code), never the company's by
default: a currency Tryton does not hold refuses the order instead of relabelling its amounts.
"""

from __future__ import annotations

from typing import Any

from erp_adapters.errors import AdapterConfigError, OrderRejected
from erp_adapters.tryton.client import TrytonClient, TrytonRefused
from records.orders import ShopOrder


def find_sale(client: TrytonClient, reference: str) -> str | None:
    """The sale's number (its id while it is a draft without one), or None if none has it."""
    sale = _sale(client, reference)
    return None if sale is None else str(sale["number"] or sale["id"])


def push_sale(client: TrytonClient, order: ShopOrder, reference: str, *, confirm: bool, warehouse: str | None) -> str:
    """Create the sale unless it exists; then take it as far as confirmed, so a sale created by an
    attempt that failed before confirming is confirmed by the next attempt instead of left a draft."""
    sale = _sale(client, reference)
    try:
        if sale is None:
            values = _sale_values(client, order, reference, warehouse)
            (sale_id,) = client.model("sale.sale", "create", [values], write=True)
            sale = {"id": sale_id, "state": "draft"}
        if confirm and sale["state"] == "draft":
            client.model("sale.sale", "quote", [sale["id"]], write=True)
        if confirm and sale["state"] in ("draft", "quotation"):
            client.model("sale.sale", "confirm", [sale["id"]], write=True)
    except TrytonRefused as exc:
        raise OrderRejected(f"order {order.number}: {exc.message}") from None
    return find_sale(client, reference) or str(sale["id"])


def _sale(client: TrytonClient, reference: str) -> dict[str, Any] | None:
    found = client.search_read("sale.sale", [["reference", "=", reference]], 1, ["number", "state"])
    return dict(found[0]) if found else None


def _sale_values(client: TrytonClient, order: ShopOrder, reference: str, warehouse: str | None) -> dict[str, Any]:
    party = _party(client, order)
    products = _products(client, order)
    currency = _currency(client, order)
    lines = [
        {
            "type": "line",
            "product": products[line.sku]["id"],
            "quantity": float(line.quantity),
            "unit": products[line.sku]["sale_uom"],
            "unit_price": line.unit_price,
            **({"description": line.description} if line.description else {}),
        }
        for line in order.lines
    ]
    address = party["addresses"][0]
    return {
        "party": party["id"],
        "invoice_address": address,
        "shipment_address": address,
        "currency": currency,
        "warehouse": _warehouse(client, warehouse),
        "reference": reference,
        "sale_date": order.placed_at.date(),
        "description": f"Shop order {order.number}",
        "lines": [["create", lines]],
    }


def _warehouse(client: TrytonClient, code: str | None) -> int:
    """The warehouse sales ship from: Tryton leaves it empty when there are several."""
    domain = [["type", "=", "warehouse"], *([["code", "=", code]] if code else [])]
    found = client.search_read("stock.location", domain, 1, [])
    if not found:
        raise AdapterConfigError(f"tryton: no warehouse with code '{code}'" if code else "tryton: no warehouse")
    return int(found[0]["id"])


def _currency(client: TrytonClient, order: ShopOrder) -> int:
    """The active Tryton currency with the order's ISO code."""
    code = order.currency.strip().upper()
    if not code:
        raise OrderRejected(f"order {order.number}: the order has no currency")
    found = client.search_read("currency.currency", [["code", "=", code]], 1, [])
    if not found:
        raise OrderRejected(f"order {order.number}: currency '{code}' is not in Tryton")
    return int(found[0]["id"])


def _party(client: TrytonClient, order: ShopOrder) -> dict[str, Any]:
    found = client.search_read("party.party", [["code", "=", order.customer_code]], 1, ["addresses"])
    if not found:
        raise OrderRejected(f"order {order.number}: customer '{order.customer_code}' is not in Tryton")
    if not found[0]["addresses"]:
        raise OrderRejected(f"order {order.number}: customer '{order.customer_code}' has no address in Tryton")
    return dict(found[0])


def _products(client: TrytonClient, order: ShopOrder) -> dict[str, dict[str, Any]]:
    skus = sorted({line.sku for line in order.lines})
    found = client.search_read(
        "product.product", [["code", "in", skus], ["salable", "=", True]], None, ["code", "sale_uom"]
    )
    products = {record["code"]: record for record in found}
    missing = [sku for sku in skus if sku not in products]
    if missing:
        raise OrderRejected(f"order {order.number}: no salable product {', '.join(map(repr, missing))} in Tryton")
    return products
