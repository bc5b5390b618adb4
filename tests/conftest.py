"""Test-wide fixtures: a uniquely named Postgres database per session, migrated once, dropped at
the end; a fresh SQLite file where the embedded default is under test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from prefect.testing.utilities import prefect_test_harness
from sqlalchemy.orm import Session, sessionmaker

from quotas.ledger import Ledger
from services.tenants import add_tenant
from shop import migrate
from tests.db import session_factory, unit_of_work

pytest_plugins = ["tests.tryton.server"]  # a real Tryton server, for the tryton adapter's tests


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow parts carry a marker, so that `pytest -m "not server and not tryton"` is the quick
    subset: ``server`` for the tests on a real Prefect server, ``tryton`` for those on trytond."""
    for item in items:
        if item.path.parent.name == "server":
            item.add_marker(pytest.mark.server)
        callspec = getattr(item, "callspec", None)
        on_tryton = callspec is not None and "tryton" in callspec.params.values()
        if on_tryton or "seeded_tryton_db" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.tryton)


PG_SERVER = os.environ.get("ERP_SYNC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with migrate.scratch_database(PG_SERVER, "erp_sync_test") as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture(params=["postgres", "sqlite"])
def any_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("pg_url" if request.param == "postgres" else "sqlite_url")


@pytest.fixture
def sessions(pg_url: str) -> sessionmaker[Session]:
    return session_factory(pg_url)


@pytest.fixture
def make_tenant(pg_url: str):  # type: ignore[no-untyped-def]
    """Create a tenant with a unique slug on the session database (tests share it, never rows)."""

    def make(plan: str = "starter", url: str = pg_url, **options: object) -> tuple[int, str]:
        slug = f"t-{uuid.uuid4().hex[:10]}"
        with unit_of_work(url) as session:
            tenant = add_tenant(
                session,
                slug,
                plan,
                erp_kind="csv_files",
                erp_options=dict(options),
                entities=["products"],
            )
            return tenant.id, slug

    return make


@pytest.fixture
def ledger(pg_url: str) -> Ledger:
    return Ledger(session_factory(pg_url), lease_seconds=60)


# Flows under test: small batches, so a few hundred rows span several batches.
E2E_BATCH_SIZE = 50


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A temporary Prefect server (SQLite) that the flows under test report to. The load tests
    put dozens of runs on it at once: its SQLite database gets more time per statement and the
    client more retries than a Postgres-backed production server needs."""
    patience = {"PREFECT_SERVER_DATABASE_TIMEOUT": "60", "PREFECT_CLIENT_MAX_RETRIES": "10"}
    with pytest.MonkeyPatch.context() as env:
        for name, value in patience.items():
            env.setenv(name, value)
        with prefect_test_harness(server_startup_timeout=90):
            yield


@pytest.fixture
def shop_env(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The flows read their settings from the environment: point them at the session database."""
    monkeypatch.setenv("ERP_SYNC_DATABASE_URL", pg_url)
    monkeypatch.setenv("ERP_SYNC_BATCH_SIZE", str(E2E_BATCH_SIZE))
    monkeypatch.delenv("ERP_SYNC_LEASE_SECONDS", raising=False)
    yield pg_url
