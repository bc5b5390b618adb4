"""Peak memory of one full products import, in a process of its own so nothing else the suite
holds (the alternatives' rows in memory) counts: ``python peak_memory.py URL FOLDER`` imports
FOLDER's export for a new tenant and prints its seconds and peak RSS as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from measure import use_database


def measure(url: str, folder: Path) -> tuple[float, float]:
    """Seconds of the import and the child's peak RSS in MB."""
    out = subprocess.run(
        [sys.executable, __file__, url, str(folder)], check=True, capture_output=True, text=True
    ).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    return figures["seconds"], figures["peak_rss_mb"]


def main(url: str, folder: Path) -> None:
    use_database(url)
    from cases import import_products, new_tenant, run, warm_up

    from flows.heartbeat import unwatched_runs

    with unwatched_runs():  # as the suite's own runs
        warm_up()
        slug = new_tenant(url, folder)
        start = time.perf_counter()
        run(import_products, slug)
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_rss_kb() / 1024}))


def peak_rss_kb() -> int:
    """This process's peak resident set (Linux's VmHWM). Not ``getrusage``'s ``ru_maxrss``: Linux
    carries that across ``exec``, so a child would report the suite's own peak as its own."""
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
