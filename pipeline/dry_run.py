"""A dry run: the real run's checks on the same data, with nothing written and nothing reserved.

A dry run goes down the real run's code path: the loop (``pipeline.imports``), the load's parent
check, hash diff and quota guard (``pipeline.load``), and the retry of records that waited for
their parent (``pipeline.retry_quarantine``). Where a real run reads back what it wrote earlier
in the same sync, a dry run reads the shop plus its ``DryRun``:

- the key and row hash of every record it would have written, so a contact finds the customer
  the same sync would create, and a record met twice is new only once;
- a ``Budget`` (``quotas.budget``) in place of the ledger: the levels the real run would start
  from (``Ledger.preview()``), metered by the same ``BatchGuard`` in memory.

One ``DryRun`` serves one tenant's run, from its first group to its last, one batch at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from quotas.budget import Budget
from quotas.errors import QuotaExceeded
from quotas.ledger import Ledger
from shop.bulk import Comparison


class DryRun:
    def __init__(self, *, metered: bool = True) -> None:
        self._metered = metered  # False: every write is granted (counting what waits beyond a stop)
        self._written: dict[str, dict[tuple[str, ...], str]] = {}  # table -> record key -> row hash
        self._budget: Budget | None = None
        self.stop: QuotaExceeded | None = None  # where the real run would stop at a quota

    @classmethod
    def past_stop(cls, dry_run: DryRun | None) -> DryRun:
        """Counts what waits beyond a quota stop: the same checks, every write granted, nothing
        remembered. A dry run's records still count as the parents they would be."""
        counting = cls(metered=False)
        if dry_run is not None:
            counting._written = dry_run._written
        return counting

    def budget(self, ledger: Ledger, tenant_id: int, tenant: str) -> Budget:
        """The quota this dry run meters against, read at its first batch."""
        if self._budget is None:
            self._budget = (
                Budget.from_usage(tenant_id, ledger.preview(tenant_id))
                if self._metered
                else Budget.unlimited(tenant_id, tenant)
            )
        return self._budget

    def held(self, ledger: Ledger, tenant_id: int) -> QuotaExceeded | None:
        """Whether the real run would find the tenant held: by the ledger, or by a stop this dry
        run already met."""
        if self._budget is not None and self._budget.held is not None:
            return self._budget.held
        return ledger.held(tenant_id, dry_run=True)

    def wrote(self, table: str, key: Sequence[str], rows: pd.DataFrame) -> None:
        """``rows`` (with their ``row_hash``) are what the real run would have written."""
        if not self._metered or rows.empty:
            return
        stored = self._written.setdefault(table, {})
        stored.update(zip(zip(*(rows[k].tolist() for k in key), strict=True), rows["row_hash"].tolist(), strict=True))

    def holds(self, table: str, values: Iterable[str]) -> set[str]:
        """Which of ``values`` (keys of a one-column key) this dry run would have written to ``table``."""
        stored = self._written.get(table, {})
        return {value for value in values if (value,) in stored}

    def compared(self, table: str, key: Sequence[str], rows: pd.DataFrame, found: Comparison) -> Comparison:
        """``found`` (the rows against the shop) as the real run would find them after its own
        earlier writes: a record this dry run would have written is not new any more, and is
        changed only if its hash differs from the one written."""
        stored = self._written.get(table)
        if not stored or rows.empty:
            return found
        before = [stored.get(k) for k in zip(*(rows[c].tolist() for c in key), strict=True)]
        mine = np.array([h is not None for h in before], dtype=bool)
        differs = np.array(
            [h is not None and h != row for h, row in zip(before, rows["row_hash"].tolist(), strict=True)], dtype=bool
        )
        return Comparison(found.new & ~mine, (found.changed & ~mine) | differs)
