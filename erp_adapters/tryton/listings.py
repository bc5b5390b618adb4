"""What each entity reads from Tryton, as data: model, fields, delta stamps, and the row mapping.

Fields use Tryton's dotted reads (``template.code``, ``lines.product.code``): the server answers
``{"template.": {...}}`` or a list of those for one2many, so a page costs one call.

Each listing names the Tryton modules it cannot do without (``requires``) and the fields that
exist only when another module is activated (``optional``): the adapter drops those fields on a
database without the module, since Tryton refuses a read naming a field it does not know.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from erp_adapters.values import Row, document_row, text
from records.erp import Entity

Record = dict[str, Any]
_STAMPS = ("write_date", "create_date")
_BARCODE_TYPES = ("ean", "upc")  # a variant may also carry brand codes, ISINs…: not its barcode


@dataclass(frozen=True)
class Listing:
    model: str
    fields: tuple[str, ...]  # Tryton fields to read
    to_row: Callable[..., Row]  # (record) -> row, or (record, warehouse) -> row when per_warehouse
    columns: tuple[str, ...]  # the shop fields of each row
    domain: tuple[Any, ...] = ()
    stamps: tuple[str, ...] = _STAMPS  # empty: no delta, every run reads everything
    per_warehouse: bool = False  # read once per warehouse with the ``locations`` context
    requires: tuple[str, ...] = ()  # modules without which the model (or a field read) is missing
    optional: tuple[tuple[str, str], ...] = ()  # (field, module adding it): read only if activated

    def for_modules(self, activated: Collection[str]) -> Listing:
        """This listing without the optional fields whose module is not activated."""
        dropped = {field for field, module in self.optional if module not in activated}
        return replace(self, fields=tuple(f for f in self.fields if f not in dropped)) if dropped else self


def related(record: Mapping[str, Any], path: str) -> Any:
    """``related(r, "party.code")`` from a dotted read; None when a link on the way is empty."""
    head, _, rest = path.partition(".")
    if not rest:
        return record.get(head)
    linked = record.get(f"{head}.")
    return related(linked, rest) if isinstance(linked, dict) else None


def product_row(record: Record) -> Row:
    attributes = record.get("attributes") or {}
    values = [text(value) for value in attributes.values() if value]
    barcodes = [i["code"] for i in record.get("identifiers.") or [] if i.get("type") in _BARCODE_TYPES]
    return {
        "sku": text(record.get("code")),
        "name": f"{record.get('name')} ({', '.join(values)})" if values else text(record.get("name")),
        "price": text(record.get("list_price_used")),
        "template_code": text(related(record, "template.code")),
        "template_name": text(related(record, "template.name")),
        "barcode": text(barcodes[0]) if barcodes else "",
        "color": text(attributes.get("color")),
        "size": text(attributes.get("size")),
    }


def stock_row(record: Record, warehouse: str) -> Row:
    return {"sku": text(record.get("code")), "warehouse": warehouse, "quantity": text(record.get("quantity"))}


def sales_rep_row(record: Record) -> Row:
    return {key: text(related(record, f"party.{key}")) for key in ("code", "name", "email")}


def admin_user_row(record: Record) -> Row:
    # Tryton's own admin has no name: its login names it instead.
    return {"email": text(record.get("email")), "name": text(record.get("name")) or text(record.get("login"))}


def customer_row(record: Record) -> Row:
    addresses = record.get("addresses.") or [{}]
    address = addresses[0]  # Tryton orders a party's addresses by sequence: the first is the main one
    return {
        "code": text(record.get("code")),
        "tax_id": text(related(record, "tax_identifier.code")),
        "name": text(record.get("name")),
        "email": text(record.get("email")),
        "phone": text(record.get("phone")),
        "address": " ".join(text(address.get("street")).split()),  # street may span lines
        "city": text(address.get("city")),
        "province": text(related(address, "subdivision.name")),
        "postal_code": text(address.get("postal_code")),
        "country": text(related(address, "country.code")),
    }


def contact_row(record: Record) -> Row:
    """One contact per contact mechanism, coded ``<party code>-<mechanism id>`` (stable: the id
    never changes, and a mechanism never moves to another party)."""
    party_code = text(related(record, "party.code"))
    kind, value = record.get("type"), text(record.get("value"))
    return {
        "code": f"{party_code}-{record['id']}",
        "customer_code": party_code,
        "name": text(record.get("name")) or text(related(record, "party.name")),
        "email": value if kind == "email" else "",
        "phone": value if kind in ("phone", "mobile") else "",
    }


def document_lines(lines: list[Record], description: str = "description") -> list[Row]:
    """Product lines only (comments and subtotals carry no product), numbered from 1."""
    products = [line for line in lines if line.get("type", "line") == "line"]
    return [
        {
            "line_no": str(number),
            "sku": text(related(line, "product.code")),
            "description": text(related(line, description)),
            "quantity": text(line.get("quantity")),
            "unit_price": text(line.get("unit_price")),
        }
        for number, line in enumerate(products, start=1)
    ]


def _first_reference(items: list[Record] | None, path: str) -> Any:
    return next((related(item, path) for item in items or [] if related(item, path)), None)


def invoice_row(record: Record) -> Row:
    order_ref = record.get("reference") or _first_reference(record.get("sales."), "reference")
    lines = document_lines(record.get("lines.") or [])
    issued = record.get("invoice_date") or record.get("create_date")
    return document_row(
        record.get("number"), related(record, "party.code"), order_ref, issued, record.get("total_amount"), lines
    )


def delivery_note_row(record: Record) -> Row:
    moves = record.get("outgoing_moves.") or []
    order_ref = record.get("reference") or _first_reference(moves, "sale.reference")
    lines = document_lines(moves, description="product.name")
    total = sum((Decimal(line["quantity"] or 0) * Decimal(line["unit_price"] or 0) for line in lines), Decimal(0))
    issued = record.get("effective_date") or record.get("planned_date") or record.get("create_date")
    return document_row(record.get("number"), related(record, "customer.code"), order_ref, issued, total, lines)


def pending_order_row(record: Record) -> Row:
    lines = document_lines(record.get("lines.") or [])
    issued = record.get("sale_date") or record.get("create_date")  # a quotation has no sale date yet
    row = document_row(
        record.get("number"), related(record, "party.code"), record.get("reference"), issued,
        record.get("total_amount"), lines,
    )  # fmt: skip
    return {**row, "status": text(record.get("state"))}


_LINE = ("type", "product.code", "description", "quantity", "unit_price")
_MOVE = ("product.code", "product.name", "quantity", "unit_price", "sale.reference")
_ADDRESS = ("street", "city", "postal_code", "subdivision.name", "country.code")
_DOCUMENT = ("number", "customer_code", "order_ref", "issued_on", "total", "lines")


def _lines(field: str, line_fields: tuple[str, ...] = _LINE) -> tuple[str, ...]:
    return tuple(f"{field}.{name}" for name in line_fields)


LISTINGS: dict[Entity, Listing] = {
    Entity.PRODUCTS: Listing(
        "product.product",
        (
            "code",
            "name",
            "list_price_used",
            "attributes",
            "template.code",
            "template.name",
            "identifiers.type",
            "identifiers.code",
        ),
        product_row,
        ("sku", "name", "price", "template_code", "template_name", "barcode", "color", "size"),
        # A template's edit (name, price) changes its variants without stamping them.
        stamps=(*_STAMPS, "template.write_date", "template.create_date", "identifiers.write_date"),
        requires=("product",),
        optional=(("attributes", "product_attribute"),),  # without it: no colour, size or name suffix
    ),
    Entity.STOCK: Listing(
        "product.product",
        ("code", "quantity"),
        stock_row,
        ("sku", "warehouse", "quantity"),
        domain=(("type", "=", "goods"),),
        stamps=(),  # moves change quantities without stamping the variant
        per_warehouse=True,
        requires=("stock",),
    ),
    Entity.SALES_REPS: Listing(
        "company.employee",
        ("party.code", "party.name", "party.email"),
        sales_rep_row,
        ("code", "name", "email"),
        stamps=(*_STAMPS, "party.write_date", "party.contact_mechanisms.write_date"),
        requires=("company",),
    ),
    Entity.ADMIN_USERS: Listing(
        "res.user", ("email", "name", "login"), admin_user_row, ("email", "name"), domain=(("email", "!=", None),)
    ),
    Entity.CUSTOMERS: Listing(
        "party.party",
        ("code", "name", "email", "phone", "tax_identifier.code", *(f"addresses.{f}" for f in _ADDRESS)),
        customer_row,
        ("code", "tax_id", "name", "email", "phone", "address", "city", "province", "postal_code", "country"),
        stamps=(*_STAMPS, "addresses.write_date", "contact_mechanisms.write_date", "identifiers.write_date"),
        requires=("party",),
    ),
    Entity.CONTACTS: Listing(
        "party.contact_mechanism",
        ("type", "value", "name", "party.code", "party.name"),
        contact_row,
        ("code", "customer_code", "name", "email", "phone"),
        # An archived party leaves the customers, so its mechanisms leave the contacts.
        domain=(("type", "in", ["email", "phone", "mobile"]), ("party.active", "=", True)),
        stamps=(*_STAMPS, "party.write_date"),
        requires=("party",),
    ),
    Entity.INVOICES: Listing(
        "account.invoice",
        (
            "number",
            "reference",
            "invoice_date",
            "create_date",
            "total_amount",
            "party.code",
            "sales.reference",
            *_lines("lines"),
        ),
        invoice_row,
        _DOCUMENT,
        domain=(("type", "=", "out"), ("state", "in", ["validated", "posted", "paid"])),
        stamps=(*_STAMPS, "lines.write_date"),
        requires=("account_invoice",),
        optional=(("sales.reference", "sale"),),  # without it: order_ref is the invoice's reference
    ),
    Entity.DELIVERY_NOTES: Listing(
        "stock.shipment.out",
        (
            "number",
            "reference",
            "effective_date",
            "planned_date",
            "create_date",
            "customer.code",
            *_lines("outgoing_moves", _MOVE),
        ),
        delivery_note_row,
        _DOCUMENT,
        domain=(("state", "!=", "cancelled"),),
        stamps=(*_STAMPS, "moves.write_date"),  # outgoing_moves cannot be searched
        requires=("stock",),
        optional=(("outgoing_moves.sale.reference", "sale"),),  # without it: the shipment's reference
    ),
    Entity.PENDING_ORDERS: Listing(
        "sale.sale",
        ("number", "reference", "sale_date", "create_date", "total_amount", "state", "party.code", *_lines("lines")),
        pending_order_row,
        (*_DOCUMENT, "status"),
        domain=(("state", "in", ["quotation", "confirmed", "processing"]),),
        stamps=(*_STAMPS, "lines.write_date"),
        requires=("sale",),
    ),
}
