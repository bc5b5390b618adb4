"""What a tenant's credits are made of (seed 000)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class CreditCount:
    variants: int = 0
    customers: int = 0
    contacts: int = 0
    sales_reps: int = 0
    admin_users: int = 0

    def __post_init__(self) -> None:
        negative = [name for name, value in asdict(self).items() if value < 0]
        if negative:
            raise ValueError(f"counts must not be negative: {', '.join(negative)}")

    @property
    def total(self) -> int:
        return self.variants + self.customers + self.contacts + self.sales_reps + self.admin_users
