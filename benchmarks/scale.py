"""The scale simulation: 1,000 tenants of mixed sizes, dispatched by the real dispatcher
on one process worker of a real, Postgres-backed Prefect server.

    make bench-scale                                                   # 1,000 tenants, ~15 min
    .venv/bin/python benchmarks/scale.py --tenants 60 --window 60      # a quick look

Set up as the README's Production section: `erp-sync server init` (the work pool and a `tenant:`
limit per tenant), `erp-sync deploy`, and one `prefect worker start --pool erp-sync --limit 4` with
Prefect's default 10 s polls. The dispatcher runs as in production, through its deployment on that
worker (its schedules are paused, so only the runs started here are measured).

Every tenant is new, so its first sync is a full import of its products. One worker cannot import
1,000 tenants in the bounded window: throughput is measured over the window that follows the
dispatch (runs that ended in it, their times read back from the Prefect API), and the full pass is
extrapolated from it. A second dispatch, with every tenant synced or in flight, then measures the
dispatcher when nothing is due. Writes benchmarks/results/scale.{md,json}.
"""

from __future__ import annotations

import os

os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")  # flow runs still log to the API

import argparse
import datetime as dt
import json
import random
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from exports import product_export
from measure import PG_SERVER, shop_session, use_database
from prefect import get_client
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.deployments import run_deployment
from prefect.logging.handlers import APILogWorker
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import func, select

from devkit.loopback import BIN, LocalServer, prefect_server, process_worker
from devkit.samples import product_rows
from flows.dispatch import dispatch_due_tenants
from services.tenants import add_tenant
from shop import migrate
from shop.models import ProductVariant, Tenant

RESULTS = Path(__file__).with_name("results")
DISPATCHER = "dispatch-due-tenants/dispatch-due-tenants"
SYNCS = DeploymentFilter(name=DeploymentFilterName(any_=["sync-tenant"]))


@dataclass(frozen=True)
class Size:
    name: str
    variants: int
    plan: str  # the smallest default plan whose credits hold the tenant's full import
    share: float


# 4,000 and 40,000 rather than 5,000 and 50,000: a default plan then holds the import with 20 % to spare.
SIZES = (
    Size("small", 200, "starter", 0.80),
    Size("medium", 4_000, "business", 0.18),
    Size("large", 40_000, "corporate", 0.02),
)


@dataclass(frozen=True)
class Run:
    """One sync-tenant run's times, from its states on the server."""

    tenant: str
    size: str
    state: str
    scheduled: dt.datetime | None  # created by the dispatcher, to run at once
    pending: dt.datetime  # the worker took it and starts its process
    running: dt.datetime | None  # the flow engine runs in that process
    end: dt.datetime | None


def tenant_sizes(count: int) -> dict[str, Size]:
    """``count`` tenant slugs and their sizes in SIZES' shares, shuffled (the same way every time)
    so that the dispatcher, which goes through the tenants by slug, queues a mix."""
    sizes = [size for size in SIZES[1:] for _ in range(round(count * size.share))]
    sizes += [SIZES[0]] * (count - len(sizes))
    random.Random(9).shuffle(sizes)
    return {f"scale-{n:04d}": size for n, size in enumerate(sizes, start=1)}


def add_tenants(shop_url: str, tenants: dict[str, Size], root: Path) -> None:
    """The tenants, straight into the shop DB (`tenant add` is a process each); the tenants of a
    size share one export folder."""
    rows = product_rows(max(size.variants for size in SIZES))
    drops = {size.name: product_export(root / size.name, rows[: size.variants]).parent for size in SIZES}
    with shop_session(shop_url) as session:
        for slug, size in tenants.items():
            options = {"path": str(drops[size.name])}
            add_tenant(session, slug, size.plan, erp_kind="csv_files", erp_options=options, entities=["products"])


def erp_sync(server: LocalServer, *args: str) -> float:
    """Seconds the `erp-sync` command took."""
    start = time.perf_counter()
    result = subprocess.run([BIN / "erp-sync", *args], env=server.env, capture_output=True, text=True, check=False)
    if result.returncode:
        raise SystemExit(f"erp-sync {' '.join(args)} → {result.returncode}\n{result.stderr}")
    return time.perf_counter() - start


def wait_final(client: SyncPrefectClient, run_id: UUID, timeout: float = 900) -> FlowRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.read_flow_run(run_id)
        if run.state is not None and run.state.is_final():
            return run
        time.sleep(1)
    raise SystemExit(f"flow run {run_id} did not finish within {timeout} s")


def seconds(start: dt.datetime | None, end: dt.datetime | None) -> float:
    return (end - start).total_seconds() if start and end else 0.0


