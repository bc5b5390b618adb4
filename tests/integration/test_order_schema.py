"""The order file's JSON Schema (`erp-sync order schema`) and its refusals on a real database: the
schema is valid, agrees with the models that check orders, and is what docs/usage.md describes;
a bad file is refused with every problem at once, one per line, and nothing is placed."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from domain.order_input import FULL_ORDER, MINIMAL_ORDER, order_from_json, order_json_schema
from records.errors import InvalidInput
from tests.cli_helpers import invoke

USAGE = Path(__file__).resolve().parents[2] / "docs" / "usage.md"

# Three different problems: a line's quantity, the currency's form, a field the format lacks.
THREE_PROBLEMS = {
    **MINIMAL_ORDER,
    "lines": [{"sku": "POL-0001-NEG-S", "quantity": 0, "unit_price": "39.00"}],
    "currency": "euro",
    "coupon": "BLACKFRIDAY",
}


@pytest.fixture
def slug(pg_url: str, tmp_path: Path) -> str:
    name = f"s-{uuid.uuid4().hex[:8]}"
    invoke(pg_url, f"tenant add {name} --plan starter --erp-option path={tmp_path}")
    return name


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    return Draft202012Validator(order_json_schema())


def write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "order.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def pending(pg_url: str, slug: str) -> list[dict[str, Any]]:
    orders: list[dict[str, Any]] = json.loads(invoke(pg_url, f"orders pending {slug} --json").stdout)["orders"]
    return orders


def usage_section() -> str:
    text = USAGE.read_text(encoding="utf-8")
    start = text.index("### The order file")
    return text[start : text.index("\n#", start + 1)]


def test_the_command_prints_exactly_the_schema_of_the_models(pg_url: str) -> None:
    printed = json.loads(invoke(pg_url, "order schema").stdout)  # stdout is one JSON document, nothing else

    assert printed == order_json_schema()
    Draft202012Validator.check_schema(printed)
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert printed["required"] == ["number", "customer_code", "lines"]
    assert printed["additionalProperties"] is False
    line = printed["$defs"]["OrderLineInput"]
    assert line["required"] == ["sku", "quantity", "unit_price"]
    # It documents itself: every field has a title, a description and an example.
    for name, prop in [*printed["properties"].items(), *line["properties"].items()]:
        assert prop.get("title") and prop.get("description"), name
        assert prop.get("examples") or name == "lines", name


def test_the_schemas_examples_are_orders_both_the_schema_and_the_models_accept(validator: Draft202012Validator) -> None:
    examples = order_json_schema()["examples"]
    assert examples == [MINIMAL_ORDER, FULL_ORDER]
    for example in examples:
        validator.validate(example)
        assert order_from_json(example).number == example["number"]


@pytest.mark.parametrize(
    "document",
    [
        {},
        THREE_PROBLEMS,
        {**MINIMAL_ORDER, "number": "W 1"},
        {**MINIMAL_ORDER, "number": "x" * 65},
        {**MINIMAL_ORDER, "lines": []},
        {**MINIMAL_ORDER, "lines": [{"sku": "A", "quantity": "-2", "unit_price": 1}]},
        {**MINIMAL_ORDER, "lines": [{"sku": "A", "quantity": "0.0", "unit_price": 1}]},
        {**MINIMAL_ORDER, "lines": [{"sku": "A", "quantity": "dos", "unit_price": 1}]},
        {**MINIMAL_ORDER, "lines": [{"sku": "", "quantity": 1, "unit_price": 1}]},
        {**MINIMAL_ORDER, "lines": [{"sku": "A", "quantity": 1, "unit_price": -1}]},
        {**MINIMAL_ORDER, "total": "-1"},
        {**MINIMAL_ORDER, "billing_address": "Calle Ruiz 25"},
        {**MINIMAL_ORDER, "payment_method": "x" * 65},
        [MINIMAL_ORDER],
    ],
)
def test_what_the_schema_refuses_the_models_refuse(validator: Draft202012Validator, document: object) -> None:
    assert list(validator.iter_errors(document))
    with pytest.raises(InvalidInput):
        order_from_json(document)


@pytest.mark.parametrize(
    "document",
    [
        {**MINIMAL_ORDER, "lines": [{"sku": "A", "quantity": "0.5", "unit_price": 0}]},
        {**MINIMAL_ORDER, "lines": [{"sku": "A", "quantity": 1.5, "unit_price": ".5", "description": ""}]},
        {**MINIMAL_ORDER, "placed_at": None, "payment_method": None, "total": 0},
        {**MINIMAL_ORDER, "number": "2026.W_1-a", "currency": "USD"},
    ],
)
def test_what_the_schema_accepts_the_models_accept(validator: Draft202012Validator, document: object) -> None:
    validator.validate(document)
    order_from_json(document)


def test_the_schema_refuses_the_three_problems_at_their_paths(validator: Draft202012Validator) -> None:
    paths = sorted(".".join(map(str, e.absolute_path)) or "order" for e in validator.iter_errors(THREE_PROBLEMS))
    assert paths == ["currency", "lines.0.quantity", "order"]  # "order": the extra field, at the top


def test_an_empty_order_names_every_missing_field_in_one_error(pg_url: str, slug: str, tmp_path: Path) -> None:
    path = write(tmp_path, {})
    refused = invoke(pg_url, f"order add {slug} --from-json {path}", expect=1)

    assert refused.stderr.strip().splitlines() == [
        f"error: {path}: 3 problems:",
        "  number: Field required",
        "  customer_code: Field required",
        "  lines: Field required",
    ]
    assert refused.stdout == ""
    assert pending(pg_url, slug) == []


def test_three_different_problems_are_listed_together(pg_url: str, slug: str, tmp_path: Path) -> None:
    path = write(tmp_path, THREE_PROBLEMS)
    refused = invoke(pg_url, f"order add {slug} --from-json {path}", expect=1)

    assert refused.stderr.strip().splitlines() == [
        f"error: {path}: 3 problems:",
        "  lines.0.quantity: Input should be greater than 0",
        "  currency: String should match pattern '^[A-Z]{3}$'",
        "  coupon: Extra inputs are not permitted",
    ]
    assert "Traceback" not in refused.stderr + refused.stdout
    assert pending(pg_url, slug) == []


def test_a_list_names_the_order_of_each_problem_and_places_none(pg_url: str, slug: str, tmp_path: Path) -> None:
    good = {**MINIMAL_ORDER, "number": "W-2001"}
    path = write(tmp_path, [{**MINIMAL_ORDER, "customer_code": ""}, good, {**good, "number": "W-2003", "total": -1}])
    refused = invoke(pg_url, f"order add {slug} --from-json {path}", expect=1)

    assert refused.stderr.strip().splitlines() == [
        f"error: {path}: 2 problems:",
        "  order 1: customer_code: String should have at least 1 character",
        "  order 3: total: Input should be greater than or equal to 0",
    ]
    assert pending(pg_url, slug) == []  # the good one waits for the file to be fixed


def test_one_problem_stays_one_line(pg_url: str, slug: str, tmp_path: Path) -> None:
    path = write(tmp_path, {**MINIMAL_ORDER, "placed_at": "2026-11-25T10:00:00"})
    refused = invoke(pg_url, f"order add {slug} --from-json {path}", expect=1)
    assert refused.stderr.strip() == f"error: {path}: placed_at: give a time zone, e.g. 2026-11-25T10:00:00+01:00"


def test_the_documented_minimal_order_is_placed(pg_url: str, slug: str, tmp_path: Path) -> None:
    block = re.search(r"```json\n(.*?)\n```", usage_section(), re.DOTALL)
    assert block is not None
    document = json.loads(block.group(1))
    assert document == MINIMAL_ORDER

    placed = invoke(pg_url, f"order add {slug} --from-json {write(tmp_path, document)}")

    assert "1 order(s) placed" in placed.stderr
    [order] = pending(pg_url, slug)
    assert (order["number"], order["customer_code"], order["total"], order["currency"]) == (
        "W-1001",
        "C00001",
        "78.0000",  # 2 × 39.00: no total given
        "EUR",
    )


def test_the_documented_table_is_the_schema() -> None:
    schema = order_json_schema()
    line = schema["$defs"]["OrderLineInput"]
    fields: dict[str, tuple[dict[str, Any], bool]] = {}
    for name, prop in schema["properties"].items():
        fields[name] = (prop, name in schema["required"])
        if name == "lines":  # the line's fields right after it
            fields |= {f"lines[].{part}": (p, part in line["required"]) for part, p in line["properties"].items()}
    rows = re.findall(r"^\| `([^`]+)` \| (.+?) \| (yes|no[^|]*) \| `(.+)` \|$", usage_section(), re.MULTILINE)

    assert [name for name, *_ in rows] == list(fields)  # every field, in the schema's order
    for name, _, required, example in rows:
        prop, is_required = fields[name]
        assert (required == "yes") == is_required, name
        # Each example is a value the field takes.
        Draft202012Validator({"$defs": schema["$defs"], **prop}).validate(json.loads(example))
