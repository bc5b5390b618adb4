"""A shop order as JSON (what the shop front end, or `erp-sync order add`, hands over), checked
field by field so a bad document is refused with one line naming the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from records.errors import InvalidInput
from records.orders import ShopOrder, ShopOrderLine
from shop.models import now_utc


class _Line(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64)
    quantity: Decimal = Field(gt=0)
    unit_price: Decimal = Field(ge=0)
    description: str = Field(default="", max_length=255)


class _Order(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=1, max_length=64)
    customer_code: str = Field(min_length=1, max_length=64)
    lines: list[_Line] = Field(min_length=1)
    placed_at: dt.datetime | None = None
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    total: Decimal = Field(default=Decimal(0), ge=0)
    billing_address: dict[str, Any] = Field(default_factory=dict)
    shipping_address: dict[str, Any] = Field(default_factory=dict)
    payment_method: str | None = Field(default=None, max_length=64)
    shipping_method: str | None = Field(default=None, max_length=64)


def order_from_json(document: object) -> ShopOrder:
    """The order in ``document`` (parsed JSON); raises InvalidInput naming the first bad field."""
    try:
        order = _Order.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "order"
        raise InvalidInput(f"{where}: {first['msg']}") from None
    placed_at = order.placed_at or now_utc()
    if placed_at.tzinfo is None:
        raise InvalidInput("placed_at: give a time zone, e.g. 2026-11-25T10:00:00+01:00")
    return ShopOrder(
        number=order.number,
        customer_code=order.customer_code,
        placed_at=placed_at,
        lines=tuple(ShopOrderLine(ln.sku, ln.quantity, ln.unit_price, ln.description) for ln in order.lines),
        currency=order.currency,
        total=order.total,
        billing_address=order.billing_address,
        shipping_address=order.shipping_address,
        payment_method=order.payment_method,
        shipping_method=order.shipping_method,
    )
