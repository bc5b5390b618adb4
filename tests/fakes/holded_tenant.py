"""A tenant connected to a fake Holded, its API key in an environment variable named per tenant."""

from __future__ import annotations

import pytest

from tests.fakes.erp_tenant import erp_tenant
from tests.fakes.holded_server import FakeHolded


def holded_tenant(
    url: str,
    holded: FakeHolded,
    monkeypatch: pytest.MonkeyPatch,
    *,
    plan: str,
    entities: list[str],
    timeout: float = 5.0,
    retries: int = 3,
) -> tuple[int, str]:
    options = {"url": holded.url, "timeout": timeout, "backoff": 0.01, "retries": retries}
    return erp_tenant(url, "holded", options, holded.api_key, monkeypatch, plan=plan, entities=entities)
