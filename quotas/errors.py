"""The quota engine's own exceptions."""

from __future__ import annotations

from records.states import STATE_NAMES


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
        return STATE_NAMES[self.kind]

    def describe(self) -> str:
        what, refused = _WORDING[self.kind]
        text = f"{self.used:,}/{self.limit:,} {what}"
        if self.refused:
            text += f"; {self.refused:,} {refused}"
        return f"{text} (tenant {self.tenant})"


_WORDING = {
    "credits": ("credits used", "new records not imported"),
    "processes": ("processes used this period", "records not written"),
    "orders": ("orders sent this period", "orders waiting in the outbox"),
}


class LeaseExpired(QuotaError):
    """A reservation's lease ran out before its batch committed; the batch must be retried."""
