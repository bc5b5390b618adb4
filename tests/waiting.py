"""Waiting for something that happens in the background (Prefect shipping logs, a lease running
out, a worker making progress): poll a condition until it holds or a deadline passes. Never a
fixed sleep, which is too long on a quiet machine and too short on a busy one."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T | None], timeout: float = 60, what: str = "the condition", every: float = 0.1
) -> T:
    """Call ``predicate`` until it returns something truthy, and return that. After ``timeout``
    seconds, raise AssertionError naming ``what`` was waited for and the last value seen. An
    exception the predicate raises (an assertion that the thing waited on died) ends the wait."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"waited {timeout:g} s for {what}; last seen: {value!r:.500}")
        time.sleep(every)