def state_time(client: SyncPrefectClient, run_id: UUID, kind: StateType) -> dt.datetime:
    return next(state.timestamp for state in client.read_flow_run_states(run_id) if state.type == kind)


def read_runs(client: SyncPrefectClient, tenants: dict[str, Size]) -> list[Run]:
    """Every sync-tenant run the worker took."""
    runs: list[FlowRun] = []
    while page := client.read_flow_runs(deployment_filter=SYNCS, limit=200, offset=len(runs)):
        runs.extend(page)
    taken = []
    for run in runs:
        if run.state is None or run.state.type == StateType.SCHEDULED:
            continue
        tenant = str(run.parameters["tenant"])
        pending = state_time(client, run.id, StateType.PENDING)
        end = run.end_time if run.state.is_final() else None
        taken.append(
            Run(
                tenant,
                tenants[tenant].name,
                run.state.name or "",
                run.expected_start_time,
                pending,
                run.start_time,
                end,
            )
        )
    return taken


def stored_variants(shop_url: str) -> dict[str, int]:
    """Variants in the shop DB, by tenant."""
    with shop_session(shop_url) as session:
        counts = select(Tenant.slug, func.count()).join(ProductVariant).group_by(Tenant.slug)
        return dict(session.execute(counts).tuples().all())


def completed(client: SyncPrefectClient) -> int:
    done = FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.COMPLETED]))
    return client.count_flow_runs(deployment_filter=SYNCS, flow_run_filter=FlowRunFilter(state=done))


def dispatch(client: SyncPrefectClient, tenants: int) -> dict[str, Any]:
    """The dispatcher through its deployment, on the worker, as its schedule starts it."""
    triggered = dt.datetime.now(dt.UTC)
    created = run_deployment(DISPATCHER, parameters={"target": "sync-tenant"}, timeout=0)
    assert isinstance(created, FlowRun)  # called outside an event loop
    run = wait_final(client, created.id)
    if run.state is None or not run.state.is_completed():
        raise SystemExit(f"the dispatcher ended {run.state}")
    own = seconds(run.start_time, run.end_time)
    started = client.count_flow_runs(deployment_filter=SYNCS)
    return {
        "trigger → completed s": seconds(triggered, run.end_time),
        "worker start s": seconds(state_time(client, run.id, StateType.PENDING), run.start_time),
        "own run s": own,
        "runs started": started,
        "ms per tenant": 1000 * own / tenants,
        "ended": run.end_time,
    }


def dispatch_again(server: LocalServer, shop_url: str, tenants: int) -> dict[str, Any]:
    """The same flow once more, called in this process (through the deployment it would queue behind
    the tenant runs): every tenant has just been synced or has a run in flight, so nothing is due."""
    use_database(shop_url)
    start = time.perf_counter()
    with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
        started = dispatch_due_tenants(target="sync-tenant")
        own = time.perf_counter() - start
        APILogWorker.drain_all(timeout=30)  # its logs reach the server before it stops
    return {"own run s": own, "runs started": len(started), "ms per tenant": 1000 * own / tenants}


def overlap(start: dt.datetime, end: dt.datetime, window: tuple[dt.datetime, dt.datetime]) -> float:
    return max(0.0, seconds(max(start, window[0]), min(end, window[1])))


def median(values: Iterable[float]) -> float:
    listed = list(values)
    return statistics.median(listed) if listed else 0.0


def p90(values: Iterable[float]) -> float:
    listed = list(values)
    return statistics.quantiles(listed, n=10)[-1] if len(listed) > 1 else median(listed)


