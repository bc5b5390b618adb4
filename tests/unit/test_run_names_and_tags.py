"""How runs are named and tagged in the Prefect UI, without a server."""

from __future__ import annotations

from flows.dispatch import TARGETS
from flows.tenancy import VERBS, merged_tags, run_label, run_tags


def test_a_retried_run_moves_to_its_new_plan_instead_of_carrying_both() -> None:
    existing = ["tenant:acme", "plan:starter", "nightly"]
    assert merged_tags(existing, run_tags("acme", "basic")) == ["nightly", "plan:basic", "tenant:acme"]


def test_runs_are_named_when_created_as_they_name_themselves() -> None:
    assert run_label(VERBS["sync-tenant"], {"tenant": "acme", "entities": ["stock", "customers"]}) == (
        "sync acme · stock, customers"
    )
    assert run_label(VERBS["sync-tenant"], {"tenant": "acme", "entities": None}) == "sync acme"
    assert run_label(VERBS["export-orders"], {"tenant": "acme"}) == "export orders of acme"
    assert set(VERBS) == set(TARGETS)  # every deployment the dispatcher starts has its name
