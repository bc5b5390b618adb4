"""The adapter protocol: what an ERP connector declares and how it hands records over.

An adapter only reads from (and later writes orders to) its ERP; it never touches the shop DB.
Pages carry the records as the ERP named them plus the column each shop field comes from, so a
quarantined row keeps its raw payload and can be re-mapped after the mapping is fixed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Protocol

import pandas as pd

Cursor = dict[str, Any]


class Entity(StrEnum):
    PRODUCTS = "products"
    STOCK = "stock"
    SALES_REPS = "sales_reps"
    ADMIN_USERS = "admin_users"
    CUSTOMERS = "customers"
    CONTACTS = "contacts"
    INVOICES = "invoices"
    DELIVERY_NOTES = "delivery_notes"
    PENDING_ORDERS = "pending_orders"


class Capability(StrEnum):
    PRODUCTS = "products"
    STOCK = "stock"
    SALES_REPS = "sales_reps"
    CUSTOMERS = "customers"
    CONTACTS = "contacts"
    ADMIN_USERS = "admin_users"
    INVOICES = "invoices"
    DELIVERY_NOTES = "delivery_notes"
    PENDING_ORDERS = "pending_orders"
    DELTA = "delta"  # can start from a cursor instead of re-reading everything
    PUSH_ORDERS = "push_orders"  # implements erp_adapters.orders.OrderSink


@dataclass(frozen=True)
class Page:
    """A batch of records from one source, and the cursor to store once it is loaded."""

    frame: pd.DataFrame  # one row per record, string values, the ERP's column names
    fields: Mapping[str, str]  # shop field -> source column present in ``frame``
    source: str  # where the records came from, e.g. "products-2026-11.csv"
    first_row: int  # the source's row number of the frame's first row (1 = first data row)
    cursor: Cursor = field(default_factory=dict)
    # The source row of each record when they are not consecutive from ``first_row`` (a
    # document folded from one row per line starts at its first line's row).
    row_numbers: Sequence[int] | None = None


class ErpAdapter(Protocol):
    name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]

    def fetch(self, entity: Entity, since: Cursor | None, page_size: int) -> Iterator[Page]:
        """Pages of records changed since the cursor (all records when it is None)."""
        ...

    def snapshot(self, entity: Entity, page_size: int) -> Iterator[Page]:
        """Every record the ERP holds now, whatever the cursor: what deletes are reconciled against."""
        ...

    def estimate(self, entity: Entity, since: Cursor | None) -> int | None:
        """Roughly how many records ``fetch`` would yield, for progress display; None if unknown."""
        ...

    def fields_for(self, entity: Entity, columns: Sequence[str]) -> dict[str, str]:
        """Shop field -> column of ``columns``, as ``fetch`` would map records with these columns
        (used to re-map quarantined rows after the tenant's mapping was fixed)."""
        ...
