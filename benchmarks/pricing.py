"""The price engine's speed: quotes per second for single lines, and a 500-line cart.

    .venv/bin/python benchmarks/pricing.py

Each line goes through a price list with three quantity breaks, three discounts (family, customer,
group) and recargo de equivalencia, as domain/pricing.py describes. Prints a table; nothing is
asserted.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

from domain.pricing import Break, Catalog, Customer, Discount, PriceList, TaxRate, Variant, quote, quote_cart

DAY = dt.date(2026, 12, 8)
SKUS = 500


def catalog() -> tuple[Catalog, Customer, list[Variant]]:
    variants = [Variant(f"S{n:04d}", Decimal(n % 90) + Decimal("9.95"), family=f"F{n % 7}") for n in range(SKUS)]
    breaks = {v.sku: (Break(Decimal(1), v.list_price), Break(Decimal(6), v.list_price * Decimal("0.95")),
                      Break(Decimal(12), v.list_price * Decimal("0.9"))) for v in variants}  # fmt: skip
    discounts = (
        Discount(source="FAM", scope="family", target="F3", percent=Decimal(10)),
        Discount(source="CLI", scope="customer", target="C1", percent=Decimal(2), sequence=1),
        Discount(source="GRP", scope="group", target="G1", amount=Decimal("0.50"), sequence=2),
    )
    rates = (TaxRate(category="general", vat=Decimal(21), recargo=Decimal("5.2")),)
    lists = {"L1": PriceList(code="L1", prices=breaks)}
    return Catalog(lists, discounts, rates), Customer("C1", "G1", "recargo", ("L1",)), variants


def main() -> None:
    prices, customer, variants = catalog()
    rounds = 20
    start = time.perf_counter()
    for _ in range(rounds):
        for variant in variants:
            quote(prices, customer, variant, Decimal(12), DAY)
    per_quote = (time.perf_counter() - start) / (rounds * len(variants))
    start = time.perf_counter()
    for _ in range(rounds):
        quote_cart(prices, customer, [(v, Decimal(12)) for v in variants], DAY)
    per_cart = (time.perf_counter() - start) / rounds
    print("| price engine | figure |\n|---|---:|")
    print(f"| quotes per second, one line each | {1 / per_quote:,.0f} |")
    print(f"| a 500-line cart, ms | {1000 * per_cart:.1f} |")


if __name__ == "__main__":
    main()
