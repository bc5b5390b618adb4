"""Run the `erp-sync` command in-process against a given database and check its exit code."""

from __future__ import annotations

import shlex

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
