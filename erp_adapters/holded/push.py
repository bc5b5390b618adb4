"""Shop orders into Holded as sales orders (``salesorder`` documents), exactly once.

The shop's order number goes into the document's description (``desc``: "Shop order W-1001"),
a plain text field Holded keeps as sent. Holded's lists cannot filter on it, so a look-up lists
sales orders and compares descriptions: before a create, only the customer's sales orders dated
within two days of the order (``contactid``, ``starttmp`` and ``endtmp`` are filters Holded
documents), usually one page; ``find_order`` without the order, every sales order, newest first.
A create whose answer was lost is therefore found on the next attempt, never made twice.

The reference Holded gives back is the document's id: a draft's number can still change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from erp_adapters.errors import MalformedSource, OrderRejected
from erp_adapters.holded.client import HoldedClient, HoldedRefused
from erp_adapters.holded.listing import records
from erp_adapters.orders import find_else_create, order_note
from records.orders import ShopOrder, ShopOrderLine

ORDERS = "/documents/salesorder"
REFERENCE = "Shop order {}"
# Holded may date a document at midnight in Spain: the look-up window is wider than that shift.
WINDOW = dt.timedelta(days=2)


def find_sales_order(
    client: HoldedClient, reference: str, contact: str | None = None, placed_at: dt.datetime | None = None
) -> str | None:
    """The id of the newest sales order carrying this shop reference, if any; the contact and
    date narrow the listing when they are known."""
    params: dict[str, Any] = {"sort": "created-desc"}
    if contact is not None:
        params["contactid"] = contact
    if placed_at is not None:
        params["starttmp"] = int((placed_at - WINDOW).timestamp())
        params["endtmp"] = int((placed_at + WINDOW).timestamp())
    wanted = REFERENCE.format(reference)
    return next((str(r.record["id"]) for r in records(client, ORDERS, params) if r.record.get("desc") == wanted), None)


def push_sales_order(client: HoldedClient, order: ShopOrder, reference: str, attempts: int, backoff: float) -> str:
    """Find, else create; OrderRejected when Holded refuses the order or has no such customer."""
    contact = contact_id(client, order.customer_code)
    return find_else_create(
        lambda: find_sales_order(client, reference, contact, order.placed_at),
        lambda: create_sales_order(client, order, reference, contact),
        attempts=attempts,
        backoff=backoff,
        answer_wait=client.timeout,
    )


def contact_id(client: HoldedClient, customer_code: str) -> str:
    """The Holded contact of a shop customer: the one whose ``customId`` is the code, else the
    contact whose id it is (customers without a reference are coded by their id)."""
    found = client.get("/contacts", {"customId": customer_code})
    if isinstance(found, list) and found and isinstance(found[0], dict) and found[0].get("id"):
        return str(found[0]["id"])
    record = client.get(f"/contacts/{customer_code}") if customer_code.isalnum() else None
    if isinstance(record, dict) and record.get("id"):
        return str(record["id"])
    raise OrderRejected(f"customer {customer_code} is not in Holded (no contact with that customId or id)")


def _item(line: ShopOrderLine) -> dict[str, Any]:
    # Holded's "subtotal" of an item is its unit price: the line total is price × units.
    name = line.description or line.sku
    return {"name": name, "sku": line.sku, "units": float(line.quantity), "subtotal": float(line.unit_price)}


def create_sales_order(client: HoldedClient, order: ShopOrder, reference: str, contact: str) -> str:
    body = {
        "contactId": contact,
        "date": int(order.placed_at.timestamp()),
        "desc": REFERENCE.format(reference),
        "notes": order_note(order),
        "currency": order.currency.lower(),  # Holded writes currencies in lower case
        "items": [_item(line) for line in order.lines],
    }
    try:
        created = client.create(ORDERS, body)
    except HoldedRefused as refused:
        raise OrderRejected(f"Holded refused order {order.number}: {refused}") from None
    if not created.get("id"):
        raise MalformedSource(f"holded: POST {ORDERS} answered no id for order {order.number}")
    return str(created["id"])
