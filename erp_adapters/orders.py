"""Orders going the other way: what a shop order looks like to an adapter that can send it.

Exactly once rests on the idempotency key (the shop order number): an adapter stores it as the
ERP order's external reference and looks it up before creating, so a retry after an ambiguous
failure (the ERP committed, the answer was lost) finds the order instead of creating another.
"""

from __future__ import annotations

from typing import Protocol, cast

from erp_adapters.base import Capability, ErpAdapter
from erp_adapters.errors import AdapterConfigError
from records.orders import ShopOrder


class OrderSink(Protocol):
    """An adapter with ``Capability.PUSH_ORDERS`` implements this besides ``ErpAdapter``."""

    def find_order(self, idempotency_key: str) -> str | None:
        """The ERP's reference of the order sent with this key, or None if the ERP has none."""
        ...

    def push_order(self, order: ShopOrder, idempotency_key: str) -> str:
        """Create the order in the ERP unless it is already there; returns the ERP's reference.

        Raises ``TransientErpError`` when a retry may succeed (timeouts, 429, 5xx, resets) and
        ``OrderRejected`` when the ERP refuses the order itself (unknown product, closed customer).
        """
        ...


def order_sink(adapter: ErpAdapter) -> OrderSink:
    """The adapter as an order sink; AdapterConfigError if its ERP cannot be sent orders."""
    if Capability.PUSH_ORDERS not in adapter.capabilities:
        raise AdapterConfigError(f"the {adapter.name} adapter cannot send orders to its ERP")
    return cast(OrderSink, adapter)
