"""Product variants from Odoo: ``product.product``, one record per variant; its template is
``product_tmpl_id``, and the SKU is the variant's internal reference (``default_code``)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from erp_adapters.odoo.client import OdooClient
from erp_adapters.odoo.reading import OdooSource, many2one, text

FIELDS = {
    "sku": "default_code",
    "name": "name",
    "price": "list_price",
    "barcode": "barcode",
    "template_code": "template_id",
    "template_name": "template_name",
}


def _frame(client: OdooClient, rows: list[dict[str, Any]]) -> pd.DataFrame:
    records = []
    for row in rows:
        template_id, template_name = many2one(row.get("product_tmpl_id"))
        record = {column: text(row.get(column)) for column in ("default_code", "name", "list_price", "barcode")}
        records.append({**record, "template_id": template_id, "template_name": template_name})
    return pd.DataFrame(records, columns=list(FIELDS.values()), dtype=str)


PRODUCTS = OdooSource(
    model="product.product",
    domain=(),
    read=("default_code", "name", "list_price", "barcode", "product_tmpl_id"),
    fields=FIELDS,
    to_frame=_frame,
)
