"""Stop a run at a chosen point, deterministically: hold, in a transaction of the test's own, a
lock the run needs there, and wait until Postgres shows the run's connection waiting for it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, create_engine, text

from shop.models import ProductTemplate


@contextmanager
def held(url: str, statement: str, **values: object) -> Iterator[Connection]:
    """Run ``statement`` in a transaction left open for the block, then roll it back."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text(statement), values)
            yield connection
            connection.rollback()
    finally:
        engine.dispose()


def template_gate(tenant_id: int, code: str) -> tuple[str, dict[str, object]]:
    """An uncommitted product template: the batch that upserts the same code waits for it, after
    its reservation and before its write."""
    statement = (
        f"INSERT INTO {ProductTemplate.__tablename__} (tenant_id, code, name, row_hash) "
        "VALUES (:tenant_id, :code, 'gate', 'gate')"
    )
    return statement, {"tenant_id": tenant_id, "code": code}


def blocked_by(connection: Connection) -> int | None:
    """The backend that waits for a lock this connection holds, if one does."""
    return connection.execute(
        text("SELECT pid FROM pg_locks WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))")
    ).scalar()


def gone(connection: Connection, pid: int) -> bool:
    # pg_stat_activity is read once per transaction unless its snapshot is dropped.
    connection.execute(text("SELECT pg_stat_clear_snapshot()"))
    return not connection.execute(text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).first()
