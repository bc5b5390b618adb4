"""Does a shorter GIL switch interval speed up the import? The pipeline's load thread makes a few
dozen short database round trips per batch while the caller's thread transforms the next page;
after each one it waits for the GIL, by default up to 5 ms. This times the pipeline core's full
import of the same export with Python's default interval and with 0.5 ms, interleaved round by
round so that both see the same machine.

    .venv/bin/python benchmarks/switch_interval.py [--rows 100000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cases import PLAN, new_tenant
from exports import product_export
from measure import bench_database, shop_session

from app.root import process_root
from app.settings import Settings
from devkit.samples import product_rows
from pipeline.imports import import_entity
from pipeline.load import LoadTarget
from records.plans import PlanTerms
from services.tenants import get_tenant, save_plan

INTERVALS = {"default (5 ms)": sys.getswitchinterval(), "0.5 ms": 0.0005}


def full_import(url: str, folder: Path, batch_size: int) -> float:
    root = process_root(Settings(database_url=url))
    slug = new_tenant(url, folder)
    with root.sessions() as session:
        tenant_id = get_tenant(session, slug).id
    target = LoadTarget(root.sessions, tenant_id, slug, f"switch-{slug}", root.settings.lease_seconds)
    start = time.perf_counter()
    outcome = import_entity(target, "products", batch_size)
    seconds = time.perf_counter() - start
    if outcome.totals.written != outcome.totals.fetched:
        raise SystemExit(f"{slug}: wrote {outcome.totals.written:,} of {outcome.totals.fetched:,}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="erp-sync-switch-"))
    product_export(folder, product_rows(args.rows))
    seconds: dict[str, list[float]] = {name: [] for name in INTERVALS}
    with bench_database() as url:
        with shop_session(url) as session:  # no Prefect here: the core alone is timed
            save_plan(session, PlanTerms(PLAN, 1_000_000_000))
        full_import(url, folder, Settings().batch_size)  # warm-up: caches, plans, first connections
        for _ in range(args.rounds):
            for name, interval in INTERVALS.items():
                sys.setswitchinterval(interval)
                try:
                    seconds[name].append(full_import(url, folder, Settings().batch_size))
                finally:
                    sys.setswitchinterval(INTERVALS["default (5 ms)"])
    base = min(seconds["default (5 ms)"])
    print("| switch interval | rows | min s | median s | × default |\n|---|---:|---:|---:|---:|")
    for name, values in seconds.items():
        best, median = min(values), statistics.median(values)
        print(f"| {name} | {args.rows:,} | {best:.2f} | {median:.2f} | {best / base:.2f} |")


if __name__ == "__main__":
    main()
