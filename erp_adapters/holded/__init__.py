"""The ``holded`` adapter: Holded's REST API v1, every entity it exposes, orders as sales orders."""

from erp_adapters.holded.adapter import HoldedAdapter
from erp_adapters.registry import register

__all__ = ["HoldedAdapter"]

register("holded", HoldedAdapter.from_options, HoldedAdapter.capabilities)
