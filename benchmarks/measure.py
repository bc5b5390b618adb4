"""Timing rounds, result rows and throwaway Postgres databases for the benchmark suite."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.root import process_root
from app.settings import Settings
from shop import migrate

PG_SERVER = os.environ.get("ERP_SYNC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


@dataclass
class Figure:
    """One row of the results table: a case's seconds per round for ``rows`` rows."""

    case: str
    rows: int
    seconds: list[float] = field(default_factory=list)
    note: str = ""
    extrapolated_from: int | None = None  # rows really written when the figure is extrapolated

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def rate(self) -> float:
        """Rows per second of the fastest round."""
        return self.rows / self.best


def timed(action: Callable[..., object], *args: Any, **kwargs: Any) -> float:
    start = time.perf_counter()
    action(*args, **kwargs)
    return time.perf_counter() - start


def rounds(case: str, rows: int, count: int, action: Callable[[], object], note: str = "") -> Figure:
    return Figure(case, rows, [timed(action) for _ in range(count)], note)


@contextmanager
def bench_database() -> Iterator[str]:
    """A migrated, empty Postgres database for one run of the suite, dropped afterwards; the
    flows are pointed at it."""
    with migrate.scratch_database(PG_SERVER, "erp_sync_bench") as url:
        use_database(url)
        yield url


def use_database(url: str) -> None:
    """Points the flows (which read their settings) at ``url``."""
    os.environ["ERP_SYNC_DATABASE_URL"] = url


@contextmanager
def shop_session(url: str) -> Iterator[Session]:
    """One transaction on the shop database at ``url``, through its composition root."""
    with process_root(Settings(database_url=url)).session() as session:
        yield session


def psql(url: str, sql: str) -> None:
    with shop_session(url) as session:
        session.execute(text(sql))
