"""`erp-sync order add` and `erp-sync orders …` on a real database: what is placed, listed and
refused, each refusal one line on stderr with exit code 1."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.cli_helpers import invoke

ORDER = {
    "number": "W-1001",
    "customer_code": "C0001",
    "placed_at": "2026-11-25T10:00:00+01:00",
    "lines": [{"sku": "POL-0001-NEG-S", "quantity": 2, "unit_price": "39.00", "description": "Polo"}],
    "shipping_address": {"city": "Valencia"},
    "payment_method": "tarjeta",
}


@pytest.fixture
def slug(pg_url: str, tmp_path: Path) -> str:
    name = f"c-{uuid.uuid4().hex[:8]}"
    invoke(pg_url, f"tenant add {name} --plan starter --erp-option path={tmp_path}")
    return name


def write(tmp_path: Path, document: object, name: str = "order.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return path


def test_a_placed_order_is_listed_as_pending(pg_url: str, slug: str, tmp_path: Path) -> None:
    placed = invoke(pg_url, f"order add {slug} --from-json {write(tmp_path, ORDER)}")
    assert "1 order(s) placed" in placed.stderr and "W-1001" in placed.stderr

    listed = json.loads(invoke(pg_url, f"orders pending {slug} --json").stdout)

    assert listed["tenant"] == slug
    [order] = listed["orders"]
    assert (order["number"], order["export_state"], order["export_attempts"], order["total"]) == (
        "W-1001",
        "pending",
        0,
        "78.0000",
    )
    assert "W-1001" in invoke(pg_url, f"orders pending {slug}").stdout
    assert json.loads(invoke(pg_url, f"orders failed {slug} --json").stdout)["orders"] == []
    assert "no failed orders" in invoke(pg_url, f"orders failed {slug}").stderr


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "is not JSON"),
        (
            {**ORDER, "lines": [{"sku": "A", "quantity": -1, "unit_price": 1}]},
            "lines.0.quantity: Input should be greater than 0",
        ),
        ({**ORDER, "placed_at": "2026-11-25T10:00:00"}, "placed_at: give a time zone"),
        ({**ORDER, "number": "W 1"}, "order number 'W 1' must be 1-64 letters"),
        ([ORDER, {**ORDER, "currency": "euro"}], "order 2: currency: String should match pattern"),
    ],
)
def test_a_bad_order_file_is_one_line(pg_url: str, slug: str, tmp_path: Path, document: object, message: str) -> None:
    refused = invoke(pg_url, f"order add {slug} --from-json {write(tmp_path, document)}", expect=1)
    assert message in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert json.loads(invoke(pg_url, f"orders pending {slug} --json").stdout)["orders"] == []  # nothing half-placed


def test_other_refusals_are_one_line(pg_url: str, slug: str, tmp_path: Path) -> None:
    order = write(tmp_path, ORDER)
    invoke(pg_url, f"order add {slug} --from-json {order}")
    cases = {
        f"order add {slug} --from-json {order}": "order W-1001 already exists",
        f"order add {slug} --from-json {tmp_path / 'missing.json'}": "cannot read",
        f"order add nobody --from-json {order}": "unknown tenant 'nobody'",
        f"orders retry {slug}": "give either --number N (repeatable) or --all",
        f"orders retry {slug} --number W-1001": "no failed order W-1001",
        "export nobody": "unknown tenant 'nobody'",
    }
    for args, message in cases.items():
        refused = invoke(pg_url, args, expect=1)
        assert message in refused.stderr, args
        assert "Traceback" not in refused.stderr + refused.stdout
