"""The ``tryton`` adapter: a Tryton server over JSON-RPC, read incrementally, orders pushed back."""

from erp_adapters.registry import register
from erp_adapters.tryton.adapter import TrytonAdapter

__all__ = ["TrytonAdapter"]

register("tryton", TrytonAdapter.from_options, TrytonAdapter.capabilities)
