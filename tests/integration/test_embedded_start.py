"""Embedded mode when Prefect's temporary local API does not come up in time (a machine too busy
for its start-up timeout, here made 0 s): the command ends in one line, with no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ERP_SYNC = str(Path(sys.executable).with_name("erp-sync"))


def test_an_api_that_does_not_start_is_one_line(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PREFECT_", "ERP_SYNC_"))} | {
        "ERP_SYNC_DATA_DIR": str(tmp_path),
        "PREFECT_HOME": str(tmp_path / "prefect"),
    }
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
