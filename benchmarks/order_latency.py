"""Orders out in seconds: from an order's placement to its arrival in the ERP, on a real,
Postgres-backed Prefect server with one process worker.

    .venv/bin/python benchmarks/order_latency.py                      # 30 orders, 3 tenants, ~5 min
    .venv/bin/python benchmarks/order_latency.py --orders 10 --poll 10  # with Prefect's default polls

Set up as the README's Production section (`erp-sync server init`, `erp-sync deploy`, one
`prefect worker start --pool erp-sync --limit 4`), with the dispatcher paused: every export is
started by the `erp-sync.order.placed` event that `erp-sync order add` emits (the export-orders
deployment's trigger). Orders are placed one at a time by the command, a few seconds apart,
round-robin over the tenants, each into a CSV drop folder; the time of each is its row's
``placed_at`` (when the shop committed it) to its ``exported_at`` (when the ERP had it). Writes
benchmarks/results/orders.{md,json}.
"""

from __future__ import annotations

import os

os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from measure import PG_SERVER, shop_session
from prefect import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
from prefect.settings import PREFECT_API_URL, temporary_settings
from scale import DISPATCHER, erp_sync
from sqlalchemy import create_engine, func, select

from devkit.loopback import LocalServer, prefect_server, process_worker
from devkit.samples import product_rows
from services.tenants import add_tenant
from shop import migrate
from shop.models import Order

RESULTS = Path(__file__).with_name("results")
EXPORTS = DeploymentFilter(name=DeploymentFilterName(any_=["export-orders"]))


def add_tenants(shop_url: str, count: int, root: Path) -> list[str]:
    """Tenants whose orders go to a CSV drop folder each, straight into the shop DB."""
    slugs = [f"shop-{n:02d}" for n in range(count)]
    with shop_session(shop_url) as session:
        for slug in slugs:
            (root / slug).mkdir(parents=True)
            add_tenant(
                session, slug, "business", erp_kind="csv_files", erp_options={"path": str(root / slug)}, entities=[]
            )
    return slugs


def place(server: LocalServer, slug: str, number: str, root: Path) -> None:
    line = {"sku": product_rows(1)[0][0], "quantity": 1, "unit_price": "19.90"}
    path = root / f"{number}.json"
    path.write_text(json.dumps({"number": number, "customer_code": "C0001", "lines": [line]}))
    erp_sync(server, "order", "add", slug, "--from-json", str(path))


def latencies(shop_url: str, expected: int, timeout: float) -> list[float]:
    """Seconds from placed to exported of every order, once all of them are exported."""
    engine = create_engine(shop_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                sent = connection.scalar(select(func.count()).where(Order.exported_at.is_not(None)))
                if sent == expected:
                    rows = connection.execute(select(Order.placed_at, Order.exported_at)).all()
                    return sorted((exported - placed).total_seconds() for placed, exported in rows)
            time.sleep(0.5)
    finally:
        engine.dispose()
    raise SystemExit(f"not every order was exported within {timeout:.0f} s")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def measure(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    settings = {"PREFECT_WORKER_QUERY_SECONDS": str(args.poll), "PREFECT_WORKER_PREFETCH_SECONDS": str(args.poll)}
    rng = random.Random(7)
    with migrate.scratch_database(PG_SERVER, "erp_sync_orders") as shop_url:
        slugs = add_tenants(shop_url, args.tenants, root / "drops")
        with prefect_server(PG_SERVER, root, {**settings, "ERP_SYNC_DATABASE_URL": shop_url}) as server:
            erp_sync(server, "server", "init")
            erp_sync(server, "deploy")
            with temporary_settings(updates={PREFECT_API_URL: server.api_url}), get_client(sync_client=True) as client:
                client.pause_deployment(client.read_deployment_by_name(DISPATCHER).id)
                with process_worker(server, 4):
                    place(server, slugs[0], "WARM-UP", root)  # the worker's first run imports everything
                    latencies(shop_url, 1, 120)
                    for n in range(args.orders):
                        place(server, slugs[n % len(slugs)], f"W-{n:04d}", root)
                        time.sleep(rng.uniform(0.5, 1.5) * args.gap)
                    measured = latencies(shop_url, args.orders + 1, 300)[1:] if args.orders else []
                    runs = client.count_flow_runs(deployment_filter=EXPORTS)
    return {
        "orders": args.orders,
        "tenants": args.tenants,
        "gap s": args.gap,
        "worker poll s": args.poll,
        "placed → sent s, median": statistics.median(measured),
        "placed → sent s, p95": p95(measured),
        "placed → sent s, max": max(measured),
        "export runs (warm-up included)": runs,
    }


def report(result: dict[str, Any]) -> str:
    rows = "\n".join(f"| {name} | {value:.1f} |" if isinstance(value, float) else f"| {name} | {value} |"
                     for name, value in result.items())  # fmt: skip
    return f"| orders out in seconds | |\n|---|---:|\n{rows}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=30)
    parser.add_argument("--tenants", type=int, default=3)
    parser.add_argument("--gap", type=float, default=6.0, help="mean seconds between two orders")
    parser.add_argument("--poll", type=float, default=2.0, help="the worker's poll interval, seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="erp-sync-orders-") as root:
        result = measure(args, Path(root))
    table = report(result)
    print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "orders.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "orders.md").write_text(table)


if __name__ == "__main__":
    main()
