"""Sample ERP exports for the demo and the benchmarks: what a Spanish on-premise ERP drops —
`;`-separated Latin-1 CSV with decimal commas — including a few rows no shop should accept."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

MODELS = [
    ("CAM", "Camiseta algodón"),
    ("POL", "Polo piqué"),
    ("PAN", "Pantalón chino"),
    ("VAQ", "Vaquero slim"),
    ("CHA", "Chaqueta acolchada"),
    ("SUD", "Sudadera capucha"),
    ("VES", "Vestido lino"),
    ("FAL", "Falda midi"),
    ("ZAP", "Zapatillas lona"),
    ("BOT", "Botín piel"),
]
COLOURS = ["Rojo", "Azul marino", "Negro", "Blanco", "Verde oliva", "Gris", "Beige", "Mostaza"]
SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
HEADER = ["Referencia", "Nombre", "PVP", "Modelo", "Nombre modelo", "EAN13", "Color", "Talla"]


def ean13(number: int) -> str:
    digits = f"84{number:010d}"  # 84: GS1 Spain
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return digits + str(check)


def product_rows(count: int, seed: int = 7) -> list[list[str]]:
    """``count`` variants, deterministic for a seed: the first N of a bigger export are the same
    rows as a smaller export, so an export that grows only adds records."""
    rng = random.Random(seed)
    rows: list[list[str]] = []
    template = 0
    while len(rows) < count:
        template += 1
        prefix, name = MODELS[template % len(MODELS)]
        code = f"{prefix}-{template:04d}"
        price = rng.choice([9.95, 12.5, 19.9, 24.95, 29.9, 39.0, 49.95, 59.9, 79.0, 1249.5])
        for colour in rng.sample(COLOURS, 3):
            for size in SIZES[1:5]:
                if len(rows) == count:
                    break
                sku = f"{code}-{colour[:3].upper()}-{size}"
                rows.append(
                    [
                        sku,
                        f"{name} {colour.lower()} {size}",
                        f"{price:.2f}".replace(".", ","),
                        code,
                        f"{name} {code}",
                        ean13(template * 1000 + len(rows)),
                        colour,
                        size,
                    ]
                )
    return rows


BAD_ROWS = [
    ["", "Camiseta sin referencia", "9,95", "", "", "", "", ""],
    ["ERR-0001", "Pantalón con precio roto", "diecinueve", "", "", "", "", ""],
    ["ERR-0002", "Bolso con precio negativo", "-5,00", "", "", "", "", ""],
    ["ERR-0003", "X" * 300, "10,00", "", "", "", "", ""],
]


def write_products(folder: Path, count: int, *, bad_rows: bool = True, name: str = "products.csv") -> Path:
    return write_rows(folder, name, HEADER, product_rows(count) + (BAD_ROWS if bad_rows else []))


FIRST_NAMES = ["María", "José", "Carmen", "Antonio", "Lucía", "Javier", "Elena", "Manuel", "Laura", "David"]
SURNAMES = ["García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Ruiz"]
TRADES = ["Moda", "Boutique", "Calzados", "Textil", "Complementos", "Distribuciones"]
PLACES = [
    ("Madrid", "Madrid", "28"),
    ("Barcelona", "Barcelona", "08"),
    ("Valencia", "Valencia", "46"),
    ("Sevilla", "Sevilla", "41"),
    ("Zaragoza", "Zaragoza", "50"),
    ("Málaga", "Málaga", "29"),
    ("Bilbao", "Bizkaia", "48"),
    ("A Coruña", "A Coruña", "15"),
]
CUSTOMER_HEADER = [
    "Código cliente",
    "NIF",
    "Razón social",
    "Email",
    "Teléfono",
    "Dirección",
    "Población",
    "Provincia",
    "CP",
    "País",
]
CONTACT_HEADER = ["Código contacto", "Código cliente", "Nombre", "Email", "Teléfono"]


def cif_for(number: int) -> str:
    """A valid CIF of a limited company (B…) for a 7-digit number (sample data)."""
    digits = f"{number:07d}"
    total = sum(int(d) for d in digits[1::2]) + sum(sum(divmod(int(d) * 2, 10)) for d in digits[0::2])
    return f"B{digits}{(10 - total % 10) % 10}"


def customer_rows(count: int, seed: int = 11) -> list[list[str]]:
    from domain.tax_ids import nif_for

    rng = random.Random(seed)
    rows = []
    for n in range(1, count + 1):
        city, province, prefix = PLACES[n % len(PLACES)]
        # Two in three are companies, the rest self-employed. The numbers wrap before they outgrow
        # a CIF's 7 digits or a NIF's 8: a big export has valid tax ids to its last row.
        if n % 3:
            name, tax_id = f"{rng.choice(TRADES)} {rng.choice(SURNAMES)} S.L.", cif_for(1_000_000 + n * 37 % 9_000_000)
        else:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
            tax_id = nif_for(10_000_000 + n * 7919 % 90_000_000)
        rows.append(
            [
                f"C{n:05d}",
                tax_id,
                name,
                f"pedidos{n}@cliente{n}.es",
                f"+34 6{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
                f"Calle {rng.choice(SURNAMES)} {rng.randint(1, 120)}",
                city,
                province,
                f"{prefix}{rng.randint(1, 999):03d}",
                "ES",
            ]
        )
    return rows


def contact_rows(customers: int, seed: int = 13) -> list[list[str]]:
    """One contact per customer, as in the pricing page's example."""
    rng = random.Random(seed)
    return [
        [
            f"K{n:05d}",
            f"C{n:05d}",
            f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
            f"contacto{n}@cliente{n}.es",
            f"+34 9{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
        ]
        for n in range(1, customers + 1)
    ]


