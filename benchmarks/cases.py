"""erp-sync's own cases, each through the real import flows: full import, delta re-syncs, the
quota guard's share of the load, and the orchestration cost of a run with nothing to do."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from exports import customer_export, product_export, with_changed_prices
from measure import Figure, rounds, shop_session, timed
from prefect import Flow, flow
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

import flows.imports
import tasks.load
from app.settings import Settings
from deployments.automations import HEARTBEAT_SECONDS
from devkit.samples import product_rows
from domain.products import PRODUCTS
from domain.transform import transform_page
from erp_adapters.csv_files.adapter import CsvFilesAdapter
from flows.imports import import_customers, import_products
from quotas.guard import BatchGuard
from records.erp import Entity
from records.plans import PlanTerms
from services.tenants import add_tenant, save_plan

PLAN = "bench"
DELTAS = ((0.0, ""), (0.01, "999,99"), (0.10, "888,88"))  # share of variants changed, their new price


@flow(name="bench-warm-up")
def warm_up() -> None:
    """Starts Prefect's ephemeral API before anything is timed."""


def prepare(url: str) -> None:
    warm_up()
    with shop_session(url) as session:
        save_plan(session, PlanTerms(PLAN, 1_000_000_000))


def new_tenant(url: str, folder: Path) -> str:
    slug = f"bench-{uuid.uuid4().hex[:8]}"
    with shop_session(url) as session:
        add_tenant(session, slug, PLAN, erp_kind="csv_files", erp_options={"path": str(folder)}, entities=[])
    return slug


def run(import_flow: Flow[..., Any], slug: str) -> dict[str, dict[str, int]]:
    state = import_flow(tenant=slug, return_state=True)
    if not state.is_completed():
        raise SystemExit(f"import of {slug} ended {state.name}: {state.message}")
    return state.result()


def read_and_hash(folder: Path) -> None:
    """What any sync of an export-drop ERP must do at least: read, validate and hash every row."""
    for page in CsvFilesAdapter(folder).fetch(Entity.PRODUCTS, None, Settings().batch_size):
        transform_page(page, PRODUCTS)


def products(url: str, rows: list[list[str]], count: int, kind: str = "csv") -> list[Figure]:
    """``count`` rounds, each a new tenant: a full import, then re-syncs with 0 %, 1 % and 10 % of
    the prices changed. Each re-sync must write exactly the changed variants."""
    n = len(rows)
    full = Figure(f"erp-sync full import ({kind})", n)
    deltas = [Figure(f"erp-sync delta, {share:.0%} changed", n) for share, _ in DELTAS]
    own = Figure("… of which the import itself (delta 1 %)", n)
    for _ in range(count):
        folder = Path(tempfile.mkdtemp(prefix="erp-sync-bench-"))
        product_export(folder, rows, kind)
        slug = new_tenant(url, folder)
        full.seconds.append(timed(run, import_products, slug))
        if kind != "csv":
            continue
        for figure, (share, price) in zip(deltas, DELTAS, strict=True):
            changed, expected = with_changed_prices(rows, share, price)
            product_export(folder, changed)
            with import_stopwatch() as inner:
                start = time.perf_counter()
                written = run(import_products, slug)["products"]["written"]
                figure.seconds.append(time.perf_counter() - start)
            if share == 0.01:
                own.seconds.append(inner.seconds)
            if written != expected:
                raise SystemExit(f"{figure.case}: wrote {written:,} variants, {expected:,} changed")
            figure.note = f"exactly {expected:,} written"
    return [full, *deltas, own] if kind == "csv" else [full]


def read_hash_floor(rows: list[list[str]], count: int) -> Figure:
    folder = Path(tempfile.mkdtemp(prefix="erp-sync-bench-"))
    product_export(folder, rows)
    return rounds("read + validate + hash only (no DB)", len(rows), count, lambda: read_and_hash(folder))


def customers(url: str, count: int, rounds_: int) -> Figure:
    """Customers and one contact each: two entities, the contacts checked against their customer."""
    folder = Path(tempfile.mkdtemp(prefix="erp-sync-bench-"))
    customer_export(folder, count)
    figure = Figure("erp-sync full import, customers + contacts", 2 * count)
    for _ in range(rounds_):
        slug = new_tenant(url, folder)
        figure.seconds.append(timed(run, import_customers, slug))
    return figure


class Stopwatch:
    """Total seconds spent in the wrapped callables."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, action: Callable[..., Any]) -> Callable[..., Any]:
        def timed_action(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return action(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return timed_action


@contextmanager
def guard_share() -> Iterator[tuple[Stopwatch, Stopwatch]]:
    """Times the quota guard's calls (reserve, commit, refund of unused grants) and the whole load
    step of every batch while the block runs."""
    guard, load = Stopwatch(), Stopwatch()
    originals = {name: getattr(BatchGuard, name) for name in ("admit", "commit", "__exit__")}
    original_load = tasks.load.load
    for name, method in originals.items():
        setattr(BatchGuard, name, guard.wrap(method))
    tasks.load.load = load.wrap(original_load)
    try:
        yield guard, load
    finally:
        for name, method in originals.items():
            setattr(BatchGuard, name, method)
        tasks.load.load = original_load


def idle_tenant(url: str, count: int, variants: int = 200) -> tuple[Figure, Figure, Figure]:
    """A small tenant whose ERP dropped nothing new: the whole run, and the part of it that is
    Prefect's own (the flow run minus the import's code); then the same run with Prefect's own
    heartbeat thread, as a run the worker starts has it (and, before flows/heartbeat.py, each of
    a sync's import subflows had it)."""
    folder = Path(tempfile.mkdtemp(prefix="erp-sync-bench-"))
    product_export(folder, product_rows(variants))
    slug = new_tenant(url, folder)
    run(import_products, slug)
    whole = Figure(f"no-change run of a {variants}-variant tenant, whole flow", variants)
    prefect_part = Figure("… of which Prefect's own flow machinery", variants)
    with_thread = Figure("… the same run with Prefect's heartbeat thread", variants)
    for _ in range(count):
        with import_stopwatch() as inner:
            seconds = timed(run, import_products, slug)
        whole.seconds.append(seconds)
        prefect_part.seconds.append(seconds - inner.seconds)
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: HEARTBEAT_SECONDS}):
            with_thread.seconds.append(timed(run, import_products, slug))
    return whole, prefect_part, with_thread


@contextmanager
def import_stopwatch() -> Iterator[Stopwatch]:
    """Times erp-sync's own import (``run_import``) inside the flow runs of the block: the rest of
    a run's time is Prefect's (starting the run, reporting states, joining its heartbeat)."""
    inner = Stopwatch()
    original = flows.imports.run_import
    flows.imports.run_import = inner.wrap(original)
    try:
        yield inner
    finally:
        flows.imports.run_import = original
