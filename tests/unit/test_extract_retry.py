"""Extract retries a transient ERP fault from the last page handed over; bad sources never retry."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pandas as pd
import pytest

from erp_adapters.base import Capability
from erp_adapters.errors import ErpError, MalformedSource, TransientErpError
from pipeline.extract import Source
from records.erp import Cursor, Entity, Page


class FlakyErp:
    """Three pages; fetching page ``fail_at`` raises ``error`` the first ``failures`` times."""

    name: ClassVar[str] = "flaky"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.PRODUCTS, Capability.DELTA})

    def __init__(self, fail_at: int, failures: int, error: type[ErpError] = TransientErpError) -> None:
        self.fail_at, self.failures, self.error = fail_at, failures, error
        self.starts: list[int] = []

    def fetch(self, entity: Entity, since: Cursor | None, page_size: int) -> Iterator[Page]:
        start = since["next"] if since else 0
        self.starts.append(start)
        for number in range(start, 3):
            if number == self.fail_at and self.failures:
                self.failures -= 1
                raise self.error(f"page {number}: HTTP 503")
            yield Page(pd.DataFrame(), {}, "erp", first_row=number, cursor={"next": number + 1})

    def snapshot(self, entity: Entity, page_size: int) -> Iterator[Page]:
        return self.fetch(entity, None, page_size)

    def estimate(self, entity: Entity, since: Cursor | None) -> int | None:
        return 3

    def fields_for(self, entity: Entity, columns: Any) -> dict[str, str]:
        return {}


def read(erp: FlakyErp, pauses: list[float]) -> list[int]:
    return [page.first_row for page in Source(erp, None).pages("products", 10, sleep=pauses.append)]


def test_a_transient_fault_resumes_after_the_last_page_with_backoff() -> None:
    erp, pauses = FlakyErp(fail_at=1, failures=2), []
    assert read(erp, pauses) == [0, 1, 2]
    assert erp.starts == [0, 1, 1]
    assert 1 <= pauses[0] <= 1.5 and 5 <= pauses[1] <= 7.5


def test_a_fault_that_outlasts_the_retries_fails_the_run() -> None:
    pauses: list[float] = []
    with pytest.raises(TransientErpError):
        read(FlakyErp(fail_at=1, failures=4), pauses)
    assert len(pauses) == 3


def test_a_malformed_source_is_never_retried() -> None:
    pauses: list[float] = []
    with pytest.raises(MalformedSource):
        read(FlakyErp(fail_at=0, failures=1, error=MalformedSource), pauses)
    assert pauses == []
