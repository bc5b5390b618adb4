"""The ``holded`` adapter: Holded's REST API v1 (``invoicing/v1``) for products and their
variants, stock per warehouse, customers and their contact persons, invoices and credit notes,
delivery notes (``waybill``) and pending orders (``salesorder``); shop orders go to Holded as
sales orders.

Options: ``url`` (default ``https://api.holded.com/api``), and optionally ``timeout`` (seconds
per call, default 30), ``retries`` (default 5) and ``backoff`` (seconds, default 0.5). The API
key comes from the tenant's secret, never from its options.

Holded has no sales reps and no users in its API (its team API lists employees, none of them
marked as a sales rep), so those two entities are not offered. No list can be asked for what
changed since a date, so every run reads the whole list (``listing.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from erp_adapters.base import Capability
from erp_adapters.errors import AdapterConfigError
from erp_adapters.holded import rows
from erp_adapters.holded.client import HoldedClient
from erp_adapters.holded.listing import (
    LIST,
    START,
    Located,
    Position,
    chained,
    cut,
    records,
    rows_of,
    snapshot_records,
)
from erp_adapters.holded.push import find_sales_order, push_sales_order
from erp_adapters.options import Options
from erp_adapters.values import Row
from records.erp import Cursor, Entity, Page, ValueRules
from records.orders import ShopOrder

DEFAULT_URL = "https://api.holded.com/api"
CONTACTS = "/contacts"
PRODUCTS = "/products"
DOCUMENTS = "/documents/{}"
# Documents in the order Holded created them: a stable order for offsets.
IN_ORDER = {"sort": "created-asc"}


@dataclass(frozen=True)
class Listed:
    """An entity read from Holded's lists: which lists, which of their records, and their rows."""

    paths: tuple[str, ...]
    columns: tuple[str, ...]
    params: dict[str, Any]
    # (adapter) -> (record -> rows): some rows need other lists (a document its customers' codes)
    rows_by: Callable[[HoldedAdapter], Callable[[rows.Record], list[Row]]]
    keep: Callable[[rows.Record], bool] = lambda record: True

    @property
    def source(self) -> str:
        """How its pages name where they came from: ``documents/invoice+creditnote``."""
        first, *others = (path.lstrip("/") for path in self.paths)
        return "+".join([first, *(other.rsplit("/", 1)[-1] for other in others)])


def _documents(*doc_types: str, with_status: bool = False) -> Listed:
    columns = rows.PENDING_ORDER_COLUMNS if with_status else rows.DOCUMENT_COLUMNS

    def to_rows(adapter: HoldedAdapter) -> Callable[[rows.Record], list[Row]]:
        customers = adapter.customer_codes()
        return lambda record: rows.document_rows(record, customers, with_status=with_status)

    return Listed(tuple(DOCUMENTS.format(doc_type) for doc_type in doc_types), columns, IN_ORDER, to_rows)


LISTED: dict[Entity, Listed] = {
    Entity.PRODUCTS: Listed((PRODUCTS,), rows.PRODUCT_COLUMNS, {}, lambda adapter: rows.product_rows),
    Entity.CUSTOMERS: Listed(
        (CONTACTS,), rows.CUSTOMER_COLUMNS, {}, lambda adapter: rows.customer_rows, rows.is_customer
    ),
    Entity.CONTACTS: Listed((CONTACTS,), rows.CONTACT_COLUMNS, {}, lambda adapter: rows.contact_rows, rows.is_customer),
    Entity.INVOICES: _documents("invoice", "creditnote"),  # a credit note as an invoice with negative lines
    Entity.DELIVERY_NOTES: _documents("waybill"),
    Entity.PENDING_ORDERS: _documents("salesorder", with_status=True),
}
OFFERED = (*LISTED, Entity.STOCK)


class HoldedAdapter:
    name: ClassVar[str] = "holded"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {*(Capability(str(entity)) for entity in OFFERED), Capability.PUSH_ORDERS}
    )

    def __init__(self, client: HoldedClient, *, push_attempts: int = 5, backoff: float = 0.5) -> None:
        self.client = client
        self._push_attempts = push_attempts
        self._backoff = backoff

    def __repr__(self) -> str:
        return f"HoldedAdapter({self.client!r})"

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> HoldedAdapter:
        given = Options("holded", options)
        given.require(("password",), "no API key: give the tenant --secret-name with the key's name")
        url = given.url("url") if options.get("url") else DEFAULT_URL
        retries = given.count("retries", 5)
        backoff = given.number("backoff", 0.5)
        client = HoldedClient(
            url, given.text("password"), timeout=given.number("timeout", 30.0), retries=retries, backoff=backoff
        )
        return cls(client, push_attempts=retries, backoff=backoff)

    # -- imports ---------------------------------------------------------------------------------

    def fetch(self, entity: Entity, since: Cursor | None, page_size: int) -> Iterator[Page]:
        start = Position.of(since)
        if entity == Entity.STOCK:
            return cut(((row, START) for row in self._stock()), rows.STOCK_COLUMNS, "warehouses/stock", page_size)
        listed = _listed(entity)
        lists = [(path, listed.params) for path in listed.paths]
        kept = (item for item in chained(self.client, lists, start) if listed.keep(item.record))
        return cut(rows_of(kept, listed.rows_by(self)), listed.columns, listed.source, page_size)

    def snapshot(self, entity: Entity, page_size: int) -> Iterator[Page]:
        if entity == Entity.STOCK:
            return self.fetch(entity, None, page_size)
        listed = _listed(entity)
        everything = (
            {**record, LIST: path}
            for path in listed.paths
            for record in snapshot_records(self.client, path, listed.params)
        )
        kept = (Located(record, START, START) for record in everything if listed.keep(record))
        return cut(rows_of(kept, listed.rows_by(self)), listed.columns, listed.source, page_size)

    def estimate(self, entity: Entity, since: Cursor | None) -> int | None:
        return None  # Holded's lists give no count

    def rules_for(self, entity: Entity) -> ValueRules:
        return ValueRules()  # typed JSON values: nothing to declare

    def fields_for(self, entity: Entity, columns: Sequence[str]) -> dict[str, str]:
        known = rows.STOCK_COLUMNS if entity == Entity.STOCK else _listed(entity).columns
        return {column: column for column in known if column in columns}

    def customer_codes(self) -> dict[str, str]:
        """Every contact's id → the code its customer has in the shop."""
        return {str(item.record["id"]): rows.customer_code(item.record) for item in records(self.client, CONTACTS, {})}

    def _stock(self) -> Iterator[Row]:
        # Holded answers stock per warehouse by product and variant id: SKUs come from the products.
        skus: dict[str, str] = {}
        for item in records(self.client, PRODUCTS, {}):
            skus.update(rows.product_skus(item.record))
        for item in records(self.client, "/warehouses", {}):
            warehouse = item.record
            answer = self.client.get(f"/warehouses/{warehouse['id']}/stock")
            yield from rows.stock_rows(answer, str(warehouse.get("name") or warehouse["id"]), skus)

    # -- orders ----------------------------------------------------------------------------------

    def find_order(self, idempotency_key: str) -> str | None:
        return find_sales_order(self.client, idempotency_key)

    def push_order(self, order: ShopOrder, idempotency_key: str) -> str:
        return push_sales_order(self.client, order, idempotency_key, self._push_attempts, self._backoff)


def _listed(entity: Entity) -> Listed:
    try:
        return LISTED[entity]
    except KeyError:
        offered = ", ".join(OFFERED)
        raise AdapterConfigError(f"holded: Holded's API has no {entity} to import ({offered} are offered)") from None
