"""Which global concurrency limits a tenant's runs hold."""

from __future__ import annotations

from flows.concurrency import limits_for


def test_a_file_drop_tenant_holds_only_its_own_limit() -> None:
    assert limits_for("acme", {"path": "/srv/drops/acme"}) == {"tenant:acme": 1}


def test_a_networked_erp_adds_one_limit_per_host() -> None:
    by_url = limits_for("acme", {"url": "https://ERP.Example.com:8000/jsonrpc"})
    assert by_url == {"tenant:acme": 1, "erp:erp.example.com": 2}
    assert limits_for("bravo", {"host": "erp.example.com"})["erp:erp.example.com"] == 2
