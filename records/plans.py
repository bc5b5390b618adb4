"""A plan's terms and the seed's allowance rule: what tenants, quotas and the CLI all speak of."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

DAYS_PER_MONTH = 30
EXTRA_PROCESSES_PERCENT = 33


@dataclass(frozen=True)
class PlanTerms:
    name: str
    max_credits: int
    monthly_price_eur: Decimal = Decimal(0)
    allowance_policy: str = "notify"
    metric: str = "credits"  # or "orders": sized in orders sent per month (seed 002)
    max_orders: int | None = None

    @property
    def monthly_allowance(self) -> int:
        return monthly_allowance(self.max_credits)


def monthly_allowance(max_credits: int) -> int:
    """Expected processes per month: plan credits × 30 days + 33 %, rounded up (integer maths,
    so 5,000 credits give exactly 199,500)."""
    if max_credits < 0:
        raise ValueError("max_credits must not be negative")
    return -(-max_credits * DAYS_PER_MONTH * (100 + EXTRA_PROCESSES_PERCENT) // 100)
