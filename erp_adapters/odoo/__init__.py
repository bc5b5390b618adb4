"""The ``odoo`` adapter: shop orders to Odoo's sale orders over JSON-RPC, exactly once."""

from erp_adapters.odoo.adapter import OdooAdapter
from erp_adapters.registry import register

__all__ = ["OdooAdapter"]

register("odoo", OdooAdapter.from_options, OdooAdapter.capabilities)
