"""Dependencies point one way: each package imports only packages of the layers below it, and the
plain-Python core never imports Prefect. Every import counts, at module level or inside a function.

The layers, bottom up (docs/architecture.md draws them):
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

LAYERS: tuple[tuple[str, ...], ...] = (
    ("records",),  # shared record types: imports no other package of the project
    ("erp_adapters", "shop"),  # the ERPs; storage (models, migrations, bulk writes)
    ("domain", "quotas"),  # entity specs and validation; credits, ledger and guard
    ("services",),  # tenants, outbox, owner alerts
    ("pipeline",),  # the batch loop, quarantine retry, reconcile, order export
    ("app", "tasks"),  # the composition root; Prefect tasks around the pipeline's steps
    ("flows", "console"),  # Prefect flows; the usage console
    ("deployments",),
    ("devkit",),  # demo exports and a throwaway Prefect server, for the demo, tests and benchmarks
    ("cli",),
)
LAYER = {package: level for level, packages in enumerate(LAYERS) for package in packages}
WITHOUT_PREFECT = ("records", "erp_adapters", "shop", "domain", "quotas", "services", "pipeline", "console")


def imported_packages(source: str) -> Iterator[tuple[int, str]]:
    """(line, top-level name) of every absolute import in ``source``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            yield node.lineno, name.split(".")[0]


def violations(package: str, path: str, source: str) -> list[str]:
    found = []
    for line, name in imported_packages(source):
        if name == "prefect" and package in WITHOUT_PREFECT:
            found.append(f"{path}:{line}: {package} imports prefect")
        elif name in LAYER and name != package and LAYER[name] >= LAYER[package]:
            found.append(f"{path}:{line}: {package} imports {name}, a layer above or beside it")
    return found


def test_every_package_is_in_a_layer() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "benchmarks"}
    assert packages == set(LAYER), "add the new package to LAYERS"


def test_imports_point_down_the_layers_and_the_core_has_no_prefect() -> None:
    found = [
        violation
        for package in LAYER
        for path in sorted((ROOT / package).rglob("*.py"))
        for violation in violations(package, str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))
    ]
    assert found == []


@pytest.mark.parametrize(
    ("package", "source", "expected"),
    [
        ("pipeline", "from prefect import task\n", "pipeline imports prefect"),
        ("erp_adapters", "def f():\n    from shop.db import unit_of_work\n", "erp_adapters imports shop"),
        ("shop", "import flows.imports\n", "shop imports flows"),
        ("quotas", "from domain.entities import SPECS\n", "quotas imports domain"),
        ("records", "from quotas.plans import next_plan_up\n", "records imports quotas"),
    ],
)
def test_a_forbidden_import_is_named_with_its_line(package: str, source: str, expected: str) -> None:
    (found,) = violations(package, "x.py", source)
    assert expected in found and found.startswith("x.py:")


def test_allowed_imports_pass() -> None:
    assert violations("flows", "x.py", "from pipeline.imports import import_entity\nimport prefect\n") == []
