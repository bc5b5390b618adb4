"""A tenant connected to a fake Odoo, its API key in an environment variable named per tenant."""

from __future__ import annotations

import uuid

import pytest

from services.tenants import add_tenant
from tests.db import unit_of_work
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
) -> tuple[int, str]:
    secret = f"ODOO_KEY_{uuid.uuid4().hex[:8].upper()}"
    monkeypatch.setenv(secret, odoo.password)
    slug = f"o-{uuid.uuid4().hex[:10]}"
    options = {
        "url": odoo.url,
        "db": odoo.db,
        "username": odoo.login,
        "timeout": timeout,
        "backoff": 0.01,
        "retries": retries,
    }
    with unit_of_work(url) as session:
        tenant = add_tenant(
            session, slug, plan, erp_kind="odoo", erp_options=options, entities=entities, secret_name=secret
        )
        return tenant.id, slug
