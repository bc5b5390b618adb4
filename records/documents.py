"""The fields of one line of an ERP document (invoice, delivery note, pending order)."""

from __future__ import annotations

LINE_FIELDS = ("line_no", "sku", "description", "quantity", "unit_price")
