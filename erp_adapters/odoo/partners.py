"""Customers and their contacts from Odoo: ``res.partner`` companies, and the people under them.

A customer's code is its internal reference (``ref``): the same key orders are sent with, so a
company without one is quarantined until it gets one. A contact's code is its own ``ref``, or
``odoo-<id>`` when it has none (people rarely get one), and its customer is its parent company.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from erp_adapters.odoo.client import OdooClient
from erp_adapters.odoo.reading import OdooSource, many2one, text

CUSTOMER_FIELDS = {
    "code": "ref",
    "tax_id": "vat",
    "name": "name",
    "email": "email",
    "phone": "phone",
    "address": "street",
    "city": "city",
    "province": "state",
    "postal_code": "zip",
    "country": "country_code",
}
CONTACT_FIELDS = {
    "code": "contact_ref",
    "customer_code": "parent_ref",
    "name": "name",
    "email": "email",
    "phone": "phone",
}


def _customers(client: OdooClient, rows: list[dict[str, Any]]) -> pd.DataFrame:
    records = []
    for row in rows:
        plain = ("ref", "vat", "name", "email", "phone", "street", "city", "zip", "country_code")
        records.append(
            {**{column: text(row.get(column)) for column in plain}, "state": many2one(row.get("state_id"))[1]}
        )
    return pd.DataFrame(records, columns=list(CUSTOMER_FIELDS.values()), dtype=str)


def _contacts(client: OdooClient, rows: list[dict[str, Any]]) -> pd.DataFrame:
    linked = {many2one(row.get("parent_id"))[0] for row in rows}
    parent_ids = sorted(int(parent) for parent in linked if parent.isdigit())
    parents = client.execute_kw("res.partner", "read", [parent_ids], {"fields": ["ref"]}) if parent_ids else []
    parent_refs = {text(parent.get("id")): text(parent.get("ref")) for parent in parents}
    records = [
        {
            "contact_ref": text(row.get("ref")) or f"odoo-{row['id']}",
            "parent_ref": parent_refs.get(many2one(row.get("parent_id"))[0], ""),
            "name": text(row.get("name")),
            "email": text(row.get("email")),
            "phone": text(row.get("phone")),
        }
        for row in rows
    ]
    return pd.DataFrame(records, columns=list(CONTACT_FIELDS.values()), dtype=str)


CUSTOMERS = OdooSource(
    model="res.partner",
    domain=(("is_company", "=", True),),
    read=("ref", "vat", "name", "email", "phone", "street", "city", "state_id", "zip", "country_code"),
    fields=CUSTOMER_FIELDS,
    to_frame=_customers,
)
CONTACTS = OdooSource(
    model="res.partner",
    domain=(("is_company", "=", False), ("parent_id", "!=", False)),
    read=("ref", "name", "email", "phone", "parent_id"),
    fields=CONTACT_FIELDS,
    to_frame=_contacts,
)
