"""The states a run ends in when the quota guard refuses it: a stop, not a failure."""

from __future__ import annotations

# The Prefect state a run ends in when the guard refuses this kind of budget.
STATE_NAMES = {"credits": "CreditCeiling", "processes": "ProcessBudget", "orders": "OrderLimit"}
QUOTA_STATES = tuple(STATE_NAMES.values())
