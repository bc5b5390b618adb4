"""Known, user-fixable errors are logged as one line; unexpected ones keep their traceback."""

from __future__ import annotations

import logging
import sys

import pytest

from erp_adapters.errors import MalformedSource
from flows.reporting import OneLineKnownErrors
from records.errors import NotFound


def record_for(exc: Exception) -> logging.LogRecord:
    try:
        raise exc
    except Exception:
        info = sys.exc_info()
    return logging.LogRecord("prefect.task_runs", logging.ERROR, __file__, 1, "failed", (), info)


@pytest.mark.parametrize("exc", [MalformedSource("products.csv: no column for 'sku'"), NotFound("unknown tenant")])
def test_known_errors_lose_the_traceback(exc: Exception) -> None:
    record = record_for(exc)
    assert OneLineKnownErrors().filter(record) is True
    assert record.exc_info is None


def test_unexpected_errors_keep_it() -> None:
    record = record_for(KeyError("template_name"))
    assert OneLineKnownErrors().filter(record) is True
    assert record.exc_info is not None and record.exc_info[0] is KeyError
