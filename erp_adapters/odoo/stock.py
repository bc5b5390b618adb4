"""Stock from Odoo: ``stock.quant`` in internal locations, summed per product and warehouse.

Odoo keeps a quant per product, location (``WH/Stock``, ``WH/Stock/Shelf 1``…), lot and
package; the shop keeps one quantity per SKU and warehouse, so a product's quants are summed over
the warehouse's locations. A sum can only be told once every quant is read, so stock is read
whole on every run, whatever the cursor (the hash diff keeps unchanged levels free), and then
cut into pages. The warehouse is its short code (``WH``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

import pandas as pd

from erp_adapters.errors import MalformedSource
from erp_adapters.odoo.client import OdooClient
from erp_adapters.odoo.links import field_of, ids_of, skus
from erp_adapters.odoo.reading import many2one
from erp_adapters.values import text
from records.erp import Page

MODEL = "stock.quant"
COLUMNS = ("sku", "warehouse", "quantity")
FIELDS = {column: column for column in COLUMNS}
DOMAIN = [["location_id.usage", "=", "internal"]]


def stock_pages(client: OdooClient, page_size: int) -> Iterator[Page]:
    totals: defaultdict[tuple[str, str], Decimal] = defaultdict(Decimal)
    products, warehouses = [], []
    for quant in _quants(client, page_size):
        product, warehouse = quant.get("product_id"), quant.get("warehouse_id")
        products.append(product)
        warehouses.append(warehouse)
        key = (many2one(product)[0], many2one(warehouse)[0])
        try:
            totals[key] += Decimal(str(quant.get("quantity") or 0))
        except ArithmeticError:
            raise MalformedSource(f"odoo: {MODEL} {quant.get('id')} has a quantity that is not a number") from None
    codes = skus(client, products)
    names = field_of(client, "stock.warehouse", ids_of(warehouses), "code")
    rows = [
        {"sku": codes.get(product, ""), "warehouse": names.get(warehouse, ""), "quantity": text(quantity)}
        for (product, warehouse), quantity in totals.items()
    ]
    for start in range(0, len(rows), page_size):
        frame = pd.DataFrame(rows[start : start + page_size], columns=list(COLUMNS), dtype=str)
        yield Page(frame, FIELDS, MODEL, start + 1, {})


def _quants(client: OdooClient, page_size: int) -> Iterator[dict[str, object]]:
    after_id = 0
    while True:
        domain = [*DOMAIN, ["id", ">", after_id]]
        found = client.execute_kw(
            MODEL,
            "search_read",
            [domain],
            {"fields": ["product_id", "warehouse_id", "quantity"], "order": "id asc", "limit": page_size},
        )
        if not isinstance(found, list):
            raise MalformedSource(
                f"odoo: {MODEL}.search_read answered {type(found).__name__} where a list was expected"
            )
        if not found:
            return
        yield from found
        after_id = int(found[-1]["id"])
