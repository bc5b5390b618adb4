"""Seed a minimal Tryton database: run as a script, in its own process.

    python tests/tryton/seed_minimal.py CONFIG DATABASE

Only the modules products, customers and stock need are activated (``MINIMAL_MODULES`` in
``server.py``): no product_attribute (variants without attributes), no account and no sale (no
invoices, no sales; one delivery note made by hand). The company's party has no address, as a
company set up through Tryton's wizard often has. Small on purpose: about 5 s of seeding after
15 s of module activation. Values follow ``seed.py`` (codes, EANs, NIFs), whose helpers it imports.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from decimal import Decimal
from typing import Any

from seed import PROVINCES, chunks, ean13, nif  # this script's folder is first on sys.path

TEMPLATES = 40  # two variants each, told apart by their suffix only: 80 variants
CUSTOMERS = 30
EMPLOYEES = 2
COMPANY = "Tienda Mínima SL"


def main(config_file: str, database: str) -> None:
    os.environ["TRYTOND_CONFIG"] = config_file  # picked up when trytond's backend is imported
    from proteus import Model, config

    cfg = config.set_trytond(database, config_file=config_file)
    from trytond.modules.company.tests.tools import create_company, get_company

    def proxy(model: str) -> Any:
        return Model.get(model)._proxy

    def create(model: str, values: list[dict[str, Any]]) -> list[int]:
        return list(proxy(model).create(values, cfg.context))  # the company's, once it exists

    eur = create("currency.currency", [{"name": "Euro", "code": "EUR", "symbol": "€", "rounding": Decimal("0.01"),
                                        "digits": 2}])[0]  # fmt: skip
    company_party = create("party.party", [{"name": COMPANY, "addresses": []}])[0]  # no address at all
    create_company(party=Model.get("party.party")(company_party), currency=Model.get("currency.currency")(eur))
    company = get_company()
    context = cfg.context

    country = create("country.country", [{"name": "Spain", "code": "ES", "code3": "ESP", "code_numeric": "724"}])[0]
    provinces = create(
        "country.subdivision",
        [
            {"country": country, "name": name, "code": f"ES-{name[0]}{i}", "type": "province"}
            for i, name in enumerate(PROVINCES)
        ],
    )
    unit = proxy("product.uom").search([("symbol", "=", "u")], 0, 1, None, context)[0]

    templates = [
        {
            "name": f"Pantalón {index:04d}",
            "code": f"M{index:04d}",
            "type": "goods",
            "default_uom": unit,
            "list_price": Decimal(1990 + 50 * index) / 100,
            "products": [
                (
                    "create",
                    [
                        {
                            "suffix_code": f"-{number}",
                            "identifiers": [("create", [{"type": "ean", "code": ean13(9000 + 2 * index + number)}])],
                        }
                        for number in (1, 2)
                    ],
                )
            ],
        }
        for index in range(TEMPLATES)
    ]
    for batch in chunks(templates):
        create("product.template", list(batch))
    variants = proxy("product.product").search([], 0, None, [("id", "ASC")], context)

    locations = proxy("stock.location")
    warehouses = [locations.search([("type", "=", "warehouse")], 0, 1, None, context)[0]]
    input_, output, storage, lost = (
        create("stock.location", [{"name": f"Sur {name}", "type": kind}])[0]
        for name, kind in (("input", "storage"), ("output", "storage"), ("storage", "storage"), ("lost", "lost_found"))
    )
    warehouses += create(
        "stock.location",
        [
            {
                "name": "Almacén Sur",
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
    read = locations.read(warehouses, ["storage_location", "lost_found_location", "output_location"], context)
    today = dt.date.today()
    moves = [
        {
            "product": product,
            "quantity": float((index * 5 + w) % 12 + 1),
            "unit": unit,
            "from_location": read[w]["lost_found_location"],
            "to_location": read[w]["storage_location"],
            "company": company.id,
            "effective_date": today,
        }
        for index, product in enumerate(variants)
        for w in range(len(warehouses))
        if (index + w) % 4  # every fourth level is empty
    ]
    move_ids = create("stock.move", moves)
    proxy("stock.move").do(move_ids, context)

    parties = [
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
                            "city": PROVINCES[index % len(PROVINCES)],
                            "postal_code": f"{8001 + index:05d}",
                            "country": country,
                            "subdivision": provinces[index % len(PROVINCES)],
                        }
                    ],
                )
            ],
            "contact_mechanisms": [
                (
                    "create",
                    [
                        {"type": "email", "value": f"cliente{index:04d}@example.com"},
                        {"type": "phone", "value": f"+3493{index:07d}"},
                    ],
                ),
            ],
        }
        for index in range(CUSTOMERS)
    ]
    party_ids = create("party.party", parties)
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

    # A delivery note without any sale behind it (no sale module): goods sent to the first customer.
    (customer_location,) = locations.search([("type", "=", "customer")], 0, 1, None, context)
    (buyer,) = proxy("party.party").read(party_ids[:1], ["addresses"], context)
    create(
        "stock.shipment.out",
        [
            {
                "customer": buyer["id"],
                "delivery_address": buyer["addresses"][0],
                "warehouse": warehouses[0],
                "warehouse_storage": read[0]["storage_location"],  # the client's on_change sets these
                "warehouse_output": read[0]["output_location"],
                "reference": "SHOP-M1",
                "company": company.id,
                "outgoing_moves": [
                    (
                        "create",
                        [
                            {
                                "product": variants[0],
                                "quantity": 2.0,
                                "unit": unit,
                                "from_location": read[0]["output_location"],
                                "to_location": customer_location,
                                "unit_price": Decimal("19.90"),
                                "currency": eur,
                                "company": company.id,
                            }
                        ],
                    )
                ],
            }
        ],
    )
    print(f"seeded {len(variants)} variants, {len(party_ids)} customers, {len(moves)} stock moves, 1 shipment")


if __name__ == "__main__":
    main(*sys.argv[1:3])
