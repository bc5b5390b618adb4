"""A dry run's quota: the ledger's levels held in memory.

``BatchGuard`` meters a dry run's batches against a ``Budget`` exactly as it meters a real run's
against the ``Ledger``: the same admission (credits first, then processes for every write that
fits) and the same grant rule (``quotas.ledger.grantable``). Only the bookkeeping differs: a
budget reserves, commits and refunds in memory, so a dry run holds nothing in the database,
and a batch refused at a ceiling holds the budget as the ledger would hold the tenant.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from quotas.errors import QuotaExceeded
from quotas.ledger import Grant, Kind, Usage, grantable
from quotas.thresholds import ThresholdCrossed

UNMETERED = "unmetered"  # a metric no kind is capped by


class Budget:
    def __init__(
        self, tenant_id: int, tenant: str, levels: dict[Kind, tuple[int, int]], *, metric: str, policy: str
    ) -> None:
        self.tenant_id, self.tenant = tenant_id, tenant
        self._levels = dict(levels)  # kind -> (level: used + reserved, limit)
        self._metric, self._policy = metric, policy
        self._open: dict[int, tuple[Kind, int]] = {}  # reservation id -> (kind, amount granted)
        self._ids = itertools.count(1)
        self.held: QuotaExceeded | None = None  # set once a batch was refused, as the ledger holds the tenant

    @classmethod
    def from_usage(cls, tenant_id: int, usage: Usage) -> Budget:
        """The levels of ``Ledger.preview()``: where the real run's guard would start."""
        levels: dict[Kind, tuple[int, int]] = {
            "credits": (usage.credits_used + usage.credits_reserved, usage.credits_max),
            "processes": (usage.processes_used + usage.processes_reserved, usage.processes_allowance),
            "orders": (usage.orders_used + usage.orders_reserved, usage.orders_max or 0),
        }
        return cls(tenant_id, usage.tenant, levels, metric=usage.metric, policy=usage.policy)

    @classmethod
    def unlimited(cls, tenant_id: int, tenant: str) -> Budget:
        """Grants everything: for counting what waits beyond a quota stop."""
        levels: dict[Kind, tuple[int, int]] = {"credits": (0, 0), "processes": (0, 0), "orders": (0, 0)}
        return cls(tenant_id, tenant, levels, metric=UNMETERED, policy=UNMETERED)

    def used(self, kind: Kind) -> int:
        return self._levels[kind][0]

    # -- what BatchGuard calls: the Ledger's interface -------------------------------------------

    @contextmanager
    def booking(self, tenant_id: int) -> Iterator[Budget]:
        assert tenant_id == self.tenant_id, "a budget meters one tenant"
        yield self

    def reserve(self, kind: Kind, requested: int, idempotency_key: str) -> Grant:
        if requested < 0:
            raise ValueError("cannot reserve a negative amount")
        used, limit = self._levels[kind]
        granted = grantable(kind, requested, used, limit, metric=self._metric, policy=self._policy)
        if granted == 0:
            return Grant(self.tenant_id, self.tenant, kind, requested, 0, used, limit, idempotency_key)
        self._levels[kind] = (used + granted, limit)
        reservation_id = next(self._ids)
        self._open[reservation_id] = (kind, granted)
        return Grant(
            self.tenant_id,
            self.tenant,
            kind,
            requested,
            granted,
            used + granted,
            limit,
            idempotency_key,
            reservation_id,
        )

    def commit(
        self, session: Any, spent: Sequence[tuple[Grant, int]], *, entity: str, flow_run_id: str | None = None
    ) -> list[ThresholdCrossed]:
        """What each grant paid for stays used, the rest of it returns; no session is needed and
        no threshold is crossed (a dry run records no alert)."""
        for grant, used in spent:
            if grant.reservation_id is not None:
                kind, granted = self._open.pop(grant.reservation_id)
                level, limit = self._levels[kind]
                self._levels[kind] = (level - granted + used, limit)
            if grant.refused and grant.kind != "orders":
                level, limit = self._levels[grant.kind]
                self.held = QuotaExceeded(self.tenant, grant.kind, level, limit)
        return []

    def refund(self, grant: Grant) -> bool:
        if grant.reservation_id not in self._open:
            return False
        kind, granted = self._open.pop(grant.reservation_id)
        level, limit = self._levels[kind]
        self._levels[kind] = (level - granted, limit)
        return True
