"""The price engine: what one customer pays for a quantity of a variant on a day, and why.

``quote(catalog, customer, variant, quantity, on)`` goes through four steps, each recorded in the
quote so that a shop can show the breakdown:

1. **List price:** the variant's own.
2. **Price list:** the first of the customer's price lists (their own, then their group's) that
   is valid on the day and prices the variant. Its price is that of the largest quantity break
   the quantity reaches. A list outside its dates is never used.
3. **Discounts**, valid on the day, for the customer, their group, the variant's family or the
   variant itself, applied one after another on what the previous left, in the order of their
   ``sequence``, then variant, family, customer, group. A percentage takes its share of the unit
   price; an amount takes that much off each unit. The net never goes below zero.
4. **Taxes** by the customer's regime: VAT at the rate of the variant's category valid on the day;
   under recargo de equivalencia also the recargo of that rate (5.2 % with 21 %, 1.4 % with 10 %,
   0.5 % with 4 %, as data); exempt, intra-EU (reverse charge) and export regimes pay neither.

**Rounding, per line to the cent** (half up): unit prices keep four decimals; the line's net is
the unit net × quantity rounded to the cent, and VAT and recargo are each the net × their rate
rounded to the cent. The line's total is the sum of those three, so it always adds up; a cart's
totals are the sums of its lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Scope = Literal["variant", "family", "customer", "group"]
Regime = Literal["general", "recargo", "exempt", "intra_eu", "export"]
SCOPES: tuple[Scope, ...] = ("variant", "family", "customer", "group")  # how ties in sequence combine
UNTAXED: frozenset[Regime] = frozenset({"exempt", "intra_eu", "export"})
CENT, UNIT = Decimal("0.01"), Decimal("0.0001")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Dated:
    """Valid from ``valid_from`` to ``valid_to``, both days included; None is open-ended."""

    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Break:
    min_quantity: Decimal
    price: Decimal


@dataclass(frozen=True)
class PriceList(Dated):
    code: str = ""
    prices: Mapping[str, tuple[Break, ...]] = field(default_factory=dict)  # SKU → breaks

    def __post_init__(self) -> None:
        for sku, breaks in self.prices.items():
            minimums = [b.min_quantity for b in breaks]
            if len(set(minimums)) != len(minimums):
                raise ValueError(f"price list {self.code}: two breaks of {sku} start at the same quantity")
            if any(b.price < 0 for b in breaks):
                raise ValueError(f"price list {self.code}: a price of {sku} is negative")

    def price_of(self, sku: str, quantity: Decimal) -> Decimal | None:
        """The price of the largest break ``quantity`` reaches; None when none applies."""
        reached = [b for b in self.prices.get(sku, ()) if b.min_quantity <= quantity]
        return max(reached, key=lambda b: b.min_quantity).price if reached else None


@dataclass(frozen=True)
class Discount(Dated):
    source: str = ""  # how the shop names it: its code in the ERP
    scope: Scope = "customer"
    target: str = ""  # the customer code, group, family or SKU it is for
    percent: Decimal | None = None
    amount: Decimal | None = None  # off each unit
    sequence: int = 0

    def __post_init__(self) -> None:
        if (self.percent is None) == (self.amount is None):
            raise ValueError(f"discount {self.source}: give a percentage or an amount, not both or neither")
        if self.percent is not None and not Decimal(0) <= self.percent <= HUNDRED:
            raise ValueError(f"discount {self.source}: {self.percent} % is not between 0 and 100")
        if self.amount is not None and self.amount < 0:
            raise ValueError(f"discount {self.source}: a negative amount is a surcharge, not a discount")


@dataclass(frozen=True)
class TaxRate(Dated):
    category: str = "general"  # general, reduced, super_reduced, exempt
    vat: Decimal = Decimal(0)  # percent
    recargo: Decimal = Decimal(0)  # percent, under recargo de equivalencia


@dataclass(frozen=True)
class Customer:
    code: str
    group: str = ""
    regime: Regime = "general"
    price_lists: tuple[str, ...] = ()  # the customer's own, then their group's, in that order


@dataclass(frozen=True)
class Variant:
    sku: str
    list_price: Decimal
    family: str = ""
    vat_category: str = "general"


@dataclass(frozen=True)
class Catalog:
    price_lists: Mapping[str, PriceList] = field(default_factory=dict)
    discounts: Sequence[Discount] = ()
    tax_rates: Sequence[TaxRate] = ()
    currency: str = "EUR"


@dataclass(frozen=True)
class Applied:
    source: str
    scope: Scope
    percent: Decimal | None
    amount: Decimal | None
    off: Decimal  # what it took off each unit


@dataclass(frozen=True)
class Quote:
    sku: str
    quantity: Decimal
    list_price: Decimal
    price_list: str | None  # the list whose price was used, if any
    price: Decimal  # the unit price before discounts
    discounts: tuple[Applied, ...]
    net_unit: Decimal
    net: Decimal  # the line, rounded to the cent
    vat_rate: Decimal
    vat: Decimal
    recargo_rate: Decimal
    recargo: Decimal
    total: Decimal
    currency: str


def quote(catalog: Catalog, customer: Customer, variant: Variant, quantity: Decimal, on: dt.date) -> Quote:
    if quantity <= 0:
        raise ValueError(f"{variant.sku}: quantity {quantity} must be more than 0")
    price, price_list = variant.list_price, None
    for code in customer.price_lists:
        listed = catalog.price_lists.get(code)
        found = listed.price_of(variant.sku, quantity) if listed is not None and listed.valid_on(on) else None
        if found is not None:
            price, price_list = found, code
            break
    net_unit, applied = price, []
    for discount in _discounts(catalog, customer, variant, on):
        off = net_unit * discount.percent / HUNDRED if discount.percent is not None else discount.amount
        off = min(_unit(off or Decimal(0)), net_unit)  # never below zero
        net_unit -= off
        applied.append(Applied(discount.source, discount.scope, discount.percent, discount.amount, off))
    vat_rate, recargo_rate = _rates(catalog, customer, variant, on)
    net = _cent(net_unit * quantity)
    vat, recargo = _cent(net * vat_rate / HUNDRED), _cent(net * recargo_rate / HUNDRED)
    return Quote(
        variant.sku, quantity, variant.list_price, price_list, price, tuple(applied), net_unit, net,
        vat_rate, vat, recargo_rate, recargo, net + vat + recargo, catalog.currency,
    )  # fmt: skip


@dataclass(frozen=True)
class CartQuote:
    lines: tuple[Quote, ...]
    net: Decimal
    vat: Decimal
    recargo: Decimal
    total: Decimal
    currency: str


def quote_cart(
    catalog: Catalog, customer: Customer, lines: Sequence[tuple[Variant, Decimal]], on: dt.date
) -> CartQuote:
    """Every line priced on its own; the cart's figures are the sums of its lines' (per-line rounding)."""
    quotes = tuple(quote(catalog, customer, variant, quantity, on) for variant, quantity in lines)
    zero = Decimal(0)
    return CartQuote(
        quotes,
        net=sum((q.net for q in quotes), zero),
        vat=sum((q.vat for q in quotes), zero),
        recargo=sum((q.recargo for q in quotes), zero),
        total=sum((q.total for q in quotes), zero),
        currency=catalog.currency,
    )


def _discounts(catalog: Catalog, customer: Customer, variant: Variant, on: dt.date) -> list[Discount]:
    targets: dict[Scope, str] = {
        "variant": variant.sku, "family": variant.family, "customer": customer.code, "group": customer.group,
    }  # fmt: skip
    found = [d for d in catalog.discounts if d.valid_on(on) and targets[d.scope] and d.target == targets[d.scope]]
    return sorted(found, key=lambda d: (d.sequence, SCOPES.index(d.scope)))


def _rates(catalog: Catalog, customer: Customer, variant: Variant, on: dt.date) -> tuple[Decimal, Decimal]:
    if customer.regime in UNTAXED:
        return Decimal(0), Decimal(0)
    rates = [r for r in catalog.tax_rates if r.category == variant.vat_category and r.valid_on(on)]
    if not rates:
        raise ValueError(f"{variant.sku}: no VAT rate of category {variant.vat_category!r} valid on {on}")
    rate = max(rates, key=lambda r: r.valid_from or dt.date.min)  # the latest that started
    return rate.vat, rate.recargo if customer.regime == "recargo" else Decimal(0)


def _cent(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _unit(value: Decimal) -> Decimal:
    return value.quantize(UNIT, rounding=ROUND_HALF_UP)
