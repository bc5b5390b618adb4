"""Stock levels per variant and warehouse: not credited; each changed level is one process."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from domain.specs import EntitySpec, FieldSpec, ParentRef
from shop.models import ProductVariant, StockLevel

STOCK = EntitySpec(
    name="stock",
    table=cast(Table, StockLevel.__table__),
    key=("sku", "warehouse"),
    fields=(
        FieldSpec("sku", required=True, max_length=64),
        FieldSpec("warehouse", required=True, max_length=64),
        FieldSpec("quantity", kind="decimal", required=True, minimum=0),
    ),
    credited=False,
    parent=ParentRef("sku", cast(Table, ProductVariant.__table__), "sku", "product"),
)
