"""A quota stop is not an error: the engine a worker runs reads the flow's result after it ends,
and a Cancelled state raises CancelledRun there, which Prefect logs at ERROR with a traceback.
The flows' log filter drops that line. Run here as the worker's engine runs it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from prefect import flow
from prefect.exceptions import CancelledRun
from prefect.flow_engine import run_flow
from prefect.states import Cancelled, State

from flows.reporting import OneLineKnownErrors, install_log_filter

pytestmark = pytest.mark.usefixtures("prefect_harness")
ENGINE_LOGGER = logging.getLogger("prefect.flow_runs")  # what the engine's run logger writes to


@flow(name="quota-stop")
def stops_at_the_ceiling() -> State:
    install_log_filter()  # as every tenant flow does when it starts
    return Cancelled(name="CreditCeiling", message="1,000/1,000 credits used; 408 new records not imported")


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def engine_log() -> Iterator[Kept]:
    kept = Kept()
    ENGINE_LOGGER.addHandler(kept)
    try:
        yield kept
    finally:
        ENGINE_LOGGER.removeHandler(kept)


def run_as_a_worker_does() -> None:
    with pytest.raises(CancelledRun, match="1,000/1,000 credits used"):
        run_flow(stops_at_the_ceiling, error_logger=ENGINE_LOGGER)  # type: ignore[arg-type]


def test_a_quota_stop_logs_no_error(engine_log: Kept) -> None:
    run_as_a_worker_does()
    errors = [r.getMessage() for r in engine_log.records if r.levelno >= logging.ERROR]
    assert errors == []
    assert any("CreditCeiling" in r.getMessage() for r in engine_log.records)  # the end is still logged


def test_without_the_filter_the_engine_logs_it_as_an_error(engine_log: Kept, monkeypatch: pytest.MonkeyPatch) -> None:
    run_as_a_worker_does()  # installs the filter, then it is taken away for the second run
    monkeypatch.setattr(
        ENGINE_LOGGER, "filters", [f for f in ENGINE_LOGGER.filters if not isinstance(f, OneLineKnownErrors)]
    )
    monkeypatch.setitem(stops_at_the_ceiling.fn.__globals__, "install_log_filter", lambda: None)
    engine_log.records.clear()
    run_as_a_worker_does()
    assert [r.getMessage() for r in engine_log.records if r.levelno >= logging.ERROR] == [
        "Engine execution exited with unexpected exception"
    ]
