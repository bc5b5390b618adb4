"""The price engine (domain/pricing.py): a retailer under recargo de equivalencia worked by hand,
then properties over generated catalogs: the net is never negative, the total is net + VAT +
recargo to the cent, discounts apply in the stated order, a price list outside its dates is never
used, and the largest break reached sets the price."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.pricing import (
    SCOPES,
    Break,
    Catalog,
    Customer,
    Discount,
    PriceList,
    TaxRate,
    Variant,
    quote,
    quote_cart,
)

DAY = dt.date(2026, 12, 8)
Case = tuple[Catalog, Customer, Variant, Decimal, dt.date]
RATES = (
    TaxRate(category="general", vat=Decimal(21), recargo=Decimal("5.2"), valid_from=dt.date(2012, 9, 1)),
    TaxRate(category="reduced", vat=Decimal(10), recargo=Decimal("1.4"), valid_from=dt.date(2012, 9, 1)),
    TaxRate(category="super_reduced", vat=Decimal(4), recargo=Decimal("0.5"), valid_from=dt.date(1995, 1, 1)),
    TaxRate(category="exempt"),
)
POLO = Variant("POL-0001-NEG-M", Decimal("39.00"), family="POLOS")


def test_a_retailer_under_recargo_buys_twelve_with_a_break_and_a_family_discount() -> None:
    catalog = Catalog(
        price_lists={
            "MAYORISTA": PriceList(
                code="MAYORISTA",
                prices={POLO.sku: (Break(Decimal(1), Decimal("30.00")), Break(Decimal(12), Decimal("27.50")))},
            ),
        },
        discounts=(Discount(source="DTO-POLOS", scope="family", target="POLOS", percent=Decimal(10)),),
        tax_rates=RATES,
    )
    retailer = Customer("C0042", group="MINORISTAS", regime="recargo", price_lists=("MAYORISTA",))

    line = quote(catalog, retailer, POLO, Decimal(12), DAY)

    assert (line.list_price, line.price_list, line.price) == (Decimal("39.00"), "MAYORISTA", Decimal("27.50"))
    assert [(d.source, d.off) for d in line.discounts] == [("DTO-POLOS", Decimal("2.7500"))]
    assert (line.net_unit, line.net) == (Decimal("24.7500"), Decimal("297.00"))
    assert (line.vat_rate, line.vat, line.recargo_rate, line.recargo) == (
        Decimal(21), Decimal("62.37"), Decimal("5.2"), Decimal("15.44"),
    )  # fmt: skip
    assert line.total == Decimal("374.81") and line.currency == "EUR"
    assert quote(catalog, retailer, POLO, Decimal(11), DAY).price == Decimal("30.00")  # below the break
    general = quote(catalog, Customer("C0043", regime="general", price_lists=("MAYORISTA",)), POLO, Decimal(12), DAY)
    assert general.recargo == 0 and general.vat == Decimal("62.37")
    exporter = quote(catalog, Customer("C0044", regime="export"), POLO, Decimal(1), DAY)
    assert (exporter.price_list, exporter.vat, exporter.total) == (None, 0, Decimal("35.10"))


def test_bad_commercial_data_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="110 % is not between 0 and 100"):
        Discount(source="X", percent=Decimal(110))
    with pytest.raises(ValueError, match="two breaks of S1 start at the same quantity"):
        PriceList(code="L", prices={"S1": (Break(Decimal(5), Decimal(1)), Break(Decimal(5), Decimal(2)))})
    with pytest.raises(ValueError, match="a percentage or an amount"):
        Discount(source="Y", percent=Decimal(5), amount=Decimal(1))
    with pytest.raises(ValueError, match="no VAT rate of category 'reduced'"):
        quote(Catalog(), Customer("C1"), Variant("S1", Decimal(1), vat_category="reduced"), Decimal(1), DAY)


# -- properties --------------------------------------------------------------------------------

money = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)
quantities = st.decimals(min_value=Decimal("0.001"), max_value=1_000, places=3, allow_nan=False, allow_infinity=False)
days = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2027, 12, 31))


@st.composite
def discounts(draw: st.DrawFn) -> Discount:
    scope = draw(st.sampled_from(SCOPES))
    start = draw(st.none() | days)
    as_percent = draw(st.booleans())
    return Discount(
        source=f"D{draw(st.integers(0, 999))}",
        scope=scope,
        target={"variant": "S1", "family": "F1", "customer": "C1", "group": "G1"}[scope],
        percent=draw(st.decimals(0, 100, places=2)) if as_percent else None,
        amount=None if as_percent else draw(money),
        sequence=draw(st.integers(0, 3)),
        valid_from=start,
        valid_to=None if start is None else start + dt.timedelta(days=draw(st.integers(0, 400))),
    )


@st.composite
def cases(draw: st.DrawFn) -> Case:
    start = draw(days)
    minimums = sorted(draw(st.sets(quantities, min_size=1, max_size=4)))
    breaks = tuple(Break(minimum, draw(money)) for minimum in minimums)
    listed = PriceList(code="L1", prices={"S1": breaks}, valid_from=start, valid_to=start + dt.timedelta(days=90))
    drawn = draw(st.lists(discounts(), max_size=5))
    unique = tuple(replace(discount, source=f"D{n}") for n, discount in enumerate(drawn))  # each found again
    catalog = Catalog(price_lists={"L1": listed}, discounts=unique, tax_rates=RATES)
    regime = draw(st.sampled_from(("general", "recargo", "exempt", "intra_eu", "export")))
    customer = Customer("C1", "G1", regime, ("L1",))
    category = draw(st.sampled_from(("general", "reduced", "super_reduced", "exempt")))
    return catalog, customer, Variant("S1", draw(money), "F1", category), draw(quantities), draw(days)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(cases())
def test_the_net_is_never_negative_and_the_total_adds_up_to_the_cent(case: Case) -> None:
    line = quote(*case)
    assert line.net_unit >= 0 and line.net >= 0
    assert line.total == line.net + line.vat + line.recargo
    assert all(amount == amount.quantize(Decimal("0.01")) for amount in (line.net, line.vat, line.recargo, line.total))
    if case[1].regime != "recargo":
        assert line.recargo == 0


@settings(max_examples=300, deadline=None, derandomize=True)
@given(cases())
def test_discounts_apply_in_the_stated_order_each_on_what_the_previous_left(case: Case) -> None:
    catalog, _, _, _, day = case
    line = quote(*case)
    order = [(d.sequence, SCOPES.index(d.scope)) for d in catalog.discounts if d.valid_on(day)]
    by_source = {d.source: d for d in catalog.discounts}
    applied = [by_source[a.source] for a in line.discounts]
    assert [(d.sequence, SCOPES.index(d.scope)) for d in applied] == sorted(order)
    assert line.net_unit == line.price - sum((a.off for a in line.discounts), Decimal(0))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(cases())
def test_a_price_list_outside_its_dates_is_never_used_and_the_largest_break_reached_sets_the_price(
    case: Case,
) -> None:
    catalog, _, variant, quantity, day = case
    line = quote(*case)
    listed = catalog.price_lists["L1"]
    reached = [b for b in listed.prices["S1"] if b.min_quantity <= quantity]
    if not listed.valid_on(day) or not reached:
        assert (line.price_list, line.price) == (None, variant.list_price)
    else:
        assert (line.price_list, line.price) == ("L1", max(reached, key=lambda b: b.min_quantity).price)


def test_a_cart_of_five_hundred_lines_is_the_sum_of_its_lines() -> None:
    catalog = Catalog(tax_rates=RATES)
    variants = [Variant(f"S{n}", Decimal(n % 97) + Decimal("0.33"), vat_category="reduced") for n in range(500)]
    cart = quote_cart(catalog, Customer("C1", regime="recargo"), [(v, Decimal(3)) for v in variants], DAY)
    assert len(cart.lines) == 500
    assert cart.total == cart.net + cart.vat + cart.recargo == sum(line.total for line in cart.lines)
