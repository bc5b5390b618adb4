"""The quota engine: plans, credits, billing periods, the process ledger and the batch guard.

Plain Python over SQLAlchemy: nothing here imports Prefect.
"""

from quotas.credits import CreditCount
from quotas.errors import LeaseExpired, QuotaError, QuotaExceeded
from quotas.guard import Admission, BatchGuard
from quotas.ledger import Grant, Ledger, Usage, count_credits
from quotas.periods import BillingPeriod, period_for
from quotas.plans import recommend_plan
from quotas.thresholds import THRESHOLDS, ThresholdCrossed, crossed
from records.plans import PlanTerms, monthly_allowance

__all__ = [
    "THRESHOLDS",
    "Admission",
    "BatchGuard",
    "BillingPeriod",
    "CreditCount",
    "Grant",
    "LeaseExpired",
    "Ledger",
    "PlanTerms",
    "QuotaError",
    "QuotaExceeded",
    "ThresholdCrossed",
    "Usage",
    "count_credits",
    "crossed",
    "monthly_allowance",
    "period_for",
    "recommend_plan",
]
