"""Engines and sessions for the shop database (SQLite embedded default or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker


def _prepare_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling defers the write lock until the first write, so two
    # threads can both read and then deadlock on upgrade. Taking the write lock at BEGIN makes
    # every transaction serialisable, which the ledger relies on (the documented SQLAlchemy recipe).
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


POSTGRES_DRIVER = "postgresql+psycopg"


def create_shop_engine(url: str) -> Engine:
    """The shop database's engine; the composition root (``app.root``) makes one per database and
    process, migrations a short-lived one of their own.

    Every Postgres URL (``postgresql://``, ``postgresql+psycopg2://``) runs on psycopg 3: the bulk
    writes rely on its binary COPY, and one driver means one code path to test.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        _prepare_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername=POSTGRES_DRIVER)
    return create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose transaction commits when the block ends normally and rolls back otherwise."""
    with sessions() as session, session.begin():
        yield session


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
