"""The automations ops get from `erp-sync server init`, built offline: what they listen for."""

from __future__ import annotations

from deployments.automations import crash_unresponsive_runs
from records.states import STOP_STATES


def test_the_unresponsive_run_automation_hears_every_way_a_run_ends() -> None:
    trigger = crash_unresponsive_runs().trigger
    ends = {"Completed", "Failed", "Cancelled", "Crashed", *STOP_STATES}
    # A run that ended under any of these names is over: no missing heartbeat may crash it.
    assert {f"prefect.flow-run.{name}" for name in ends} <= set(trigger.expect)  # type: ignore[union-attr]
    assert "prefect.flow-run.CreditCeiling" in trigger.expect  # type: ignore[union-attr]
