"""Seed a Tryton database for the adapter's tests: run as a script, in its own process.

    python tests/tryton/seed.py CONFIG DATABASE

The database must exist with the modules activated (``trytond-admin``). Records are created in
bulk through the model proxies of proteus' direct mode (one call per batch, no HTTP); the
object API would cost a round trip per field. SQLite refuses large nested creates, hence the
batches of ``BATCH`` templates.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

TEMPLATES = 1000  # even ones have three colours, odd ones two sizes: 2,500 variants
CUSTOMERS = 500
EMPLOYEES = 4
USERS = 3
SALES = 5
BATCH = 20
COLOURS = ("red", "blue", "green")
SIZES = ("S", "M")
PROVINCES = ("Barcelona", "Madrid", "Valencia")
NIF_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def variant_specs(index: int) -> list[dict[str, str]]:
    if index % 2 == 0:
        return [{"color": colour} for colour in COLOURS]
    return [{"size": size} for size in SIZES]


def ean13(number: int) -> str:
    digits = f"84{number:010d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def nif(number: int) -> str:
    body = f"{10_000_000 + number:08d}"
    return body + NIF_LETTERS[int(body) % 23]


def chunks(items: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def main(config_file: str, database: str) -> None:
    os.environ["TRYTOND_CONFIG"] = config_file  # picked up when trytond's backend is imported
    from proteus import Model, config

    cfg = config.set_trytond(database, config_file=config_file)
    from trytond.modules.account.tests.tools import create_chart, create_fiscalyear, get_accounts
    from trytond.modules.account_invoice.tests.tools import create_payment_term, set_fiscalyear_invoice_sequences
    from trytond.modules.company.tests.tools import create_company, get_company

    Currency = Model.get("currency.currency")
    eur = Currency(name="Euro", code="EUR", symbol="€", rounding=Decimal("0.01"), digits=2)
    eur.save()
    Party = Model.get("party.party")
    company_party = Party(name="Tienda Demo SL")
    company_party.save()
    create_company(party=company_party, currency=eur)
    company = get_company()
    fiscalyear = set_fiscalyear_invoice_sequences(create_fiscalyear(company))
    fiscalyear.click("create_period")
    create_chart(company)
    accounts = get_accounts(company)
    payment_term = create_payment_term()
    payment_term.save()
    context = cfg.context

    def proxy(model: str) -> Any:
        return Model.get(model)._proxy

    def create(model: str, values: list[dict[str, Any]]) -> list[int]:
        return list(proxy(model).create(values, context))

    country = create("country.country", [{"name": "Spain", "code": "ES", "code3": "ESP", "code_numeric": "724"}])[0]
    provinces = create(
        "country.subdivision",
        [
            {"country": country, "name": name, "code": f"ES-{name[0]}{i}", "type": "province"}
            for i, name in enumerate(PROVINCES)
        ],
    )
    unit = proxy("product.uom").search([("symbol", "=", "u")], 0, 1, None, context)[0]
    category = create(
        "product.category",
        [
            {
                "name": "Ropa",
                "accounting": True,
                "account_revenue": accounts["revenue"].id,
                "account_expense": accounts["expense"].id,
            }
        ],
    )[0]
    attributes = create(
        "product.attribute",
        [
            {
                "name": "color",
                "string": "Colour",
                "type_": "selection",
                "selection": "\n".join(f"{c}:{c}" for c in COLOURS),
            },
            {"name": "size", "string": "Size", "type_": "selection", "selection": "\n".join(f"{s}:{s}" for s in SIZES)},
        ],
    )
    attribute_set = create("product.attribute.set", [{"name": "Ropa", "attributes": [("add", attributes)]}])[0]

    templates = []
    ean = 0
    for index in range(TEMPLATES):
        products = []
        for number, attrs in enumerate(variant_specs(index)):
            ean += 1
            products.append(
                {
                    "suffix_code": f"-{number + 1}",
                    "attributes": attrs,
                    "identifiers": [("create", [{"type": "ean", "code": ean13(ean)}])],
                }
            )
        templates.append(
            {
                "name": f"Camiseta {index:04d}",
                "code": f"T{index:04d}",
                "type": "goods",
                "default_uom": unit,
                "salable": True,
                "sale_uom": unit,
                "list_price": Decimal(995 + 37 * index) / 100,
                "account_category": category,
                "attribute_set": attribute_set,
                "products": [("create", products)],
            }
        )
    for batch in chunks(templates):
        create("product.template", list(batch))
    variants = proxy("product.product").search([], 0, None, [("id", "ASC")], context)

    warehouses = [proxy("stock.location").search([("type", "=", "warehouse")], 0, 1, None, context)[0]]
    locations = proxy("stock.location")
    input_, output, storage, lost = (
        create("stock.location", [{"name": f"Norte {name}", "type": kind}])[0]
        for name, kind in (("input", "storage"), ("output", "storage"), ("storage", "storage"), ("lost", "lost_found"))
    )
    warehouses += create(
        "stock.location",
        [
            {
                "name": "Almacén Norte",
                "code": "WH2",
                "type": "warehouse",
                "input_location": input_,
                "output_location": output,
                "storage_location": storage,
                "lost_found_location": lost,
            }
        ],
    )
    locations.write([input_, output, storage], {"parent": warehouses[1]}, context)
    storages = [r["storage_location"] for r in locations.read(warehouses, ["storage_location"], context)]
    found = [r["lost_found_location"] for r in locations.read(warehouses, ["lost_found_location"], context)]
    today = dt.date.today()
    moves = [
        {
            "product": product,
            "quantity": float((index * 7 + w * 3) % 40 + 1),
            "unit": unit,
            "from_location": found[w],
            "to_location": storages[w],
            "company": company.id,
            "effective_date": today,
        }
        for index, product in enumerate(variants)
        for w in range(len(warehouses))
        if (index + w) % 5  # every fifth level is empty
    ]
    move_ids: list[int] = []
    for batch in chunks(moves, 500):
        move_ids += create("stock.move", list(batch))
    proxy("stock.move").do(move_ids, context)

    parties = []
    for index in range(CUSTOMERS):
        province = index % len(PROVINCES)
        parties.append(
            {
                "name": f"Cliente {index:04d} SL",
                "code": f"C{index:04d}",
                "identifiers": [("create", [{"type": "es_vat", "code": nif(index)}])],
                "addresses": [
                    (
                        "create",
                        [
                            {
                                "street": f"Calle Mayor {index + 1}",
                                "city": PROVINCES[province],
                                "postal_code": f"{8001 + index:05d}",
                                "country": country,
                                "subdivision": provinces[province],
                            }
                        ],
                    )
                ],
                "contact_mechanisms": [
                    (
                        "create",
                        [
                            {
                                "type": "email",
                                "value": f"cliente{index:04d}@example.com",
                                "name": f"Compras {index:04d}",
                            },
                            {"type": "phone", "value": f"+3493{index:07d}"},
                        ],
                    )
                ],
            }
        )
    party_ids: list[int] = []
    for batch in chunks(parties, 100):
        party_ids += create("party.party", list(batch))

    staff = create(
        "party.party",
        [
            {
                "name": f"Comercial {index}",
                "code": f"E{index:02d}",
                "contact_mechanisms": [("create", [{"type": "email", "value": f"comercial{index}@tienda.example"}])],
            }
            for index in range(EMPLOYEES)
        ],
    )
    create("company.employee", [{"party": party, "company": company.id} for party in staff])
    create(
        "res.user",
        [
            {"name": f"Backoffice {index}", "login": f"office{index}", "email": f"office{index}@tienda.example"}
            for index in range(USERS)
        ],
    )

    buyers = proxy("party.party").read(party_ids[: SALES + 2], ["addresses"], context)
    sales = [
        {
            "party": buyers[index]["id"],
            "invoice_address": buyers[index]["addresses"][0],
            "shipment_address": buyers[index]["addresses"][0],
            "reference": f"WEB-{index:04d}",
            "warehouse": warehouses[0],
            "payment_term": payment_term.id,
            "lines": [
                (
                    "create",
                    [
                        {
                            "type": "line",
                            "product": variants[index * 3 + n],
                            "quantity": float(n + 1),
                            "unit": unit,
                            "unit_price": Decimal("9.95") + n,
                        }
                        for n in range(2)
                    ],
                )
            ],
        }
        for index in range(SALES + 2)
    ]
    sale_ids = create("sale.sale", sales)
    confirmed = sale_ids[:SALES]
    proxy("sale.sale").quote(sale_ids, context)
    proxy("sale.sale").confirm(confirmed, context)
    proxy("sale.sale").process(confirmed, context)
    invoices = proxy("account.invoice").search([("type", "=", "out")], 0, 1, [("id", "ASC")], context)
    proxy("account.invoice").write(invoices, {"invoice_date": today}, context)
    proxy("account.invoice").post(invoices, context)
    print(
        f"seeded {len(variants)} variants, {len(party_ids)} customers, {len(moves)} stock moves, {len(sale_ids)} sales"
    )


if __name__ == "__main__":
    main(*sys.argv[1:3])
