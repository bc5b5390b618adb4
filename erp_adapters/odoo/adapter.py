"""The ``odoo`` adapter: sends shop orders to Odoo and imports its product variants, stock,
customers and contacts, invoices and credit notes, delivery notes and pending orders, over
JSON-RPC or, from Odoo 19, the JSON-2 API.

Options: ``url`` (Odoo's base URL), ``db``, ``protocol`` (``jsonrpc``, the default, or
``json2``), ``username`` (the API user; JSON-RPC only), and optionally ``timeout`` (seconds per
call, default 30), ``retries`` (default 5) and ``backoff`` (seconds, default 0.5). The password
or API key comes from the tenant's secret, never from its options.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from erp_adapters.base import Capability
from erp_adapters.errors import AdapterConfigError
from erp_adapters.odoo.client import JsonRpcClient, OdooClient
from erp_adapters.odoo.documents import DELIVERY_NOTES, INVOICES, PENDING_ORDERS
from erp_adapters.odoo.json2 import Json2Client
from erp_adapters.odoo.partners import CONTACTS, CUSTOMERS
from erp_adapters.odoo.products import PRODUCTS
from erp_adapters.odoo.push import cancel_sale_order, find_sale_order, push_sale_order
from erp_adapters.odoo.reading import OdooSource, count_changed, source_pages
from erp_adapters.odoo.stock import FIELDS as STOCK_FIELDS
from erp_adapters.odoo.stock import stock_pages
from erp_adapters.options import Options
from records.erp import Cursor, Entity, Page, ValueRules
from records.orders import ShopOrder

PROTOCOLS = ("jsonrpc", "json2")
SOURCES = {
    Entity.PRODUCTS: PRODUCTS,
    Entity.CUSTOMERS: CUSTOMERS,
    Entity.CONTACTS: CONTACTS,
    Entity.INVOICES: INVOICES,
    Entity.DELIVERY_NOTES: DELIVERY_NOTES,
    Entity.PENDING_ORDERS: PENDING_ORDERS,
}


class OdooAdapter:
    name: ClassVar[str] = "odoo"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            *(Capability(str(entity)) for entity in (*SOURCES, Entity.STOCK)),
            Capability.PUSH_ORDERS,
            Capability.CANCEL_ORDERS,
            Capability.DELTA,
        }
    )

    def __init__(self, client: OdooClient, *, push_attempts: int = 5, backoff: float = 0.5) -> None:
        self.client = client
        self._push_attempts = push_attempts
        self._backoff = backoff

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> OdooAdapter:
        given = Options("odoo", options)
        protocol = str(options.get("protocol") or "jsonrpc")
        if protocol not in PROTOCOLS:
            raise AdapterConfigError(f"odoo: option 'protocol' must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")
        given.require(("url", "db", *(("username",) if protocol == "jsonrpc" else ())), "option {} is required")
        given.require(("password",), "no password: give the tenant --secret-name with the API key's name")
        url, db, key = given.url("url"), given.text("db"), given.text("password")
        timeout, retries, backoff = (
            given.number("timeout", 30.0),
            given.count("retries", 5),
            given.number("backoff", 0.5),
        )
        client: OdooClient = (
            Json2Client(url, db, key, timeout=timeout, retries=retries, backoff=backoff)
            if protocol == "json2"
            else JsonRpcClient(url, db, given.text("username"), key, timeout=timeout, retries=retries, backoff=backoff)
        )
        return cls(client, push_attempts=retries, backoff=backoff)

    def find_order(self, idempotency_key: str) -> str | None:
        return find_sale_order(self.client, idempotency_key)

    def push_order(self, order: ShopOrder, idempotency_key: str) -> str:
        return push_sale_order(self.client, order, idempotency_key, self._push_attempts, self._backoff)

    def cancel_order(self, idempotency_key: str, erp_ref: str) -> str:
        return cancel_sale_order(self.client, idempotency_key)

    def fetch(self, entity: Entity, since: Cursor | None, page_size: int) -> Iterator[Page]:
        if entity == Entity.STOCK:  # summed per warehouse: read whole, whatever the cursor
            return stock_pages(self.client, page_size)
        return source_pages(self.client, _source(entity), since, page_size)

    def snapshot(self, entity: Entity, page_size: int) -> Iterator[Page]:
        return self.fetch(entity, None, page_size)

    def estimate(self, entity: Entity, since: Cursor | None) -> int | None:
        return None if entity == Entity.STOCK else count_changed(self.client, _source(entity), since)

    def rules_for(self, entity: Entity) -> ValueRules:
        return ValueRules()  # typed values from the ERP's API: nothing to declare

    def fields_for(self, entity: Entity, columns: Sequence[str]) -> dict[str, str]:
        fields = STOCK_FIELDS if entity == Entity.STOCK else _source(entity).fields
        return {field: column for field, column in fields.items() if column in columns}


def _source(entity: Entity) -> OdooSource:
    try:
        return SOURCES[entity]
    except KeyError:
        imported = ", ".join(SOURCES)
        raise AdapterConfigError(f"odoo: importing {entity} is not offered ({imported} and stock are)") from None
