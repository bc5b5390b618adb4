"""A shop order as JSON (what the shop front end, or `erp-sync order add`, hands over).

The pydantic models below both check an order and describe it: ``order_json_schema()`` is their
JSON Schema, with a title, a description and examples on every field (`erp-sync order schema`
prints it). A bad document is refused with every problem at once, one per line, each naming its
field path (``lines.0.quantity: Input should be greater than 0``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from records.errors import InvalidInput
from records.orders import ShopOrder, ShopOrderLine
from shop.models import now_utc

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"  # what pydantic generates
# Order numbers name files in drop folders and references in ERPs: the same rule as
# What an order number may be (it names a file and an ERP reference): the schema documents it
# and services/outbox.py enforces it.
ORDER_NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"

# Decimals are JSON numbers or decimal strings ("39.00"); pydantic's schema would accept any string.
NON_NEGATIVE_DECIMAL = r"^(?=\.?[0-9])[0-9]*\.?[0-9]*$"
POSITIVE_DECIMAL = r"^(?=[^1-9]*[1-9])[0-9]*\.?[0-9]*$"


def _decimal_schema(positive: bool) -> dict[str, Any]:
    number = {"type": "number", "exclusiveMinimum": 0} if positive else {"type": "number", "minimum": 0}
    text = {"type": "string", "pattern": POSITIVE_DECIMAL if positive else NON_NEGATIVE_DECIMAL}
    return {"anyOf": [number, text]}


ADDRESS_EXAMPLE = {
    "name": "Textil Gómez S.L.",
    "street": "Calle Ruiz 25",
    "city": "Barcelona",
    "postal_code": "08190",
    "country": "ES",
}
# The smallest order the shop takes: placed now, in euros, its total the sum of its lines.
MINIMAL_ORDER: dict[str, Any] = {
    "number": "W-1001",
    "customer_code": "C00001",
    "lines": [{"sku": "POL-0001-NEG-S", "quantity": 2, "unit_price": "39.00"}],
}
FULL_ORDER: dict[str, Any] = {
    "number": "W-1002",
    "customer_code": "C00001",
    "placed_at": "2026-11-25T10:00:00+01:00",
    "lines": [
        {"sku": "POL-0001-NEG-S", "quantity": 2, "unit_price": "39.00", "description": "Polo piqué negro S"},
        {"sku": "POL-0001-NEG-M", "quantity": "1", "unit_price": "39.00", "description": "Polo piqué negro M"},
    ],
    "currency": "EUR",
    "total": "117.00",
    "billing_address": ADDRESS_EXAMPLE,
    "shipping_address": {**ADDRESS_EXAMPLE, "street": "Calle Mayor 3"},
    "payment_method": "tarjeta",
    "shipping_method": "mensajería",
}


class OrderLineInput(BaseModel):
    """One line of a shop order: a product variant, how many, at what price."""

    model_config = ConfigDict(extra="forbid", title="Order line")

    sku: str = Field(
        min_length=1,
        max_length=64,
        title="SKU",
        description="The product variant's SKU, as the ERP knows it.",
        examples=["POL-0001-NEG-S"],
    )
    quantity: Decimal = Field(
        gt=0,
        json_schema_extra=_decimal_schema(positive=True),
        title="Quantity",
        description="Units ordered, more than 0: a JSON number or a decimal string.",
        examples=[2, "1.5"],
    )
    unit_price: Decimal = Field(
        ge=0,
        json_schema_extra=_decimal_schema(positive=False),
        title="Unit price",
        description="The price of one unit in the order's currency, 0 or more: a JSON number or a decimal string.",
        examples=["39.00"],
    )
    description: str = Field(
        default="",
        max_length=255,
        title="Description",
        description="The line's text for the ERP, e.g. the product's name.",
        examples=["Polo piqué negro S"],
    )


class OrderInput(BaseModel):
    """An order placed in the shop: `erp-sync order add --from-json FILE` takes one, or a JSON list of them."""

    model_config = ConfigDict(
        extra="forbid",
        title="Shop order",
        json_schema_extra={"examples": [MINIMAL_ORDER, FULL_ORDER]},
    )

    number: str = Field(
        min_length=1,
        max_length=64,
        pattern=ORDER_NUMBER_PATTERN,
        title="Order number",
        description=(
            "The shop's order number: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit. "
            "Unique per shop; the ERP gets each number once."
        ),
        examples=["W-1001"],
    )
    customer_code: str = Field(
        min_length=1,
        max_length=64,
        title="Customer code",
        description="The customer's code in the ERP (a customer's `code`).",
        examples=["C00001"],
    )
    lines: list[OrderLineInput] = Field(
        min_length=1,
        title="Lines",
        description="What was ordered: one line or more.",
    )
    placed_at: AwareDatetime | None = Field(
        default=None,
        title="Placed at",
        description="When the order was placed: an ISO 8601 date and time with its time zone. Now, if left out.",
        examples=["2026-11-25T10:00:00+01:00"],
    )
    currency: str = Field(
        default="EUR",
        pattern=r"^[A-Z]{3}$",
        title="Currency",
        description="The ISO 4217 code of the prices' currency.",
        examples=["EUR"],
    )
    total: Decimal = Field(
        default=Decimal(0),
        ge=0,
        json_schema_extra=_decimal_schema(positive=False),
        title="Total",
        description="The order's total; 0 or left out: the sum of quantity × unit price over the lines.",
        examples=["117.00"],
    )
    billing_address: dict[str, Any] = Field(
        default_factory=dict,
        title="Billing address",
        description="Any JSON object; it reaches the ERP as given.",
        examples=[ADDRESS_EXAMPLE],
    )
    shipping_address: dict[str, Any] = Field(
        default_factory=dict,
        title="Shipping address",
        description="Any JSON object; it reaches the ERP as given.",
        examples=[ADDRESS_EXAMPLE],
    )
    payment_method: str | None = Field(
        default=None,
        max_length=64,
        title="Payment method",
        description="How the customer paid, in the shop's words.",
        examples=["tarjeta"],
    )
    shipping_method: str | None = Field(
        default=None,
        max_length=64,
        title="Shipping method",
        description="How the order travels, in the shop's words.",
        examples=["mensajería"],
    )


def order_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one order, generated from the models."""
    return {"$schema": JSON_SCHEMA_DIALECT, **OrderInput.model_json_schema()}


