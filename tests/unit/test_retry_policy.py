"""Batches retry on transient faults only: never on bad data or a quota stop."""

from __future__ import annotations

import asyncio

import pytest
from prefect.states import Completed, exception_to_failed_state
from sqlalchemy.exc import OperationalError

from erp_adapters.errors import MalformedSource, TransientErpError
from quotas.errors import LeaseExpired, QuotaExceeded
from tasks.retry import is_transient


@pytest.mark.parametrize(
    ("exc", "retry"),
    [
        (OperationalError("SELECT 1", {}, Exception("server closed the connection")), True),
        (LeaseExpired("reservation 7 is no longer open"), True),
        (TransientErpError("HTTP 503 from the ERP"), True),
        (MalformedSource("products.csv: no column for required field 'sku'"), False),
        (QuotaExceeded("acme", "credits", 10, 10), False),
        (ValueError("a bug"), False),
    ],
)
def test_only_transient_failures_are_retried(exc: Exception, retry: bool) -> None:
    state = asyncio.run(exception_to_failed_state(exc))
    assert is_transient(None, None, state) is retry


def test_a_completed_state_is_not_retried() -> None:
    assert is_transient(None, None, Completed()) is False
