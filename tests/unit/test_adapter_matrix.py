"""The adapters matrix of the README and docs/adapters.md is the one the adapters declare."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from erp_adapters.base import Capability
from erp_adapters.matrix import matrix, matrix_markdown
from erp_adapters.registry import create_adapter, known_adapters

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(
    r"<!-- adapters matrix: erp-sync adapters --markdown -->\n(.*?)<!-- end of the adapters matrix -->", re.S
)


@pytest.mark.parametrize("page", ["README.md", "docs/adapters.md"])
def test_the_pages_show_the_matrix_the_adapters_declare(page: str) -> None:
    shown = BLOCK.findall((ROOT / page).read_text(encoding="utf-8"))
    assert shown == [matrix_markdown()], f"{page}: run `erp-sync adapters --markdown` and paste its table"


def test_the_matrix_is_each_adapter_class_s_own_declaration() -> None:
    declared = matrix()
    assert sorted(declared) == known_adapters() == ["csv_files", "holded", "odoo", "tryton"]
    holded = create_adapter("holded", {"password": "k"})  # a class's capabilities, through its factory
    assert declared["holded"] == {str(c): c in holded.capabilities for c in Capability}
    assert declared["holded"]["sales_reps"] is False and declared["holded"]["push_orders"] is True


def test_the_command_prints_it_as_json() -> None:
    result = CliRunner().invoke(app, ["adapters", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"adapters": matrix()}
