"""Sample ERP exports for the demo and the benchmarks: what a Spanish on-premise ERP drops —
`;`-separated Latin-1 CSV with decimal commas — including a few rows no shop should accept."""

from __future__ import annotations

import csv
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
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    rows = product_rows(count) + (BAD_ROWS if bad_rows else [])
    with path.open("w", encoding="latin-1", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path
