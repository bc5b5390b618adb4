"""Per-tenant concurrency limits in the embedded mode (Prefect's temporary API, which never saw
`erp-sync server init`): the run creates its limit on demand, holds it strictly, gives it back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prefect import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.exceptions import ObjectNotFound

from devkit.samples import write_products

pytestmark = pytest.mark.usefixtures("prefect_harness", "shop_env")


def sync(slug: str) -> Any:
    from flows.sync_tenant import sync_tenant

    return sync_tenant(tenant=slug, return_state=True)


def test_a_run_creates_its_tenant_limit_and_releases_it(make_tenant: Any, tmp_path: Path) -> None:
    write_products(tmp_path, 20)
    _, slug = make_tenant(path=str(tmp_path))
    state = sync(slug)
    assert state.is_completed(), state
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(f"tenant:{slug}")
    assert (limit.limit, limit.active_slots) == (1, 0)


def test_a_limit_tuned_by_ops_is_kept(make_tenant: Any, tmp_path: Path) -> None:
    write_products(tmp_path, 5)
    _, slug = make_tenant(path=str(tmp_path))
    with get_client(sync_client=True) as client:
        client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=f"tenant:{slug}", limit=3))
    assert sync(slug).is_completed()
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(f"tenant:{slug}").limit == 3


def test_an_unknown_tenant_fails_at_once_and_creates_nothing() -> None:
    state = sync("no-such-shop")
    assert state.is_failed()
    assert "unknown tenant 'no-such-shop'" in str(state.message)
    with get_client(sync_client=True) as client, pytest.raises(ObjectNotFound):
        client.read_global_concurrency_limit_by_name("tenant:no-such-shop")
