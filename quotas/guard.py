"""The quota guard around one batch: reserve before writing, commit with the rows, refund the rest.

    with BatchGuard(ledger, tenant_id, key) as guard:
        admission = guard.admit(new=…, updates=…)
        with unit_of_work(url) as session:
            …write admission.new rows and admission.writes - admission.new updates…
            guard.commit(session, new_written=…, written=…, entity=…)
    if admission.exceeded: raise admission.exceeded   # after the admitted part is safely stored

Each new record costs one credit on plans sized in credits; an order sent costs one order on
plans sized in orders (``new_costs="orders"``). Every write costs one process.

Refunds run when the block exits on an exception, anywhere — including in the caller's commit —
so the budget comes back at once; after a successful commit nothing is left open and nothing is
refunded. A killed worker's reservation returns when its lease expires.

The guard meters against a ``Meter``: the ``Ledger`` in the database, or a dry run's ``Budget``
(``quotas.budget``), which keeps the same levels in memory. Both go through the admission below.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

from sqlalchemy.orm import Session

from quotas.errors import QuotaExceeded
from quotas.ledger import Grant, Kind
from quotas.thresholds import ThresholdCrossed


class Reserves(Protocol):
    def reserve(self, kind: Kind, requested: int, idempotency_key: str) -> Grant: ...


class Meter(Protocol):
    """What the guard reserves from and commits to: ``Ledger`` or a dry run's ``Budget``."""

    def booking(self, tenant_id: int) -> AbstractContextManager[Reserves]: ...

    def commit(
        self, session: Any, spent: Sequence[tuple[Grant, int]], *, entity: str, flow_run_id: str | None = None
    ) -> list[ThresholdCrossed]: ...

    def refund(self, grant: Grant) -> bool: ...


@dataclass(frozen=True)
class Admission:
    new: int  # new records (credited records, or orders) that may be written
    writes: int  # records that may be written in all (updates first, then the new ones)
    exceeded: QuotaExceeded | None  # why part of the batch was refused, if it was


class BatchGuard:
    def __init__(
        self,
        ledger: Meter,
        tenant_id: int,
        idempotency_key: str,
        credited: bool = True,
        new_costs: Kind = "credits",
    ) -> None:
        self._ledger = ledger
        self._tenant_id = tenant_id
        self._key = idempotency_key
        self._credited = credited  # whether new records cost ``new_costs`` besides their process
        self._new_costs = new_costs
        self._grants: list[Grant] = []
        self._credits: Grant | None = None
        self._processes: Grant | None = None
        self._committed = False

    def __enter__(self) -> BatchGuard:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None and self._committed:
            return  # the commit closed every grant, in the transaction that just succeeded
        for grant in self._grants:
            self._ledger.refund(grant)

    def admit(self, *, new: int, updates: int) -> Admission:
        """Reserve credits (or orders) for ``new`` records and processes for every write that fits,
        both in one transaction of the ledger."""
        with self._ledger.booking(self._tenant_id) as book:
            return self._admit(book, new, updates)

    def _admit(self, book: Reserves, new: int, updates: int) -> Admission:
        exceeded = None
        new_admitted = new
        if self._credited and new:
            self._credits = self._reserve(book, self._new_costs, new)
            if self._credits.already_applied:  # a retry of a batch that already committed
                return Admission(new=0, writes=0, exceeded=None)
            new_admitted = self._credits.granted
            if self._credits.refused:
                exceeded = _exceeded(self._credits)
        self._processes = self._reserve(book, "processes", updates + new_admitted)
        if self._processes.already_applied:
            return Admission(new=0, writes=0, exceeded=None)
        writes = self._processes.granted
        if self._processes.refused:
            exceeded = _exceeded(self._processes, refused=updates + new - writes)
        return Admission(new=min(new_admitted, max(writes - updates, 0)), writes=writes, exceeded=exceeded)

    def commit(
        self, session: Session | None, *, new_written: int, written: int, entity: str, flow_run_id: str | None = None
    ) -> list[ThresholdCrossed]:
        """``session``: the transaction that wrote the rows (None for a ``Budget``: nothing was written)."""
        spent = [(grant, used) for grant, used in ((self._credits, new_written), (self._processes, written)) if grant]
        crossings = self._ledger.commit(session, spent, entity=entity, flow_run_id=flow_run_id)
        self._committed = True
        return crossings

    @property
    def already_applied(self) -> bool:
        return any(grant.already_applied for grant in self._grants)

    def _reserve(self, book: Reserves, kind: Kind, amount: int) -> Grant:
        grant = book.reserve(kind, amount, self._key)
        self._grants.append(grant)
        return grant


def _exceeded(grant: Grant, refused: int | None = None) -> QuotaExceeded:
    return QuotaExceeded(
        grant.tenant, grant.kind, grant.used, grant.limit, grant.refused if refused is None else refused
    )
