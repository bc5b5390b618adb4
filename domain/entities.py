"""The entities the pipeline can import, by name, with their specs (the groups are in groups.py)."""

from __future__ import annotations

from domain.customers import CONTACTS, CUSTOMERS
from domain.documents import DELIVERY_NOTES, INVOICES, PENDING_ORDERS
from domain.products import PRODUCTS
from domain.specs import EntitySpec
from domain.staff import ADMIN_USERS, SALES_REPS
from domain.stock import STOCK
from records.errors import InvalidInput

SPECS: dict[str, EntitySpec] = {
    spec.name: spec
    for spec in (
        PRODUCTS,
        STOCK,
        SALES_REPS,
        ADMIN_USERS,
        CUSTOMERS,
        CONTACTS,
        INVOICES,
        DELIVERY_NOTES,
        PENDING_ORDERS,
    )
}


def get_spec(entity: str) -> EntitySpec:
    try:
        return SPECS[entity]
    except KeyError:
        raise InvalidInput(f"unknown entity '{entity}' (known: {', '.join(SPECS)})") from None
