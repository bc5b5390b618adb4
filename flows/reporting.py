"""What ops see of a run in the Prefect UI: a table artifact, a progress artifact, events."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict
from typing import Any, cast
from uuid import UUID

from prefect.artifacts import create_progress_artifact, create_table_artifact, update_progress_artifact
from prefect.events import emit_event
from prefect.exceptions import CancelledRun

from erp_adapters.errors import ErpError
from pipeline.imports import RunTotals
from quotas.errors import QuotaError, QuotaExceeded
from quotas.ledger import Usage
from quotas.thresholds import ThresholdCrossed
from records.errors import ShopError


def _artifact_key(*parts: str) -> str:
    return "-".join(parts).lower().replace("_", "-")


def publish_report(tenant: str, entity: str, totals: RunTotals, usage: Usage, dry_run: bool) -> None:
    row: dict[str, Any] = {
        "entity": entity,
        "fetched": totals.fetched,
        "unchanged": totals.unchanged,
        "written": totals.written,
        "quarantined": totals.quarantined,
        "refused": totals.refused,
        "processes used": totals.processes,
        "credits used": totals.credits,
        "credits left": max(usage.credits_max - usage.credits_used, 0),
        "processes this period": f"{usage.processes_used:,}/{usage.processes_allowance:,}",
    }
    create_table_artifact(
        table=[row],
        key=_artifact_key(tenant, entity, "dry-run" if dry_run else "report"),
        description=f"{'Dry run: cost' if dry_run else 'Import'} of {entity} for {tenant}",
    )


def publish_export_report(tenant: str, row: dict[str, Any]) -> None:
    create_table_artifact(
        table=[row], key=_artifact_key(tenant, "orders", "export"), description=f"Orders sent for {tenant}"
    )


def publish_sync_summary(tenant: str, results: dict[str, dict[str, int]], ended: str) -> None:
    """The parent run's own table: every entity its imports reached, and how the run ended, so
    ops see the whole sync on the run they open first."""
    rows = [{"entity": entity, **counts} for entity, counts in results.items()]
    create_table_artifact(
        table=rows or [{"entity": "(none)"}],
        key=_artifact_key(tenant, "sync"),
        description=f"Sync of {tenant}: {ended}",
    )


# Called with (entity, rows done, rows expected): the CLI's progress bar.
ProgressListener = Callable[[str, int, int | None], None]
# A context variable, not a global: Prefect copies the caller's context into the threads that run
# its tasks and subflows, so only the runs started inside ``listening()`` report to the listener.
_listener: ContextVar[ProgressListener | None] = ContextVar("progress_listener", default=None)


@contextmanager
def listening(listener: ProgressListener) -> Iterator[None]:
    """Runs started in the block report their rows to ``listener`` as they go."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


class Progress:
    """A progress artifact in the UI, and the listener of ``listening()`` if one is set."""

    def __init__(self, tenant: str, entity: str, expected: int | None = None) -> None:
        self.entity, self.expected, self.done = entity, expected, 0
        # Called from sync task code, create_progress_artifact dispatches (async_dispatch) to its
        # sync variant and returns the artifact's id, not a coroutine.
        self._id = cast(
            UUID,
            create_progress_artifact(
                progress=0.0,
                key=_artifact_key(tenant, entity, "progress"),
                description=f"{entity} of {tenant}: rows read",
            ),
        )

    def expect(self, rows: int | None) -> None:
        self.expected = rows

    def advance(self, rows: int) -> None:
        self.done += rows
        if self.expected:
            update_progress_artifact(self._id, min(100.0, 100.0 * self.done / self.expected))
        listener = _listener.get()
        if listener is not None:
            listener(self.entity, self.done, self.expected)

    def finish(self) -> None:
        update_progress_artifact(self._id, 100.0)


def tenant_resource(tenant: str) -> dict[str, str]:
    return {"prefect.resource.id": f"erp-sync.tenant.{tenant}", "prefect.resource.name": tenant}


ORDERS_PLACED = "erp-sync.order.placed"  # the export-orders deployment's trigger (prefect.yaml)


def emit_orders_placed(tenant: str, numbers: list[str]) -> None:
    """Tell the server a tenant's outbox has new orders, so that its export starts now."""
    emit_event(event=ORDERS_PLACED, resource=tenant_resource(tenant), payload={"orders": numbers})


def emit_thresholds(crossings: list[ThresholdCrossed]) -> None:
    for crossing in crossings:
        emit_event(
            event="erp-sync.quota.threshold",
            resource=tenant_resource(crossing.tenant),
            payload=asdict(crossing),
        )


def emit_exhausted(exceeded: QuotaExceeded) -> None:
    emit_event(
        event="erp-sync.quota.exhausted",
        resource=tenant_resource(exceeded.tenant),
        payload={"kind": exceeded.kind, "used": exceeded.used, "limit": exceeded.limit, "message": str(exceeded)},
    )


class OneLineKnownErrors(logging.Filter):
    """Errors the user can fix from their message (a malformed export, an unknown tenant, a
    missing option) are logged as their one line, not a traceback; anything else keeps its trace."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, CancelledRun):
            # A worker's engine reads the run's result when the flow returns, and a Cancelled
            # state raises there: our flows end Cancelled only for a quota stop, already logged
            # as a warning with its numbers. It is not an error.
            return False
        if isinstance(error, (ErpError, ShopError, QuotaError)):
            record.exc_info = None
            record.exc_text = None
        return True


def install_log_filter() -> None:
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, OneLineKnownErrors) for f in logger.filters):
            logger.addFilter(OneLineKnownErrors())
