"""The entities the pipeline can import, by name."""

from __future__ import annotations

from shop.errors import InvalidInput
from shop.products import PRODUCTS
from shop.specs import EntitySpec

SPECS: dict[str, EntitySpec] = {spec.name: spec for spec in (PRODUCTS,)}


def get_spec(entity: str) -> EntitySpec:
    try:
        return SPECS[entity]
    except KeyError:
        raise InvalidInput(f"unknown entity '{entity}' (known: {', '.join(SPECS)})") from None
