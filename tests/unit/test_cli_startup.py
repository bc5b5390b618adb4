"""A command that runs no flow and reads no export loads neither Prefect nor pandas, FastAPI or
openpyxl: `erp-sync plans list` must not pay for them (benchmarks/cli_startup.py times it)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("prefect", "pandas", "numpy", "fastapi", "openpyxl")


def loaded_after(statement: str) -> list[str]:
    probe = f"import sys; {statement}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    return subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout.split()


def test_the_command_line_loads_no_heavy_library() -> None:
    assert loaded_after("import cli.main") == []


def test_the_probe_sees_a_heavy_library_when_one_is_loaded() -> None:
    # The demo's story reads exports: the probe must see what it loads, or the test above proves nothing.
    assert {"pandas", "numpy", "openpyxl"} <= set(loaded_after("import cli.main, cli.demo_story"))
