"""The console app on the session's Postgres database, behind FastAPI's test client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.settings import Settings
from console.app import create_app
from tests.console_helpers import OPS


@pytest.fixture
def client(pg_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=pg_url, console_ops_token=OPS, console_cookie_secret="c" * 32)
    with TestClient(create_app(settings)) as test_client:
        yield test_client
