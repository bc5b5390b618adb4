"""The adapter protocol: what an ERP connector declares and how it hands records over.

An adapter only reads from (and later writes orders to) its ERP; it never touches the shop DB.
The records it hands over are ``records.erp.Page``s.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from enum import StrEnum
from typing import ClassVar, Protocol

from records.erp import Cursor, Entity, Page, ValueRules


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
    CANCEL_ORDERS = "cancel_orders"  # implements erp_adapters.orders.OrderCanceller


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

    def rules_for(self, entity: Entity) -> ValueRules:
        """How the tenant declared the entity's values are written (``Page.rules`` of its pages)."""
        ...
