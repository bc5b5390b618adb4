"""The entities the pipeline can import, by name."""

from __future__ import annotations

from shop.customers import CONTACTS, CUSTOMERS
from shop.errors import InvalidInput
from shop.products import PRODUCTS
from shop.specs import EntitySpec
from shop.staff import SALES_REPS
from shop.stock import STOCK

SPECS: dict[str, EntitySpec] = {spec.name: spec for spec in (PRODUCTS, STOCK, SALES_REPS, CUSTOMERS, CONTACTS)}

# What a tenant switches on, and the entities each imports, in dependency order: stock needs
# its variant, a contact its customer.
SYNC_GROUPS: dict[str, tuple[str, ...]] = {
    "products": ("products",),
    "stock": ("stock",),
    "sales_reps": ("sales_reps",),
    "customers": ("customers", "contacts"),
}


def check_enabled(entities: list[str]) -> list[str]:
    unknown = [e for e in entities if e not in SYNC_GROUPS]
    if unknown:
        raise InvalidInput(f"unknown entity {', '.join(map(repr, unknown))} (known: {', '.join(SYNC_GROUPS)})")
    return entities


def get_spec(entity: str) -> EntitySpec:
    try:
        return SPECS[entity]
    except KeyError:
        raise InvalidInput(f"unknown entity '{entity}' (known: {', '.join(SPECS)})") from None
