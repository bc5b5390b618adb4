"""Holded's records as the shop's rows: one function per entity, plain data in, text out.

- A product of kind ``variants`` gives one row per variant (its own SKU, price and barcode);
  any other kind (simple, pack, lots) one row. The template is the Holded product.
- A customer's code is the contact's own reference (``customId``) when it has one, else its
  Holded id: the key orders are sent back with (``push.py``).
- Contacts are the ``contactPersons`` of a customer, coded by their ``personId``.
- Documents carry their lines in ``products``; a line with neither a SKU nor a product (shipping,
  a free-text line) is no product line and is left out, though the total still counts it. A
  credit note is an invoice with its quantities and total negative.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from erp_adapters.holded.listing import LIST
from erp_adapters.values import Row, document_row, text

Record = dict[str, Any]
# Holded dates documents at midnight in Spain: the day is read there, not in UTC.
HOLDED_ZONE = ZoneInfo("Europe/Madrid")
CUSTOMER_TYPES = frozenset({"client"})  # Holded's other types: supplier, debtor, creditor, lead
# Holded's numeric document states; the status field is reported unreliable, so an unknown
# number is kept as it is and the transform quarantines nothing for it.
CREDIT_NOTES = "/documents/creditnote"
ORDER_STATES = {0: "pending", 1: "accepted", 2: "closed", 3: "cancelled"}

PRODUCT_COLUMNS = ("sku", "name", "price", "template_code", "template_name", "barcode")
CUSTOMER_COLUMNS = (
    "code", "tax_id", "name", "email", "phone", "address", "city", "province", "postal_code", "country",
)  # fmt: skip
CONTACT_COLUMNS = ("code", "customer_code", "name", "email", "phone")
STOCK_COLUMNS = ("sku", "warehouse", "quantity", "product_id")
DOCUMENT_COLUMNS = ("number", "customer_code", "order_ref", "issued_on", "total", "lines")
PENDING_ORDER_COLUMNS = (*DOCUMENT_COLUMNS, "status")


def product_rows(record: Record) -> list[Row]:
    template = {"template_code": text(record.get("id")), "template_name": text(record.get("name"))}
    variants = record.get("variants") or []
    if record.get("kind") != "variants" or not variants:
        return [{"sku": text(record.get("sku")), "name": text(record.get("name")), "price": text(record.get("price")),
                 "barcode": text(record.get("barcode")), **template}]  # fmt: skip
    return [
        {
            "sku": text(variant.get("sku")),
            "name": " ".join(filter(None, (text(record.get("name")), text(variant.get("name"))))),
            "price": text(variant.get("price") if variant.get("price") not in (None, "") else record.get("price")),
            "barcode": text(variant.get("barcode")),
            **template,
        }
        for variant in variants
    ]


def is_customer(record: Record) -> bool:
    return record.get("type") in CUSTOMER_TYPES


def customer_code(record: Record) -> str:
    return text(record.get("customId")) or text(record.get("id"))


def customer_rows(record: Record) -> list[Row]:
    address = record.get("billAddress") or {}
    if not isinstance(address, dict):  # Holded sends an absent sub-record as []
        address = {}
    country = text(address.get("countryCode")).upper()
    return [
        {
            "code": customer_code(record),
            "tax_id": text(record.get("code")),
            "name": text(record.get("name")),
            "email": text(record.get("email")),
            "phone": text(record.get("phone")) or text(record.get("mobile")),
            "address": " ".join(text(address.get("address")).split()),
            "city": text(address.get("city")),
            "province": text(address.get("province")),
            "postal_code": postal_code(address.get("postalCode"), country),
            "country": country,
        }
    ]


def postal_code(value: object, country: str) -> str:
    """Holded sends some postal codes as numbers, which loses a Spanish code's leading zero
    (04747 comes as 4747): a Spanish code is five digits."""
    code = text(value)
    return code.zfill(5) if country == "ES" and code.isdigit() and len(code) < 5 else code


def contact_rows(record: Record) -> list[Row]:
    people = record.get("contactPersons") or []
    return [
        {
            "code": text(person.get("personId")),
            "customer_code": customer_code(record),
            "name": text(person.get("name")),
            "email": text(person.get("email")),
            "phone": text(person.get("phone")),
        }
        for person in people
        if isinstance(person, dict)
    ]


def stock_rows(answer: object, warehouse: str, skus: Mapping[str, str]) -> list[Row]:
    """Rows of one ``GET /warehouses/{id}/stock`` answer. ``skus`` maps a product id, and
    ``<product id>#<variant id>``, to its SKU; a product Holded no longer lists keeps its id in
    ``product_id`` and an empty SKU, for quarantine to show."""
    products = answer.get("warehouse", {}).get("products", []) if isinstance(answer, dict) else []
    rows: list[Row] = []
    for item in products if isinstance(products, list) else []:
        # The reference names the product "_id"; live answers name it "product_id".
        product = text(item.get("product_id") or item.get("_id"))
        variants = item.get("variants") or {}
        quantities = (
            [(f"{product}#{variant}", quantity) for variant, quantity in variants.items()]
            if isinstance(variants, dict) and variants
            else [(product, item.get("stock"))]
        )
        rows += [
            {"sku": skus.get(key, ""), "warehouse": warehouse, "quantity": text(quantity), "product_id": key}
            for key, quantity in quantities
        ]
    return rows


def product_skus(record: Record) -> dict[str, str]:
    """A product's SKUs by the ids stock answers use: the product's, or each variant's."""
    product = text(record.get("id"))
    skus = {product: text(record.get("sku"))}
    for variant in record.get("variants") or []:
        skus[f"{product}#{text(variant.get('id'))}"] = text(variant.get("sku"))
    return skus


def document_rows(record: Record, customers: Mapping[str, str], *, with_status: bool = False) -> list[Row]:
    """``customers`` maps a Holded contact id to its customer code; a document of a contact
    that is not a customer keeps the contact id, and is quarantined as its customer is unknown.
    A credit note (read from ``/documents/creditnote``) has its quantities and total negative,
    as the shop keeps one; Holded writes them positive."""
    contact = text(record.get("contact"))
    sign = -1 if record.get(LIST) == CREDIT_NOTES else 1
    lines = [
        {
            "line_no": str(number),
            "sku": text(line.get("sku")),
            "description": text(line.get("name")),
            "quantity": _signed(line.get("units"), sign),
            "unit_price": text(line.get("price")),
        }
        for number, line in enumerate(_product_lines(record), start=1)
    ]
    customer, issued = customers.get(contact, contact), issued_on(record.get("date"))
    row = document_row(record.get("docNumber"), customer, "", issued, _signed(record.get("total"), sign), lines)
    if with_status:
        state = record.get("status")
        row["status"] = ORDER_STATES.get(state, text(state)) if isinstance(state, int) else text(state)
    return [row]


def _signed(value: object, sign: int) -> str:
    if sign > 0 or not isinstance(value, int | float) or isinstance(value, bool):
        return text(value)  # not a number: left for the transform to judge
    return text(-value)


def issued_on(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, HOLDED_ZONE).date().isoformat()
    return text(value)  # not a timestamp: left for the transform to judge


def _product_lines(record: Record) -> list[Record]:
    lines = record.get("products") or []
    return [line for line in lines if isinstance(line, dict) and (line.get("sku") or line.get("productId"))]
