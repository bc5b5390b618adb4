"""A tenant connected to a fake Odoo, its API key in an environment variable named per tenant."""

from __future__ import annotations

import pytest

from tests.fakes.erp_tenant import erp_tenant
from tests.fakes.odoo_server import FakeOdoo


def odoo_tenant(
    url: str,
    odoo: FakeOdoo,
    monkeypatch: pytest.MonkeyPatch,
    *,
    plan: str,
    entities: list[str],
    timeout: float,
    retries: int = 5,
    protocol: str = "jsonrpc",
) -> tuple[int, str]:
    options = {
        "url": odoo.url,
        "db": odoo.db,
        "username": odoo.login,
        "timeout": timeout,
        "backoff": 0.01,
        "retries": retries,
        "protocol": protocol,
    }
    return erp_tenant(url, "odoo", options, odoo.password, monkeypatch, plan=plan, entities=entities)
