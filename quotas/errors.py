"""The quota engine's own exceptions."""

from __future__ import annotations


class QuotaError(Exception):
    """Base of the quota engine's errors."""


class QuotaExceeded(QuotaError):
    """The guard refused work: the tenant's credits or process budget are exhausted.

    Not a failure of the run: the shop keeps what it has and the work resumes after an upgrade
    or a period roll-over.
    """

    def __init__(self, tenant: str, kind: str, used: int, limit: int, refused: int = 0) -> None:
        self.tenant, self.kind, self.used, self.limit, self.refused = tenant, kind, used, limit, refused
        super().__init__(self.describe())

    @property
    def state_name(self) -> str:
        return "CreditCeiling" if self.kind == "credits" else "ProcessBudget"

    def describe(self) -> str:
        what = "credits used" if self.kind == "credits" else "processes used this period"
        text = f"{self.used:,}/{self.limit:,} {what}"
        if self.refused:
            text += f"; {self.refused:,} " + (
                "new records not imported" if self.kind == "credits" else "records not written"
            )
        return f"{text} (tenant {self.tenant})"


class LeaseExpired(QuotaError):
    """A reservation's lease ran out before its batch committed; the batch must be retried."""
