"""A tenant connected to an ERP over HTTP, its secret in an environment variable named per tenant."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.tenants import add_tenant
from tests.db import unit_of_work


def erp_tenant(
    url: str,
    kind: str,
    options: dict[str, Any],
    secret: str,
    monkeypatch: pytest.MonkeyPatch,
    *,
    plan: str,
    entities: list[str],
) -> tuple[int, str]:
    """(tenant id, slug) of a new tenant of ``kind`` whose secret holds ``secret``."""
    secret_name = f"{kind.upper()}_KEY_{uuid.uuid4().hex[:8].upper()}"
    monkeypatch.setenv(secret_name, secret)
    slug = f"{kind[0]}-{uuid.uuid4().hex[:10]}"
    with unit_of_work(url) as session:
        tenant = add_tenant(
            session, slug, plan, erp_kind=kind, erp_options=options, entities=entities, secret_name=secret_name
        )
        return tenant.id, slug
