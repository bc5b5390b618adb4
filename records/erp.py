"""What an ERP hands over, as every layer sees it: the entity names, a page of records, a cursor.

Pages carry the records as the ERP named them plus the column each shop field comes from, so a
quarantined row keeps its raw payload and can be re-mapped after the mapping is fixed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the type only: a command that reads no page does not load pandas
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


@dataclass(frozen=True)
class ValueRules:
    """How an export writes its values, when the tenant's connection declares it instead of
    leaving each column to be guessed: separators of numbers, one date format, and defaults."""

    decimal: str | None = None  # "," or "."; None: the column's own style decides
    thousands: str | None = None  # ".", ",", " ", "'" or "" (none); only with ``decimal``
    date_format: str | None = None  # a strftime pattern such as "%d/%m/%Y"; None: the usual forms
    # shop field -> value, for a field the export has no column for or a blank cell of it
    defaults: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    """A batch of records from one source, and the cursor to store once it is loaded."""

    frame: pd.DataFrame  # one row per record, string values, the ERP's column names
    fields: Mapping[str, str]  # shop field -> source column present in ``frame``
    source: str  # where the records came from, e.g. "products-2026-11.csv"
    first_row: int  # the source's number of the frame's first record: a file's line, an API's position
    cursor: Cursor = field(default_factory=dict)
    # The source row of each record when they are not consecutive from ``first_row`` (a
    # document folded from one row per line starts at its first line's row).
    row_numbers: Sequence[int] | None = None
    rules: ValueRules = ValueRules()
