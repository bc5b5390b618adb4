"""The `erp-sync` command against real databases: figures, JSON shape, one-line errors."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.cli_helpers import invoke


def test_credits_estimate_json_matches_the_seed(any_url: str) -> None:
    result = invoke(
        any_url,
        "credits estimate --variants 340 --customers 1200 --contacts 1200 --sales-reps 5 --admin-users 3 --json",
    )
    payload = json.loads(result.stdout)
    assert payload["credits"] == 2_748
    assert payload["recommended_plan"] == "business"
    assert payload["plan_max_credits"] == 5_000
    assert payload["monthly_processes"] == 199_500


def test_tenant_lifecycle_and_quota_json(any_url: str) -> None:
    slug = f"shop-{uuid.uuid4().hex[:6]}"
    invoke(any_url, f"tenant add {slug} --plan starter --erp-option path=/tmp/x")
    invoke(any_url, f"tenant admin-add {slug} boss@example.com")
    quota = json.loads(invoke(any_url, f"quota {slug} --json").stdout)
    assert {k: quota[k] for k in ("tenant", "credits_used", "credits_max", "processes_used", "status")} == {
        "tenant": slug,
        "credits_used": 1,
        "credits_max": 1_000,
        "processes_used": 0,
        "status": "active",
    }
    assert quota["processes_allowance"] == 39_900 and len(quota["period"]) == 7
    invoke(any_url, f"tenant set-plan {slug} business")
    quota = json.loads(invoke(any_url, f"quota {slug} --json").stdout)
    assert (quota["plan"], quota["credits_max"], quota["processes_allowance"]) == ("business", 5_000, 199_500)
    listed = json.loads(invoke(any_url, "tenant list --json").stdout)
    assert slug in [t["tenant"] for t in listed["tenants"]]


def test_plans_add_and_list(any_url: str) -> None:
    name = f"custom-{uuid.uuid4().hex[:6]}"
    invoke(any_url, f"plans add {name} --credits 3000 --price 99.5 --policy pause")
    plans = {p["name"]: p for p in json.loads(invoke(any_url, "plans list --json").stdout)["plans"]}
    assert plans[name]["max_credits"] == 3_000
    assert plans[name]["monthly_processes"] == 119_700
    assert plans[name]["allowance_policy"] == "pause"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("quota nobody", "unknown tenant 'nobody'"),
        ("tenant add x1 --plan gold", "unknown plan 'gold'"),
        ("tenant set-plan nobody basic", "unknown tenant 'nobody'"),
        ("credits estimate --variants -5", "counts must not be negative: variants"),
        ("tenant add Bad_Slug --plan starter", "must be lower-case"),
        ("tenant add x2 --plan starter --erp sap", "unknown ERP adapter 'sap'"),
        ("tenant add x3 --plan starter --erp-option password=hunter2", "looks like a secret"),
        ("plans add p --credits 0", "positive number of credits"),
        ("tenant add x4 --plan starter --entities products,widgets", "unknown entity 'widgets'"),
    ],
)
def test_bad_input_is_one_clear_line(any_url: str, args: str, message: str) -> None:
    result = invoke(any_url, args, expect=1)
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


def test_unreachable_database_is_one_line() -> None:
    result = invoke("postgresql+psycopg://nobody:s3cret@127.0.0.1:1/none", "quota x", expect=1)
    assert result.stderr.startswith("error: cannot use the shop database")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "s3cret" not in result.stderr


def test_uninitialised_database_names_the_next_command(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = invoke(f"sqlite:///{tmp_path / 'new.db'}", "plans list", expect=1)
    assert "run `erp-sync db upgrade`" in result.stderr


def test_erp_options_take_dotted_keys_for_the_column_mapping(any_url: str) -> None:
    slug = f"map-{uuid.uuid4().hex[:6]}"
    invoke(any_url, f"tenant add {slug} --plan starter --erp-option path=/tmp --erp-option mapping.products.sku=CodArt")
    shown = json.loads(invoke(any_url, f"tenant show {slug}").stdout)
    assert shown["erp_options"] == {"path": "/tmp", "mapping": {"products": {"sku": "CodArt"}}}
    assert shown["secret_name"] is None


def test_tenant_set_switches_entities_and_schedules(any_url: str) -> None:
    slug = f"set-{uuid.uuid4().hex[:6]}"
    invoke(any_url, f"tenant add {slug} --plan starter --erp-option path=/tmp")
    invoke(any_url, f"tenant set {slug} --entities products,stock,customers --every stock=15 --every products=240")
    shown = json.loads(invoke(any_url, f"tenant show {slug}").stdout)
    assert shown["entities"] == ["products", "stock", "customers"]
    assert shown["schedules"] == {"stock": 15, "products": 240}
    assert "unknown entity 'orders'" in invoke(any_url, f"tenant set {slug} --entities orders", expect=1).stderr
    assert "whole number of minutes" in invoke(any_url, f"tenant set {slug} --every stock=soon", expect=1).stderr