def throughput(
    runs: list[Run], tenants: dict[str, Size], window: tuple[dt.datetime, dt.datetime], stored: dict[str, int]
) -> dict[str, Any]:
    """Runs that ended in the window, by size; the worker's slots' busy share of the window; and
    the full pass extrapolated from the mean slot time of each size at the window's parallelism.
    ``stored`` (variants by tenant) checks that every completed run imported its tenant's export."""
    length = seconds(*window)
    ended = [run for run in runs if run.end is not None and window[0] <= run.end <= window[1]]
    done = [run for run in ended if run.state == "Completed"]
    slot_seconds = sum(overlap(run.pending, run.end or window[1], window) for run in runs)
    parallelism = slot_seconds / length
    by_size: dict[str, dict[str, Any]] = {}
    for size in SIZES:
        mine = [run for run in done if run.size == size.name]
        slot = statistics.fmean(seconds(run.pending, run.end) for run in mine) if mine else 0.0
        by_size[size.name] = {
            "variants": size.variants,
            "plan": size.plan,
            "tenants": sum(1 for s in tenants.values() if s == size),
            "completed in window": len(mine),
            "tenants per hour, measured": 3600 * len(mine) / length,
            "worker start s, median": median(seconds(run.pending, run.running) for run in mine),
            "run s, median": median(seconds(run.running, run.end) for run in mine),
            "slot s, mean": slot,
            "tenants per hour if all this size": 3600 * parallelism / slot if slot else None,
        }
    measured = all(row["completed in window"] for row in by_size.values())
    pass_seconds = sum(row["tenants"] * row["slot s, mean"] for row in by_size.values()) / parallelism
    return {
        "window s": length,
        "completed in window": len(done),
        "other final states in window": sorted({run.state for run in ended} - {"Completed"}),
        "not completed in window": len(ended) - len(done),
        "tenants per hour, measured": 3600 * len(done) / length,
        "busy slots, mean": parallelism,
        "queue wait s, median": median(seconds(run.scheduled, run.pending) for run in done),
        "scheduled → running s, median": median(seconds(run.scheduled, run.running) for run in done),
        "worker start s, median": median(seconds(run.pending, run.running) for run in done),
        "worker start s, p90": p90(seconds(run.pending, run.running) for run in done),
        "full pass h, extrapolated": pass_seconds / 3600 if measured else None,
        "completed runs whose tenant lacks variants": sorted(
            run.tenant for run in done if stored.get(run.tenant) != tenants[run.tenant].variants
        ),
        "by size": by_size,
    }


