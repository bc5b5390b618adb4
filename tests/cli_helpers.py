"""Run the `erp-sync` command in-process against a given database and check its exit code; or
the installed command, in a process of its own, as a user's shell runs it."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from typer.testing import CliRunner, Result

from cli.main import app


def invoke(database_url: str, args: str, expect: int = 0, env: dict[str, str] | None = None) -> Result:
    runner = CliRunner()
    result = runner.invoke(app, shlex.split(args), env={"ERP_SYNC_DATABASE_URL": database_url, **(env or {})})
    assert result.exit_code == expect, (
        f"`erp-sync {args}` exited {result.exit_code}, expected {expect}\n"
        f"stdout: {result.stdout}\nstderr: {result.stderr}\n{result.exception!r}"
    )
    return result


ERP_SYNC = str(Path(sys.executable).with_name("erp-sync"))  # the installed command


def user_shell(data_dir: Path, **settings: str) -> dict[str, str]:
    """A user's environment for ``ERP_SYNC``: no Prefect server and no erp-sync setting taken from
    the test run's, its data and Prefect's home under ``data_dir``, plus ``settings``."""
    inherited = {key: value for key, value in os.environ.items() if not key.startswith(("PREFECT_", "ERP_SYNC_"))}
    return inherited | {"ERP_SYNC_DATA_DIR": str(data_dir), "PREFECT_HOME": str(data_dir / "prefect")} | settings
