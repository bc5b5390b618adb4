"""Orders going the other way: what a shop order looks like to an adapter that can send it.

Exactly once rests on the idempotency key (the shop order number): an adapter stores it as the
ERP order's external reference and looks it up before creating, so a retry after an ambiguous
failure (the ERP committed, the answer was lost) finds the order instead of creating another.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Protocol, cast

from erp_adapters.base import Capability, ErpAdapter
from erp_adapters.errors import AdapterConfigError, NoAnswer, TransientErpError
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


class OrderCanceller(Protocol):
    """An adapter with ``Capability.CANCEL_ORDERS`` implements this besides ``OrderSink``."""

    def cancel_order(self, idempotency_key: str, erp_ref: str) -> str:
        """Cancel the order sent with this key (``erp_ref`` is what the ERP answered then), or ask
        the ERP to; cancelling it again changes nothing. Returns what was done, in a few words.

        Raises ``OrderRejected`` when the ERP refuses (the order is delivered or invoiced) and
        ``TransientErpError`` when a retry may succeed."""
        ...


def order_canceller(adapter: ErpAdapter) -> OrderCanceller | None:
    """The adapter as an order canceller, or None if its ERP cannot be asked to cancel an order."""
    return cast(OrderCanceller, adapter) if Capability.CANCEL_ORDERS in adapter.capabilities else None


def order_sink(adapter: ErpAdapter) -> OrderSink:
    """The adapter as an order sink; AdapterConfigError if its ERP cannot be sent orders."""
    if Capability.PUSH_ORDERS not in adapter.capabilities:
        raise AdapterConfigError(f"the {adapter.name} adapter cannot send orders to its ERP")
    return cast(OrderSink, adapter)


def find_else_create(
    find: Callable[[], str | None], create: Callable[[], str], *, attempts: int, backoff: float, answer_wait: float
) -> str:
    """The order's ERP reference: found, else created. A create that failed in a way that may
    have reached the ERP is retried after finding again; one that got no answer may still be
    running in the ERP, so the next look-up first waits ``answer_wait`` more (the client's
    time-out: the ERP has had twice that to commit). Jitter spreads workers retrying at once.
    ``TransientErpError`` once the attempts run out; other errors (a refusal) at once."""
    for attempt in range(1, attempts + 1):
        found = find()
        if found is not None:
            return found
        try:
            return create()
        except TransientErpError as exc:
            if attempt == attempts:
                raise
            settle = answer_wait if isinstance(exc, NoAnswer) else 0.0
            time.sleep(settle + backoff * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable: the last attempt returns or raises")


def order_note(order: ShopOrder) -> str:
    """The note an ERP order carries for the people reading it: the shop's number, payment and
    shipping methods."""
    parts = [f"Shop order {order.number}"]
    if order.payment_method:
        parts.append(f"payment: {order.payment_method}")
    if order.shipping_method:
        parts.append(f"shipping: {order.shipping_method}")
    return "; ".join(parts)
