"""erp-sync's benchmark suite: the pipeline side by side with the alternatives, in one run.

    make bench                                               # 100,000 and 1,000,000 variants
    .venv/bin/python benchmarks/suite.py --rows 20000 --big 0 --rounds 2   # a quick look

Every case writes the same deterministic export to the same local Postgres; each runs several
rounds and reports min and median seconds. Rows/s (of the fastest round) are compared with two
floors of the same number of rows: the raw COPY (a) into a bare table, and (b) the same into the
shop's own tables, templates and foreign keys included. Writes benchmarks/results/bench.{md,json}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
from pathlib import Path

import alternatives
import cases
import peak_memory
from exports import product_export
from measure import Figure, bench_database

from devkit.samples import product_rows
from flows.heartbeat import unwatched_runs

RESULTS = Path(__file__).with_name("results")


def run_cases(args: argparse.Namespace) -> tuple[list[Figure], dict[str, float]]:
    big_rows = product_rows(max(args.rows, args.big))
    rows = big_rows[: args.rows]  # the first N of a bigger export are the smaller export
    figures: list[Figure] = []
    extra: dict[str, float] = {}
    # As the embedded commands run them: Prefect's temporary API has no automation to hear heartbeats.
    with bench_database() as url, unwatched_runs():
        cases.prepare(url)
        frame = alternatives.variant_frame(rows)
        figures.append(alternatives.copy_floor(url, frame, args.rounds))
        figures.append(alternatives.constrained_floor(url, frame, rows, args.rounds))
        figures.append(cases.read_hash_floor(rows, args.rounds))
        with cases.guard_share() as (guard, load):
            figures.extend(cases.products(url, rows, args.rounds))
        extra["guard seconds"], extra["load seconds"] = guard.seconds, load.seconds
        figures.append(cases.products(url, rows, max(args.rounds - 1, 1), kind="xlsx")[0])
        figures.append(cases.customers(url, args.rows // 2, max(args.rounds - 1, 1)))
        figures.append(alternatives.dlt_merge(url, frame, max(args.rounds - 1, 1)))
        figures.append(alternatives.orm_per_row(url, frame, 0.01, args.rounds))
        figures.extend(cases.idle_tenant(url, args.rounds + 2))
        figures.append(memory_rounds(url, rows, 1, extra))
        if args.big:
            del frame
            big_frame = alternatives.variant_frame(big_rows)
            figures.append(alternatives.copy_floor(url, big_frame, args.big_rounds))
            figures.append(alternatives.constrained_floor(url, big_frame, big_rows, args.big_rounds))
            del big_frame
            figures.append(memory_rounds(url, big_rows, args.big_rounds, extra))
    return figures, extra


def memory_rounds(url: str, rows: list[list[str]], count: int, extra: dict[str, float]) -> Figure:
    """(h) full imports in a process of their own: their seconds, and their peak RSS."""
    folder = Path(tempfile.mkdtemp(prefix="erp-sync-bench-"))
    product_export(folder, rows)
    figure = Figure("erp-sync full import (csv), own process", len(rows))
    peaks = []
    for _ in range(count):
        seconds, peak = peak_memory.measure(url, folder)
        figure.seconds.append(seconds)
        peaks.append(peak)
    figure.note = f"peak RSS {max(peaks):,.0f} MB"
    extra[f"peak RSS MB, {len(rows):,} rows"] = max(peaks)
    return figure


def table(figures: list[Figure]) -> list[str]:
    floors = {(f.case[:3], f.rows): f.rate() for f in figures if f.case.startswith(("(a)", "(b)"))}
    lines = [
        "| case | rows | min s | median s | rows/s | × (a) | × (b) | note |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for f in figures:
        ratios = [
            f"{f.rate() / floors[(floor, f.rows)]:.2f}" if (floor, f.rows) in floors else "—"
            for floor in ("(a)", "(b)")
        ]
        lines.append(
            f"| {f.case} | {f.rows:,} | {f.best:.2f} | {f.median:.2f} | {f.rate():,.0f} | {' | '.join(ratios)} "
            f"| {f.note} |"
        )
    return lines


def targets(figures: list[Figure], extra: dict[str, float], rows: int) -> list[str]:
    by_case = {(f.case, f.rows): f for f in figures}
    floor = by_case[("(a) raw psycopg 3 binary COPY + INSERT … ON CONFLICT", rows)]
    constrained = by_case[("(b) the same, into the shop's tables: templates, foreign keys", rows)]
    full = by_case[("erp-sync full import (csv)", rows)]
    dlt = by_case[("(c) dlt merge", rows)]
    delta = by_case[("erp-sync delta, 1% changed", rows)]
    delta_own = by_case[("… of which the import itself (delta 1 %)", rows)]
    read_hash = by_case[("read + validate + hash only (no DB)", rows)]
    idle = by_case[("… of which Prefect's own flow machinery", 200)]
    idle_whole = by_case[("no-change run of a 200-variant tenant, whole flow", 200)]
    idle_thread = by_case[("… the same run with Prefect's heartbeat thread", 200)]
    guard_share = extra["guard seconds"] / extra["load seconds"]
    peaks = {k: v for k, v in extra.items() if k.startswith("peak RSS")}
    checks = [
        ("full import ≥ 50 % of (a)", full.rate() / floor.rate(), 0.5, "≥"),
        ("full import ≥ 50 % of (b), the floor with the same constraints", full.rate() / constrained.rate(), 0.5, "≥"),
        ("full import ≥ 5× dlt merge", full.rate() / dlt.rate(), 5.0, "≥"),
        ("delta 1 % ≤ 2× read + hash", delta.best / read_hash.best, 2.0, "≤"),
        ("… the import itself, without Prefect's run machinery", delta_own.best / read_hash.best, 2.0, "≤"),
        ("guard + ledger ≤ 2 % of load", guard_share, 0.02, "≤"),
        ("no-change small tenant: orchestration ≤ 2 s", idle.median, 2.0, "≤"),
        ("no whole-second rounding: the no-change run ≤ 0.5 s", idle_whole.median, 0.5, "≤"),
        ("… the same run with Prefect's heartbeat thread", idle_thread.median, 0.5, "≤"),
        ("peak RSS ≤ 500 MB (largest run)", max(peaks.values()), 500.0, "≤"),
    ]
    lines = ["| target | measured | met |", "|---|---:|---|"]
    for name, value, limit, sense in checks:
        met = value >= limit if sense == "≥" else value <= limit
        lines.append(f"| {name} | {value:,.3g} | {'yes' if met else 'no'} |")
    lines.append("")
    lines.append("Peak RSS by size: " + ", ".join(f"{k.split(', ')[1]}: {v:,.0f} MB" for k, v in peaks.items()))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="variants of most cases")
    parser.add_argument("--big", type=int, default=1_000_000, help="variants of the headline cases; 0: skip")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--big-rounds", type=int, default=2)
    args = parser.parse_args()
    started, load_before = dt.datetime.now(dt.UTC), os.getloadavg()
    figures, extra = run_cases(args)
    load_after = os.getloadavg()
    header = (
        f"Run {started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, Postgres local; load average "
        f"(1/5/15 min) {'/'.join(f'{x:.2f}' for x in load_before)} at the start, "
        f"{'/'.join(f'{x:.2f}' for x in load_after)} at the end. Min and median of "
        f"{args.rounds} rounds ({args.big_rounds} at {args.big:,} rows); rows/s of the fastest round."
    )
    report = "\n".join([header, "", *table(figures), "", *targets(figures, extra, args.rows)])
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench.md").write_text(report + "\n")
    (RESULTS / "bench.json").write_text(
        json.dumps(
            {
                "started": started.isoformat(),
                "cores": os.cpu_count(),
                "load_average": {"start": load_before, "end": load_after},
                "args": vars(args),
                "figures": [{**vars(f), "min": f.best, "median": f.median, "rows_per_s": f.rate()} for f in figures],
                "extra": extra,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
