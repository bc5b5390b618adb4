"""Tryton over JSON-RPC: every entity read page by page in id order, deltas by stamp windows.

Which modules the database has activated is read once per adapter from ``ir.module``: an entity
whose module is missing fails with one line naming it, and fields of optional modules (variant
attributes, the sale behind an invoice or a shipment) are read only where the module is active.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from typing import Any, ClassVar

import pandas as pd

from erp_adapters.base import Capability
from erp_adapters.errors import AdapterConfigError
from erp_adapters.options import Options
from erp_adapters.tryton.client import Transport, TrytonClient
from erp_adapters.tryton.listings import LISTINGS, Listing, Record
from erp_adapters.tryton.orders import find_sale, push_sale
from erp_adapters.tryton.window import Window
from records.erp import Cursor, Entity, Page, ValueRules
from records.orders import ShopOrder

DEFAULT_LOOK_BACK = dt.timedelta(minutes=5)
_REQUIRED = ("url", "database", "user", "password")
ORDER_MODULES = ("sale",)  # sale.sale; sale itself depends on stock, account_invoice, product, party


class TrytonAdapter:
    name: ClassVar[str] = "tryton"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {*(Capability(str(entity)) for entity in LISTINGS), Capability.DELTA, Capability.PUSH_ORDERS}
    )

    def __init__(
        self,
        client: TrytonClient,
        look_back: dt.timedelta = DEFAULT_LOOK_BACK,
        confirm: bool = True,
        warehouse: str | None = None,
    ) -> None:
        self.client = client
        self.look_back = look_back
        self.confirm = confirm  # pushed orders are quoted and confirmed, not left as drafts
        self.warehouse = warehouse  # code of the warehouse pushed orders ship from; None: the first
        self._modules: frozenset[str] | None = None

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> TrytonAdapter:
        """Options: ``url``, ``database``, ``user``, the password from the tenant's secret, and
        optionally ``look_back_minutes`` (default 5), ``confirm_orders`` (default true),
        ``warehouse`` (code; default the first), ``timeout_seconds``, ``retries`` and
        ``calls_per_second`` (per server; default 20, 0 for no limit)."""
        given = Options("tryton", options)
        given.require(_REQUIRED, "missing option {}")
        transport = Transport(
            timeout=(5.0, given.number("timeout_seconds", 120.0)),
            retries=given.count("retries", 5),
            calls_per_second=given.number("calls_per_second", Transport.calls_per_second),
        )
        client = TrytonClient(
            given.url("url"), given.text("database"), given.text("user"), given.text("password"), transport
        )
        look_back = dt.timedelta(minutes=given.number("look_back_minutes", DEFAULT_LOOK_BACK.total_seconds() / 60))
        warehouse = given.text("warehouse") if options.get("warehouse") else None
        return cls(client, look_back, given.flag("confirm_orders", True), warehouse)

    def fetch(self, entity: Entity, since: Cursor | None, page_size: int) -> Iterator[Page]:
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        listing = self._listing(entity)
        if listing.per_warehouse:
            yield from self._per_warehouse(listing, page_size)
            return
        yield from self._pages(listing, _window(listing, since), page_size)

    def snapshot(self, entity: Entity, page_size: int) -> Iterator[Page]:
        """Everything the ERP holds now (active records only: an archived record leaves the shop)."""
        return self.fetch(entity, None, page_size)

    def estimate(self, entity: Entity, since: Cursor | None) -> int | None:
        listing = self._listing(entity)
        window = _window(listing, since)
        domain = [*listing.domain, *window.domain(listing.stamps, self.look_back), ["id", ">", window.after_id]]
        count = self.client.count(listing.model, domain)
        return count * len(self._warehouses()) if listing.per_warehouse else count

    def rules_for(self, entity: Entity) -> ValueRules:
        return ValueRules()  # typed values from the ERP's API: nothing to declare

    def fields_for(self, entity: Entity, columns: Sequence[str]) -> dict[str, str]:
        """Pages name their columns after the shop fields: the mapping is the identity."""
        return {column: column for column in columns if column in LISTINGS[entity].columns}

    def find_order(self, idempotency_key: str) -> str | None:
        self._require(ORDER_MODULES, "orders")
        return find_sale(self.client, idempotency_key)

    def push_order(self, order: ShopOrder, idempotency_key: str) -> str:
        self._require(ORDER_MODULES, "orders")
        return push_sale(self.client, order, idempotency_key, confirm=self.confirm, warehouse=self.warehouse)

    def modules(self) -> frozenset[str]:
        """The modules activated on the database, read once per adapter.

        ``ir.module`` rather than ``fields_get`` on each model: one call answers for every entity
        and names the modules themselves, and trytond grants every user read access to it (the
        ``access_module`` rule in ``ir/module.xml`` has no group), so an API user without admin
        rights can read it. A set-up that revoked that access gets the ordinary "cannot read
        ir.module" line, as for any model."""
        if self._modules is None:
            found = self.client.search_read("ir.module", [["state", "=", "activated"]], None, ["name"])
            self._modules = frozenset(str(record["name"]) for record in found)
        return self._modules

    def _listing(self, entity: Entity) -> Listing:
        listing = LISTINGS[entity]
        self._require(listing.requires, str(entity))
        return listing.for_modules(self.modules())

    def _require(self, modules: Iterable[str], purpose: str) -> None:
        missing = [module for module in modules if module not in self.modules()]
        if missing:
            names = ", ".join(f"'{module}'" for module in missing)
            raise AdapterConfigError(
                f"tryton: {purpose} need the module{'s' if len(missing) > 1 else ''} {names}, "
                f"not activated on database '{self.client.database}'"
            )

    def _pages(
        self, listing: Listing, window: Window, page_size: int, context: dict[str, Any] | None = None, **scope: str
    ) -> Iterator[Page]:
        base = [*listing.domain, *window.domain(listing.stamps, self.look_back)]
        to_row = partial(listing.to_row, **scope)
        last_id, first_row = window.after_id, 1
        records = self._read(listing, base, last_id, page_size, context)
        while records:
            last_id = records[-1]["id"]
            following = self._read(listing, base, last_id, page_size, context) if len(records) == page_size else []
            cursor = window.cursor_after(last_id) if following else window.cursor_done()
            frame = pd.DataFrame([to_row(record) for record in records], columns=list(listing.columns), dtype=object)
            source = "@".join(["tryton:" + listing.model, *scope.values()])
            yield Page(frame, {c: c for c in listing.columns}, source, first_row, cursor)
            first_row += len(records)
            records = following

    def _read(
        self, listing: Listing, base: list[Any], after_id: int, limit: int, context: dict[str, Any] | None
    ) -> list[Record]:
        domain = [*base, ["id", ">", after_id]]
        return self.client.search_read(listing.model, domain, limit, listing.fields, context=context)

    def _per_warehouse(self, listing: Listing, page_size: int) -> Iterator[Page]:
        # Quantities are computed per location: one full read per warehouse, never a delta.
        for warehouse in self._warehouses():
            context = {"locations": [warehouse["id"]]}
            code = str(warehouse["code"] or "")
            yield from self._pages(listing, _window(listing, None), page_size, context, warehouse=code)

    def _warehouses(self) -> list[Record]:
        return self.client.search_read("stock.location", [["type", "=", "warehouse"]], None, ["code"])


def _window(listing: Listing, since: Cursor | None) -> Window:
    # A listing without stamps has no deltas: every run reads it whole, whatever the cursor says.
    return Window.open(since, _now()) if listing.stamps else Window(None, _now())


def _now() -> dt.datetime:
    # Tryton stamps records in UTC without a zone; the look-back absorbs clock skew.
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
