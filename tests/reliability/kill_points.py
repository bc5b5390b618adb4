"""Crash a batch import at its N-th boundary with SIGKILL, in a forked child process.

The child runs the pipeline's import loop, the one the import flow runs (adapter pages →
transform → guarded load), without the Prefect engine around it so a fork costs milliseconds
instead of an engine start. Each boundary of that pipeline — a reservation, the upsert, the quarantine write,
the cursor, the ledger commit, every transaction's commit — is wrapped so that the process kills
itself, with no clean-up of any kind, just before or just after the N-th one. (A refund runs only
after an exception, which a killed process never reaches.)
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
import uuid
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy.orm import SessionTransaction

import pipeline.load
from domain.products import PRODUCTS
from domain.transform import transform_page
from erp_adapters.csv_files.adapter import CsvFilesAdapter
from pipeline import imports
from pipeline.load import LoadTarget
from quotas.ledger import Booking, Ledger
from records.erp import Entity
from tests.db import root_for, session_factory

# (owner, attribute): the boundaries of one batch, in the order they are crossed.
BOUNDARIES: tuple[tuple[Any, str], ...] = (
    (Booking, "reserve"),
    (pipeline.load, "upsert_frame"),
    (pipeline.load, "quarantine"),
    (pipeline.load.cursors, "save_cursor"),
    (Ledger, "commit"),
    (SessionTransaction, "commit"),  # what ``with session.begin():`` calls at the end of the block
)


class Crossings:
    """Counts boundary crossings (entries and exits); crossing number ``kill_at`` kills the process."""

    def __init__(self, kill_at: int | None) -> None:
        self.count = 0
        self.kill_at = kill_at

    def cross(self) -> None:
        self.count += 1
        if self.count == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def arm(self) -> None:
        for owner, name in BOUNDARIES:
            setattr(owner, name, self._wrap(getattr(owner, name)))

    def _wrap(self, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.cross()
            result = original(*args, **kwargs)
            self.cross()
            return result

        return wrapper


def import_entity(url: str, tenant_id: int, tenant: str, entity: str, batch_size: int, lease_seconds: int) -> None:
    """One run: every page from the saved cursor through transform and guarded load."""
    target = LoadTarget(session_factory(url), tenant_id, tenant, str(uuid.uuid4()), lease_seconds)
    imports.import_entity(target, entity, batch_size)


def _child(report: Connection, kill_at: int | None, args: tuple[Any, ...]) -> None:
    root_for(args[0]).engine.dispose(close=False)  # never reuse the parent's pooled connections
    crossings = Crossings(kill_at)
    crossings.arm()
    import_entity(*args)
    report.send(crossings.count)


def run_in_child(kill_at: int | None, *args: Any) -> tuple[int, int | None]:
    """Runs ``import_entity(*args)`` in a forked process. Returns its exit code (-9 when killed)
    and, when it finished, how many crossings it made."""
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(writer, kill_at, args))
    process.start()
    process.join(timeout=120)
    if process.exitcode is None:
        process.kill()
        raise TimeoutError(f"import with kill point {kill_at} did not finish in 120 s")
    return process.exitcode, reader.recv() if reader.poll() else None


def source_hashes(folder: Path) -> dict[str, str]:
    """What the shop must hold in the end: the export's valid rows, as the pipeline hashes them."""
    pages = CsvFilesAdapter(folder).fetch(Entity.PRODUCTS, None, 10_000)
    rows = [transform_page(page, PRODUCTS).rows for page in pages]
    return {sku: h for frame in rows for sku, h in zip(frame["sku"], frame["row_hash"], strict=True)}