def simulate(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    tenants = tenant_sizes(args.tenants)
    settings = {"PREFECT_WORKER_QUERY_SECONDS": str(args.poll), "PREFECT_WORKER_PREFETCH_SECONDS": str(args.poll)}
    setup: dict[str, float] = {}
    with migrate.scratch_database(PG_SERVER, "erp_sync_scale") as shop_url:
        start = time.perf_counter()
        add_tenants(shop_url, tenants, root / "drops")
        setup["tenants and exports"] = time.perf_counter() - start
        start = time.perf_counter()
        with prefect_server(PG_SERVER, root, {**settings, "ERP_SYNC_DATABASE_URL": shop_url}) as server:
            setup["server start"] = time.perf_counter() - start
            setup[f"`erp-sync server init` ({args.tenants:,} tenant limits)"] = erp_sync(server, "server", "init")
            setup["`erp-sync deploy`"] = erp_sync(server, "deploy")
            with temporary_settings(updates={PREFECT_API_URL: server.api_url}), get_client(sync_client=True) as client:
                client.pause_deployment(client.read_deployment_by_name(DISPATCHER).id)
                with process_worker(server, args.limit):
                    first = dispatch(client, args.tenants)
                    ended = first.pop("ended")
                    window = (ended, ended + dt.timedelta(seconds=args.window))
                    print(f"dispatched {first['runs started']:,} runs in {first['own run s']:.1f} s", flush=True)
                    while (left := seconds(dt.datetime.now(dt.UTC), window[1])) > 0:
                        time.sleep(min(60.0, left))
                        print(f"{completed(client):,} sync-tenant runs completed", flush=True)
                    second = dispatch_again(server, shop_url, args.tenants)
                    runs = read_runs(client, tenants)
        stored = stored_variants(shop_url)
    return {
        "setup s": setup,
        "dispatch": first,
        "dispatch, nothing due": second,
        "worker": throughput(runs, tenants, window, stored),
        "runs": [asdict(run) for run in runs],
    }


def report(args: argparse.Namespace, measured: dict[str, Any], header: str) -> list[str]:
    setup, first, idle, worker = (
        measured["setup s"],
        measured["dispatch"],
        measured["dispatch, nothing due"],
        measured["worker"],
    )
    full_pass = worker["full pass h, extrapolated"]
    lacking = ", ".join(worker["completed runs whose tenant lacks variants"])
    lines = [
        header,
        "",
        "| set-up | s |",
        "|---|---:|",
        *(f"| {name} | {value:.1f} |" for name, value in setup.items()),
        "",
        "| dispatcher (`dispatch-due-tenants`, target sync-tenant) | runs started | own run s | ms per tenant |",
        "|---|---:|---:|---:|",
        f"| through its deployment on the worker, every tenant due | {first['runs started']:,} | "
        f"{first['own run s']:.1f} | {first['ms per tenant']:.0f} |",
        f"| called in this process, nothing due (all synced or in flight) | {idle['runs started']:,} | "
        f"{idle['own run s']:.1f} | {idle['ms per tenant']:.0f} |",
        "",
        f"With every tenant due, {first['ms per tenant'] - idle['ms per tenant']:.0f} ms per tenant more than with "
        "none due: roughly what each `run_deployment` (a deployment read and a flow-run create) costs. "
        f"The first dispatch's run waited {first['worker start s']:.1f} s for its process (Pending → Running) and "
        f"took {first['trigger → completed s']:.1f} s from the trigger to Completed; the worker's other "
        f"{args.limit - 1} slots were already importing the tenants it had started.",
        "",
        "| size | variants | plan | tenants | completed in the window | tenants/h, measured "
        "| worker start s (median) | run s (median) | slot s (mean) | tenants/h if all this size (est.) |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in worker["by size"].items():
        alone = row["tenants per hour if all this size"]
        lines.append(
            f"| {name} | {row['variants']:,} | {row['plan']} | {row['tenants']:,} | {row['completed in window']:,} | "
            f"{row['tenants per hour, measured']:,.0f} | {row['worker start s, median']:.1f} | "
            f"{row['run s, median']:.1f} | {row['slot s, mean']:.1f} | {f'{alone:,.0f}' if alone else '—'} |"
        )
    lines.append(
        f"| all | | | {args.tenants:,} | {worker['completed in window']:,} | "
        f"{worker['tenants per hour, measured']:,.0f} | {worker['worker start s, median']:.1f} | | | |"
    )
    lines += [
        "",
        f"- Measured: {worker['completed in window']:,} sync-tenant runs completed in the "
        f"{worker['window s']:.0f} s after the dispatch ended; {worker['not completed in window']} ended otherwise "
        f"({', '.join(worker['other final states in window']) or 'none'}). "
        f"Tenants/h are these counts scaled to an hour: an extrapolation from the window, not an hour's run.",
        f"- Worker overhead per run: Pending → Running (the worker's process start, Prefect's imports and "
        f"engine) {worker['worker start s, median']:.1f} s median, {worker['worker start s, p90']:.1f} s p90. "
        f"Scheduled → Running {worker['scheduled → running s, median']:.0f} s median, of which "
        f"{worker['queue wait s, median']:.0f} s (median) in the queue: {args.tenants:,} runs wait for "
        f"{args.limit} slots.",
        f"- Slots busy on average {worker['busy slots, mean']:.2f} of {args.limit} (Pending → end of run); the rest is "
        f"a finished run's process exit and the wait for the worker's next poll (every {args.poll:g} s).",
        f"- Completed runs whose tenant does not hold all its variants in the shop DB: {lacking or 'none'}.",
        "- Slot s is Pending → end of run. 'If all this size' and the full pass assume the same busy slots: "
        + (
            f"a full pass of the {args.tenants:,} first imports would take {full_pass:.2f} h "
            f"({args.tenants / full_pass:,.0f} tenants/h)."
            if full_pass
            else "not every size completed a run in the window, so no full pass is extrapolated."
        ),
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=1_000)
    parser.add_argument("--window", type=float, default=600, help="seconds the worker works after the dispatch")
    parser.add_argument("--limit", type=int, default=4, help="the worker's --limit (the README's)")
    parser.add_argument(
        "--poll", type=float, default=10, help="the worker's poll and prefetch seconds (Prefect's default)"
    )
    args = parser.parse_args()
    started, load_before, clock = dt.datetime.now(dt.UTC), os.getloadavg(), time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="erp-sync-scale-"))
    measured = simulate(args, root)
    wall, load_after = time.perf_counter() - clock, os.getloadavg()
    header = (
        f"Run {started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, Postgres local (shop and Prefect databases); "
        f"load average (1/5/15 min) {'/'.join(f'{x:.2f}' for x in load_before)} at the start, "
        f"{'/'.join(f'{x:.2f}' for x in load_after)} at the end. {args.tenants:,} tenants on `csv_files`, new, so "
        f"each first sync is a full products import; one process worker `--limit {args.limit}`, polls every "
        f"{args.poll:g} s. The whole script took {wall / 60:.1f} min."
    )
    text = "\n".join(report(args, measured, header))
    print(text)
    print(f"The server's and the worker's logs: {root}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scale.md").write_text(text + "\n")
    summary = {
        "started": started.isoformat(),
        "cores": os.cpu_count(),
        "load_average": {"start": load_before, "end": load_after},
        "wall_s": wall,
        "args": vars(args),
        "sizes": [asdict(size) for size in SIZES],
        **measured,
    }
    (RESULTS / "scale.json").write_text(json.dumps(summary, indent=2, default=str))


if __name__ == "__main__":
    main()
