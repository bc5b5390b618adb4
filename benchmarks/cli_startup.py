"""How long a command that runs no flow takes, against the floor of starting Python with the
libraries every command needs. Side by side, interleaved, in one run: the machine is noisy.

    .venv/bin/python benchmarks/cli_startup.py [--rounds 7] [--compare OTHER_CHECKOUT]

Runs against a throwaway embedded database under a temporary folder. ``--compare`` adds each
command as another checkout of erp-sync runs it (say, `git worktree add /tmp/before HEAD~3`),
with this checkout's installed libraries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ERP_SYNC = str(Path(sys.executable).with_name("erp-sync"))
FLOOR = "import typer, rich.table, sqlalchemy.orm, pydantic_settings, alembic.command"
CASES = {
    "python + typer, rich, SQLAlchemy, pydantic-settings, Alembic (floor)": [sys.executable, "-c", FLOOR],
    "erp-sync --help": [ERP_SYNC, "--help"],
    "erp-sync plans list": [ERP_SYNC, "plans", "list"],
    "erp-sync tenant list": [ERP_SYNC, "tenant", "list"],
    "erp-sync quota demo --json": [ERP_SYNC, "quota", "demo", "--json"],
}


# Runs `erp-sync ARGS` from another checkout: this venv's editable install points here, so its
# finder is dropped and the checkout put first on the path.
FROM_CHECKOUT = """
import sys
tree = sys.argv.pop(1)
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, tree)
from cli.main import app
sys.argv[0] = "erp-sync"
app()
"""


def seconds(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=False, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--compare", type=Path, help="another checkout whose commands run side by side")
    arguments = parser.parse_args()
    rounds, cases = arguments.rounds, dict(CASES)
    if arguments.compare:
        for name, command in CASES.items():
            if command[0] == ERP_SYNC:
                cases[f"{name} ({arguments.compare.name})"] = [
                    sys.executable,
                    "-c",
                    FROM_CHECKOUT,
                    str(arguments.compare),
                    *command[1:],
                ]
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "ERP_SYNC_DATA_DIR": folder, "PREFECT_HOME": folder}
        subprocess.run([ERP_SYNC, "db", "upgrade"], env=env, check=True, capture_output=True)
        subprocess.run(
            [ERP_SYNC, "tenant", "add", "demo", "--plan", "starter", "--erp-option", f"path={folder}"],
            env=env,
            check=True,
            capture_output=True,
        )
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(rounds):  # interleaved: a burst of load hits every case alike
            for name, command in cases.items():
                times[name].append(seconds(command, env))
    floor = statistics.median(times[next(iter(CASES))])
    table = Table(title=f"Command start-up, median of {rounds} (load {os.getloadavg()[0]:.1f})")
    for column in ("command", "median s", "min s", "× floor"):
        table.add_column(column, justify="left" if column == "command" else "right")
    for name, values in times.items():
        median = statistics.median(values)
        table.add_row(name, f"{median:.2f}", f"{min(values):.2f}", f"{median / floor:.2f}")
    Console().print(table)


if __name__ == "__main__":
    main()
