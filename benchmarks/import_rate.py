"""Import rate of the real products flow, side by side on Postgres and SQLite, in one run.

For each backend: a full import, a re-sync with nothing changed and a re-sync with 1 % of the
prices changed, each through `import_products` (read, validate, hash, diff, guard, upsert,
usage, cursor). The floor is reading and hashing the same export without any database.

    make bench                        # 100,000 variants
    .venv/bin/python benchmarks/import_rate.py --rows 20000 --rounds 3
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import flow
from sqlalchemy import create_engine, text

from erp_adapters.base import Entity
from erp_adapters.csv_files import CsvFilesAdapter
from erp_adapters.csv_files.samples import HEADER, product_rows
from flows.imports import import_products
from quotas.plans import PlanTerms
from shop import migrate
from shop.db import get_engine, unit_of_work
from shop.products import PRODUCTS
from shop.settings import get_settings
from shop.tenants import add_tenant, save_plan
from tasks.transform import transform_page

PG_SERVER = os.environ.get("ERP_SYNC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
RESULTS = Path(__file__).with_name("results")


def write_export(folder: Path, rows: list[list[str]]) -> None:
    with (folder / "products.csv").open("w", encoding="latin-1", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        writer.writerows(rows)


def timed(action: Callable[[], object], rounds: int) -> float:
    """Median of ``rounds`` runs, in seconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@flow(name="bench-warm-up")
def warm_up() -> None:
    """Starts Prefect's ephemeral API before anything is timed."""


def import_seconds(slug: str) -> float:
    start = time.perf_counter()
    state = import_products(tenant=slug, return_state=True)
    if not state.is_completed():
        raise SystemExit(f"import of {slug} ended {state.name}: {state.message}")
    return time.perf_counter() - start


def read_and_hash(folder: Path, batch: int) -> None:
    for page in CsvFilesAdapter(folder).fetch(Entity.PRODUCTS, None, batch):
        transform_page(page, PRODUCTS)


def run_backend(url: str, rows: list[list[str]], changed: list[list[str]], rounds: int) -> dict[str, float]:
    os.environ["ERP_SYNC_DATABASE_URL"] = url
    get_settings.cache_clear()
    migrate.upgrade(url)
    with unit_of_work(url) as session:
        save_plan(session, PlanTerms("bench", 100_000_000))
    figures: dict[str, float] = {}
    full, same, delta = [], [], []
    for _ in range(rounds):
        slug = f"bench-{uuid.uuid4().hex[:8]}"
        folder = Path(tempfile.mkdtemp(prefix="erp-sync-bench-"))
        with unit_of_work(url) as session:
            add_tenant(session, slug, "bench", erp_kind="csv_files", erp_options={"path": str(folder)}, entities=[])
        write_export(folder, rows)
        full.append(import_seconds(slug))
        os.utime(folder / "products.csv")
        same.append(import_seconds(slug))
        write_export(folder, changed)
        delta.append(import_seconds(slug))
    figures["full import"] = statistics.median(full)
    figures["re-sync, 0 % changed"] = statistics.median(same)
    figures["re-sync, 1 % changed"] = statistics.median(delta)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows = product_rows(args.rows)
    changed = [list(r) for r in rows]
    for row in changed[::100]:  # 1 %: a new price
        row[2] = "999,99"
    batch = get_settings().batch_size
    warm_up()

    floor_dir = Path(tempfile.mkdtemp(prefix="erp-sync-bench-"))
    write_export(floor_dir, rows)
    floor = timed(lambda: read_and_hash(floor_dir, batch), args.rounds)

    pg_name = f"erp_sync_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{pg_name}"'))
    try:
        results = {
            "postgres": run_backend(f"{PG_SERVER}/{pg_name}", rows, changed, args.rounds),
            "sqlite": run_backend(f"sqlite:///{tempfile.mkdtemp()}/bench.db", rows, changed, args.rounds),
        }
    finally:
        get_engine(f"{PG_SERVER}/{pg_name}").dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))

    lines = [
        f"Products import through the real flow: {args.rows:,} variants, batches of {batch:,}, "
        f"median of {args.rounds} rounds; {platform.processor() or platform.machine()}, {os.cpu_count()} cores.",
        "",
        "| case | backend | seconds | rows/s | × read+hash floor |",
        "|---|---|---:|---:|---:|",
        f"| read + validate + hash only (no DB) | — | {floor:.2f} | {args.rows / floor:,.0f} | 1.0 |",
    ]
    for backend, figures in results.items():
        for case, seconds in figures.items():
            lines.append(f"| {case} | {backend} | {seconds:.2f} | {args.rows / seconds:,.0f} | {seconds / floor:.1f} |")
    table = "\n".join(lines)
    print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "import_rate.md").write_text(table + "\n")
    (RESULTS / "import_rate.json").write_text(
        json.dumps({"rows": args.rows, "rounds": args.rounds, "floor_seconds": floor, "results": results}, indent=2)
    )


if __name__ == "__main__":
    main()
