"""The field reference (`erp-sync fields`, docs/fields.md): built from the entity specs, with an
example per field that passes the entity's own checks and the CSV drop's header aliases as the
source columns, and a committed page that never drifts from it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import app
from domain.entities import SPECS
from domain.reference import EXAMPLES, REGENERATE, field_reference, reference_markdown
from domain.specs import EntitySpec, FieldSpec
from domain.transform import transform_page
from erp_adapters.csv_files.mapping import ALIASES, resolve_fields
from records.erp import Page

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "fields.md"


def listed(spec: EntitySpec) -> list[tuple[str, FieldSpec]]:
    """The fields the reference should list for ``spec``: a document's line fields after ``lines``."""
    out = []
    for field in spec.fields:
        out.append((field.name, field))
        out += [(f"{field.name}[].{part.name}", part) for part in field.parts]
    return out


def test_the_committed_page_is_the_rendered_reference() -> None:
    rendered = reference_markdown(field_reference(aliases=ALIASES))
    assert PAGE.read_text(encoding="utf-8") == rendered, f"docs/fields.md is stale: run `{REGENERATE}`"
    assert REGENERATE in "\n".join(rendered.splitlines()[:3])  # the page says how to regenerate it


def test_fields_markdown_prints_the_page() -> None:
    result = CliRunner().invoke(app, ["fields", "--markdown"])
    assert result.exit_code == 0, result.output
    assert result.stdout == PAGE.read_text(encoding="utf-8")


def test_every_field_of_every_entity_is_listed_as_its_spec_says() -> None:
    reference = field_reference(aliases=ALIASES)
    assert [ref.entity for ref in reference] == list(SPECS)
    for ref in reference:
        spec = SPECS[ref.entity]
        assert (ref.key, ref.credited) == (spec.key, spec.credited)
        assert ref.parent_field == (spec.parent.column if spec.parent else None)
        expected = listed(spec)
        assert [f.name for f in ref.fields] == [name for name, _ in expected]
        for field, (_, field_spec) in zip(ref.fields, expected, strict=True):
            assert (field.type, field.required, field.max_length, field.minimum) == (
                field_spec.kind,
                field_spec.required,
                field_spec.max_length,
                field_spec.minimum,
            ), f"{ref.entity}.{field.name}"


def test_every_field_has_an_example_and_no_example_names_a_field_that_is_gone() -> None:
    assert set(EXAMPLES) == set(SPECS)
    for ref in field_reference():
        assert all(field.example for field in ref.fields), ref.entity
        assert set(EXAMPLES[ref.entity]) == {f.name for f in ref.fields if f.type != "lines"}, ref.entity


@pytest.mark.parametrize("entity", list(SPECS))
def test_each_entitys_examples_make_a_record_it_accepts(entity: str) -> None:
    spec = SPECS[entity]
    examples = EXAMPLES[entity]
    record: dict[str, str] = {}
    for field in spec.fields:
        if field.kind == "lines":
            line = {part.name: examples[f"{field.name}[].{part.name}"] for part in field.parts}
            record[field.name] = json.dumps([line], ensure_ascii=False)
        else:
            record[field.name] = examples[field.name]
    page = Page(frame=pd.DataFrame([record]), fields={name: name for name in record}, source="examples", first_row=1)

    batch = transform_page(page, spec)

    assert [r.reason for r in batch.rejected] == []
    assert len(batch.rows) == 1


def test_the_lines_example_is_a_list_of_one_line_with_its_required_fields() -> None:
    [invoices] = field_reference(["invoices"])
    lines = next(f for f in invoices.fields if f.name == "lines")
    assert json.loads(lines.example) == [{"sku": "POL-0001-NEG-S", "quantity": "2"}]


def test_the_source_columns_are_the_csv_aliases_and_each_feeds_its_field() -> None:
    for ref in field_reference(aliases=ALIASES):
        for field in ref.fields:
            name = field.name.removeprefix("lines[].")
            assert field.sources == ALIASES[ref.entity][name], f"{ref.entity}.{field.name}"
            for source in field.sources:
                # A file whose only column is this header maps it to this field, not to another.
                assert resolve_fields(ref.entity, [source], {}) == {name: source}, f"{ref.entity}: {source}"


def test_without_aliases_the_reference_has_no_source_columns() -> None:
    assert all(not f.sources for ref in field_reference() for f in ref.fields)


def test_the_command_shows_one_entity_as_a_table_or_as_json() -> None:
    runner = CliRunner()
    shown = runner.invoke(app, ["fields", "stock"])
    assert shown.exit_code == 0, shown.output
    assert "stock" in shown.stdout and "warehouse" in shown.stdout and "MAD" in shown.stdout
    assert "products ·" not in shown.stdout

    as_json = runner.invoke(app, ["fields", "stock", "--json"])
    assert as_json.exit_code == 0, as_json.output
    [stock] = json.loads(as_json.stdout)["entities"]
    assert stock["entity"] == "stock" and stock["key"] == ["sku", "warehouse"]
    quantity = next(f for f in stock["fields"] if f["field"] == "quantity")
    assert quantity == {
        "field": "quantity",
        "type": "decimal",
        "required": True,
        "max_length": None,
        "minimum": 0,
        "example": "33",
        "sources": list(ALIASES["stock"]["quantity"]),
    }

    every = json.loads(runner.invoke(app, ["fields", "--json"]).stdout)["entities"]
    assert [e["entity"] for e in every] == list(SPECS)


def test_an_unknown_entity_is_one_line() -> None:
    refused = CliRunner().invoke(app, ["fields", "nope"])
    assert refused.exit_code == 1
    assert "unknown entity 'nope'" in refused.stderr and "products" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
