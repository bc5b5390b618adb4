"""The states a run ends in when the quota guard refuses it: a stop, not a failure."""

from __future__ import annotations

# The Prefect state a run ends in when the guard refuses this kind of budget.
STATE_NAMES = {"credits": "CreditCeiling", "processes": "ProcessBudget", "orders": "OrderLimit"}
QUOTA_STATES = tuple(STATE_NAMES.values())
# A run that waited its whole allowance for its tenant's slot: another run of the tenant held it.
BUSY_STATE = "TenantBusy"
# Every name a run ends in without failing: each is a Cancelled state.
STOP_STATES = (*QUOTA_STATES, BUSY_STATE)
