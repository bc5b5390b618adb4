"""Sales reps: credited, one credit each (seed 000)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from shop.models import SalesRep
from shop.specs import EntitySpec, FieldSpec

SALES_REPS = EntitySpec(
    name="sales_reps",
    table=cast(Table, SalesRep.__table__),
    key=("code",),
    fields=(
        FieldSpec("code", required=True, max_length=64),
        FieldSpec("name", required=True, max_length=255),
        FieldSpec("email", kind="email", max_length=254),
    ),
    credited=True,
)
