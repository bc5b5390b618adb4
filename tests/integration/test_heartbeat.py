"""The heartbeats the unresponsive-run automation watches (flows/heartbeat.py): a run the worker
starts keeps Prefect's; the subflows it starts get ours instead, while they work and not after,
and none of Prefect's (whose thread made each of them end on a whole second); a run on the
temporary local API sends none."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from prefect import flow
from prefect.context import FlowRunContext
from prefect.events import Event
from prefect.events.clients import AssertingEventsClient
from prefect.events.worker import EventsWorker
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings

from flows import heartbeat
from flows.heartbeat import HEARTBEAT_EVENT, beating, unwatched_runs
from tests.waiting import wait_until

Sent = Callable[[], list[Event]]


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sent, EventsWorker]]:
    """Every event the flows emit, caught as Prefect's own tests catch them
    (``asserting_events_worker`` in prefect.testing.fixtures)."""
    AssertingEventsClient.reset()
    worker = EventsWorker.instance(AssertingEventsClient)
    monkeypatch.setattr(EventsWorker, "instance", lambda *_: worker)
    try:
        yield (lambda: [event for client in list(AssertingEventsClient.all) for event in list(client.events)]), worker
    finally:
        AssertingEventsClient.reset()


def beats(sent: Sent, run_id: str) -> int:
    resource = f"prefect.flow-run.{run_id}"
    return sum(1 for event in sent() if event.event == HEARTBEAT_EVENT and event.resource.id == resource)


def this_run() -> str:
    context = FlowRunContext.get()
    assert context is not None and context.flow_run is not None
    return str(context.flow_run.id)


def test_heartbeats(prefect_harness: None, sent: tuple[Sent, EventsWorker]) -> None:
    events, worker = sent

    def working(until_beats: int) -> str:
        run_id = this_run()
        wait_until(lambda: beats(events, run_id) >= until_beats, timeout=30, what=f"{until_beats} heartbeats")
        return run_id

    prefects: dict[str, int | None] = {}  # the heartbeat interval Prefect's engine saw, by run

    @flow(name="beating-child")
    @beating
    def child(until_beats: int) -> str:
        prefects[this_run()] = get_current_settings().flows.heartbeat_frequency
        return working(until_beats)

    @flow(name="beating-parent")
    @beating
    def parent(until_beats: int) -> tuple[str, str]:
        return this_run(), child(until_beats)

    # A run the worker starts (the pool sets Prefect's heartbeat): Prefect beats for it, once at
    # its start, and we for its subflow, once at its start, with Prefect's turned off for it. Our
    # thread now waits 10 minutes between beats.
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 600}):
        top_id, sub_id = parent(0)

    # Runs started inside a run beating every second (Prefect's minimum is 30 s, too slow to wait
    # for here): ours beat for both, from their start and while they work, without first
    # finishing the thread's 10-minute wait...
    with unwatched_runs():
        token = heartbeat._interval.set(1)
        try:
            parent_id, child_id = parent(2)
            ended = {run_id: beats(events, run_id) for run_id in (parent_id, child_id)}
            assert ended[parent_id] >= 2 and ended[child_id] >= 2
            later_id = parent(2)[1]  # the beating went round at least once after the others ended
        finally:
            heartbeat._interval.reset(token)
        # ...and not after they end.
        assert {run_id: beats(events, run_id) for run_id in ended} == ended
        quiet_id = parent(0)[1]  # nobody watches: no beats
    beat = next(e for e in events() if e.event == HEARTBEAT_EVENT and e.resource.id.endswith(later_id))
    assert beat.resource.name and beat.resource.get("prefect.version")
    assert beat.related[0].role == "flow" and beat.related[0].name == "beating-child"

    worker.drain()  # every event emitted so far has reached the client
    assert (beats(events, top_id), beats(events, sub_id), beats(events, quiet_id)) == (1, 1, 0)
    assert prefects[sub_id] is None  # so the beat is ours, and Prefect started no thread to join
    assert prefects[child_id] is None
