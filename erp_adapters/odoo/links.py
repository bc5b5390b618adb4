"""What Odoo's many2one links point at, read in one call per page: a partner's company code, a
product's SKU, a warehouse's code. A page's records link to the same few records, so each is
read once per page, by id, instead of once per record."""

from __future__ import annotations

from collections.abc import Iterable

from erp_adapters.odoo.client import OdooClient
from erp_adapters.odoo.reading import many2one, text


def ids_of(links: Iterable[object]) -> list[int]:
    """The ids of many2one values (``[id, name]`` or False), each once."""
    return sorted({int(i) for i in (many2one(link)[0] for link in links) if i.isdigit()})


def field_of(client: OdooClient, model: str, ids: list[int], field: str) -> dict[str, str]:
    """id (as text) → the field's text, for the records of ``model`` with these ids."""
    if not ids:
        return {}
    found = client.execute_kw(model, "read", [ids], {"fields": [field]})
    return {text(record.get("id")): text(record.get(field)) for record in found}


def customer_codes(client: OdooClient, partners: Iterable[object]) -> dict[str, str]:
    """Partner id → the ``ref`` of its company (``commercial_partner_id``): an invoice or a
    delivery goes to an address or a person under the customer."""
    ids = ids_of(partners)
    if not ids:
        return {}
    found = client.execute_kw("res.partner", "read", [ids], {"fields": ["commercial_partner_id"]})
    company = {text(record.get("id")): many2one(record.get("commercial_partner_id"))[0] for record in found}
    companies = sorted({int(c) for c in company.values() if c.isdigit()})
    refs = field_of(client, "res.partner", companies, "ref")
    return {partner: refs.get(commercial, "") for partner, commercial in company.items()}


def skus(client: OdooClient, products: Iterable[object]) -> dict[str, str]:
    """Product id → its internal reference (``default_code``), the shop's SKU."""
    return field_of(client, "product.product", ids_of(products), "default_code")
