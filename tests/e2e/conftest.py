"""End-to-end fixtures: a throw-away Prefect API for the session, and the shop settings pointed at
the session's Postgres database with small batches, so a few hundred rows span several batches."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prefect.testing.utilities import prefect_test_harness

from shop.settings import get_settings

E2E_BATCH_SIZE = 50


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """A temporary Prefect server (SQLite) that the flows of tests/e2e report to."""
    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture
def shop_env(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The flows read their settings from the environment: point them at the session database."""
    monkeypatch.setenv("ERP_SYNC_DATABASE_URL", pg_url)
    monkeypatch.setenv("ERP_SYNC_BATCH_SIZE", str(E2E_BATCH_SIZE))
    monkeypatch.delenv("ERP_SYNC_LEASE_SECONDS", raising=False)
    get_settings.cache_clear()
    yield pg_url
    get_settings.cache_clear()
