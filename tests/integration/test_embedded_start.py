"""Embedded mode when Prefect's temporary local API does not come up in time (a machine too busy
for its start-up timeout, here made 0 s): the command ends in one line, with no traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.cli_helpers import ERP_SYNC, user_shell


def test_an_api_that_does_not_start_is_one_line(tmp_path: Path) -> None:
    env = user_shell(tmp_path)
    (tmp_path / "drop").mkdir()

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([ERP_SYNC, *args], env=env | extra, capture_output=True, text=True, timeout=300)

    assert run("db", "upgrade").returncode == 0
    assert (
        run("tenant", "add", "busy", "--plan", "starter", "--erp-option", f"path={tmp_path / 'drop'}").returncode == 0
    )
    failed = run("sync", "busy", PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="0")
    assert failed.returncode == 1, failed.stderr
    assert "Traceback" not in failed.stderr
    [line] = [line for line in failed.stderr.splitlines() if line.startswith("error:")]
    assert "temporary local API did not start in time" in line


HOLDER = """
import sys, time
from cli.embedded import embedded_runs
from flows.concurrency import tenant_limit, tenant_slots
with embedded_runs(), tenant_slots({tenant_limit(sys.argv[1]): 1}):
    print("held", flush=True)
    time.sleep(600)
"""


def test_a_killed_commands_tenant_slot_is_given_back_by_the_next(tmp_path: Path) -> None:
    """kill -9 of a command holding its tenant's slot on the temporary local API (and of that
    API): the next command of the tenant gives the slot back and runs, instead of waiting for ever."""
    env = user_shell(tmp_path)
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "products.csv").write_text("Referencia;Nombre;PVP\nA-1;Gorra;9,95\n", encoding="utf-8")
    for args in (["db", "upgrade"], ["tenant", "add", "crash", "--plan", "starter", "--erp-option", f"path={drop}"]):
        subprocess.run([ERP_SYNC, *args], env=env, check=True, capture_output=True, timeout=120)

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, "crash"], env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    finally:
        os.killpg(holder.pid, signal.SIGKILL)  # the command and the API it started
        holder.wait(30)

    rerun = subprocess.run([ERP_SYNC, "sync", "crash"], env=env, capture_output=True, text=True, timeout=240)
    assert rerun.returncode == 0, rerun.stderr
    assert "gave back the slots of a command that was stopped: tenant:crash" in " ".join(rerun.stderr.split())
    assert "Traceback" not in rerun.stderr
