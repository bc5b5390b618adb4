"""A shop order as it leaves the shop: what the outbox stores and what an adapter sends."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class ShopOrderLine:
    sku: str
    quantity: Decimal
    unit_price: Decimal
    description: str = ""


@dataclass(frozen=True)
class ShopOrder:
    number: str  # the shop's order number: also the idempotency key
    customer_code: str
    placed_at: dt.datetime
    lines: tuple[ShopOrderLine, ...]
    currency: str = "EUR"
    total: Decimal = Decimal(0)
    billing_address: dict[str, Any] = field(default_factory=dict)
    shipping_address: dict[str, Any] = field(default_factory=dict)
    payment_method: str | None = None
    shipping_method: str | None = None