BAD_CUSTOMERS = [
    [
        "C99001",
        "12345678A",
        "NIF con letra equivocada S.L.",
        "ok@cliente.es",
        "",
        "",
        "Madrid",
        "Madrid",
        "28001",
        "ES",
    ],
    ["C99002", "", "Correo roto S.A.", "no-es-un-correo", "", "", "Sevilla", "Sevilla", "41001", "ES"],
]
BAD_CONTACTS = [["K99001", "C77777", "Contacto de un cliente que no existe", "x@y.es", ""]]


def write_rows(folder: Path, name: str, header: list[str], rows: list[list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with path.open("w", encoding="latin-1", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_customers(folder: Path, count: int, *, bad_rows: bool = True) -> tuple[Path, Path]:
    """customers.csv and contacts.csv: ``count`` of each, plus a few rows no shop should accept."""
    return (
        write_rows(
            folder, "customers.csv", CUSTOMER_HEADER, customer_rows(count) + (BAD_CUSTOMERS if bad_rows else [])
        ),
        write_rows(folder, "contacts.csv", CONTACT_HEADER, contact_rows(count) + (BAD_CONTACTS if bad_rows else [])),
    )


STOCK_HEADER = ["Referencia", "Almacén", "Existencias"]
WAREHOUSES = ["MAD", "BCN"]
BAD_STOCK = [["CAM-9999-ROJ-M", "MAD", "5"], ["POL-0001-NEG-S", "BCN", "-3"]]
REPS_HEADER = ["Código comercial", "Nombre", "Email"]


def stock_rows(variants: int, seed: int = 17) -> list[list[str]]:
    """A level per variant and warehouse, for the first ``variants`` of ``product_rows``."""
    rng = random.Random(seed)
    return [[row[0], warehouse, str(rng.randint(0, 40))] for row in product_rows(variants) for warehouse in WAREHOUSES]


def write_stock(folder: Path, variants: int, *, bad_rows: bool = True) -> Path:
    """stock.csv: the levels plus a row for an unknown SKU and a negative level."""
    return write_rows(folder, "stock.csv", STOCK_HEADER, stock_rows(variants) + (BAD_STOCK if bad_rows else []))


def write_sales_reps(folder: Path, count: int) -> Path:
    rng = random.Random(19)
    rows = [
        [f"R{n:03d}", f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}", f"comercial{n}@tienda.es"]
        for n in range(1, count + 1)
    ]
    return write_rows(folder, "sales_reps.csv", REPS_HEADER, rows)


ADMIN_HEADER = ["Usuario", "Nombre"]


def write_admin_users(folder: Path, emails: list[str]) -> Path:
    """admin_users.csv: the ERP's users who also manage the shop."""
    rng = random.Random(23)
    rows = [[email, f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"] for email in emails]
    return write_rows(folder, "admin_users.csv", ADMIN_HEADER, rows)


DOCUMENT_HEADER = ["Número", "Fecha", "Código cliente", "Pedido", "Línea", "Referencia", "Descripción", "Cantidad"]
PRICED_HEADER = [*DOCUMENT_HEADER, "Precio", "Total"]
VAT = 1.21  # invoices and orders carry their total with IVA


def _spanish(amount: float) -> str:
    return f"{amount:.2f}".replace(".", ",")


def document_rows(prefix: str, count: int, customers: int, variants: int, seed: int) -> list[list[str]]:
    """``count`` documents for the first ``customers`` customers, 1–4 lines each over the first
    ``variants`` products, one row per line with the document's fields repeated (as ERPs export
    them). Prices and totals come last; callers drop the columns their document lacks."""
    rng = random.Random(seed)
    catalogue = product_rows(variants)
    rows = []
    for n in range(1, count + 1):
        number, customer = f"{prefix}26-{n:06d}", f"C{rng.randint(1, customers):05d}"
        issued = f"{rng.randint(1, 24):02d}/11/2026"
        order = f"PW-{10_000 + n}" if n % 2 else ""
        lines = rng.sample(catalogue, rng.randint(1, 4))
        quantities = [rng.randint(1, 6) for _ in lines]
        total = sum(q * float(line[2].replace(",", ".")) for q, line in zip(quantities, lines, strict=True)) * VAT
        for line_no, (line, quantity) in enumerate(zip(lines, quantities, strict=True), start=1):
            document = [number, issued, customer, order, str(line_no)]
            rows.append([*document, line[0], line[1], str(quantity), line[2], _spanish(total)])
    return rows


def write_invoices(folder: Path, count: int, customers: int, variants: int, *, bad_rows: bool = True) -> Path:
    """invoices.csv, one row per line; bad ones: an unknown customer, an impossible date, a
    quantity in words (each sends its whole invoice to quarantine)."""
    rows = document_rows("FV", count, customers, variants, seed=29)
    bad = [
        ["FV26-900001", "03/11/2026", "C77777", "", "1", "CAM-0001-ROJ-M", "Camiseta", "1", "9,95", "12,04"],
        ["FV26-900002", "31/02/2026", "C00001", "", "1", "CAM-0001-ROJ-M", "Camiseta", "1", "9,95", "12,04"],
        ["FV26-900003", "04/11/2026", "C00001", "", "1", "CAM-0001-ROJ-M", "Camiseta", "1", "9,95", "36,12"],
        ["FV26-900003", "04/11/2026", "C00001", "", "2", "POL-0002-AZU-S", "Polo", "dos", "12,50", "36,12"],
    ]
    return write_rows(folder, "invoices.csv", PRICED_HEADER, rows + (bad if bad_rows else []))


def write_delivery_notes(folder: Path, count: int, customers: int, variants: int) -> Path:
    """delivery_notes.csv (albaranes): no prices, so the shop's total is the lines' sum (zero)."""
    rows = [row[:-2] for row in document_rows("AL", count, customers, variants, seed=31)]
    return write_rows(folder, "delivery_notes.csv", DOCUMENT_HEADER, rows)


PENDING_STATES = ["Pendiente", "En preparación", "Pendiente de stock"]


def write_pending_orders(folder: Path, count: int, customers: int, variants: int, *, bad_rows: bool = True) -> Path:
    """pending_orders.csv: orders open in the ERP with their state; a bad one has none."""
    rng = random.Random(37)
    rows: list[list[str]] = []
    states: dict[str, str] = {}
    for row in document_rows("PV", count, customers, variants, seed=37):
        state = states.setdefault(row[0], rng.choice(PENDING_STATES))
        rows.append([*row, state])
    bad = [["PV26-900001", "05/11/2026", "C00002", "", "1", "CAM-0001-ROJ-M", "Camiseta", "2", "9,95", "24,08", ""]]
    header = [("Pedido web" if column == "Pedido" else column) for column in PRICED_HEADER]  # "Pedido" is the ERP's
    return write_rows(folder, "pending_orders.csv", [*header, "Estado"], rows + (bad if bad_rows else []))


def write_documents(
    folder: Path, invoices: int, delivery_notes: int, pending_orders: int, *, customers: int, variants: int
) -> tuple[Path, Path, Path]:
    """The three document exports over the same first ``customers`` customers and ``variants``
    products, so that every line refers to records the other exports hold; invoices and pending
    orders with their bad rows."""
    return (
        write_invoices(folder, invoices, customers, variants),
        write_delivery_notes(folder, delivery_notes, customers, variants),
        write_pending_orders(folder, pending_orders, customers, variants),
    )


# The demo's ERP names its exports in Spanish; the connection file says which file is which.
ERP_FILE_NAMES = {
    "products.csv": "ARTICULOS.CSV",
    "stock.csv": "existencias.csv",
    "sales_reps.csv": "comerciales.csv",
    "admin_users.csv": "usuarios.csv",
    "customers.csv": "clientes.csv",
    "contacts.csv": "contactos.csv",
    "invoices.csv": "facturas.csv",
    "delivery_notes.csv": "albaranes.csv",
    "pending_orders.csv": "pedidos_pendientes.csv",
}


def as_erp_names(folder: Path) -> None:
    """Give the sample exports in ``folder`` the names the demo's ERP uses."""
    for sample, erp_name in ERP_FILE_NAMES.items():
        if (folder / sample).exists():
            (folder / sample).replace(folder / erp_name)


NUMBERS = {"products", "stock", "invoices", "delivery_notes", "pending_orders"}
DATED = {"invoices", "delivery_notes", "pending_orders"}


def erp_connection(folder: Path, groups: list[str]) -> str:
    """The demo tenant's connection file: the ERP's file names, its Spanish numbers and dates
    (its headers are recognised by their usual names, so no column needs mapping)."""
    sections = []
    for sample, erp_name in ERP_FILE_NAMES.items():
        entity = Path(sample).stem
        lines = [f"[{entity}]", f'files = ["{Path(erp_name).stem.lower()}*.csv"]']
        lines += ['decimal = ","', 'thousands = "."'] if entity in NUMBERS else []
        lines += ['date_format = "%d/%m/%Y"'] if entity in DATED else []
        sections.append("\n".join(lines))
    sync = ", ".join(f'"{group}"' for group in groups)
    head = f'adapter = "csv_files"\nsync = [{sync}]\n\n[options]\npath = {json.dumps(str(folder))}'
    return "\n\n".join([head, *sections]) + "\n"