class InvalidOrder(InvalidInput):
    """An order document with problems: each names its field path, and the message lists them all."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(problem_list(self.problems))


def problem_list(problems: Sequence[str]) -> str:
    """One problem as it is; several as a count followed by one indented line each."""
    if len(problems) == 1:
        return problems[0]
    return f"{len(problems)} problems:" + "".join(f"\n  {problem}" for problem in problems)


# Pydantic's wording where it would not tell the user what to write: (field, error type) -> message.
_CLEARER = {
    ("number", "string_pattern_mismatch"): (
        "order number {input!r} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
    ),
    ("placed_at", "timezone_aware"): "give a time zone, e.g. 2026-11-25T10:00:00+01:00",
}


def _problem(error: ErrorDetails) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "order"
    field = next((str(part) for part in reversed(error["loc"]) if isinstance(part, str)), "")
    template = _CLEARER.get((field, error["type"]))
    message = template.format(input=error["input"]) if template else error["msg"]
    return f"{where}: {message}"


def order_from_json(document: object) -> ShopOrder:
    """The order in ``document`` (parsed JSON); raises InvalidOrder listing every bad field."""
    try:
        order = OrderInput.model_validate(document)
    except ValidationError as exc:
        raise InvalidOrder([_problem(error) for error in exc.errors()]) from None
    return ShopOrder(
        number=order.number,
        customer_code=order.customer_code,
        placed_at=order.placed_at or now_utc(),
        lines=tuple(ShopOrderLine(ln.sku, ln.quantity, ln.unit_price, ln.description) for ln in order.lines),
        currency=order.currency,
        total=order.total,
        billing_address=order.billing_address,
        shipping_address=order.shipping_address,
        payment_method=order.payment_method,
        shipping_method=order.shipping_method,
    )
