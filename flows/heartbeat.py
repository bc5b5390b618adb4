"""The heartbeats the *unresponsive run* automation watches, without rounding every run up.

Prefect beats for each flow run from a thread of its own that sleeps in 1 s steps and is joined
when the run ends, so every run lasted a whole number of seconds: a no-change import 1.07 s
instead of 0.11 s, and a sync once more for each of its import subflows. Here:

- a run started by the worker (the pool sets ``PREFECT_FLOWS_HEARTBEAT_FREQUENCY``) keeps
  Prefect's heartbeats; nothing else can beat before its flow's code is loaded;
- the subflows it starts have Prefect's turned off, and one daemon thread per process beats
  for them at the same interval. Nothing waits for it, so a subflow ends when its work does;
- a run on Prefect's temporary local API (``unwatched_runs``), which no automation watches,
  sends none.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from prefect import __version__ as prefect_version
from prefect.context import FlowRunContext
from prefect.events import emit_event
from prefect.events.related import tags_as_related_resources
from prefect.events.schemas.events import RelatedResource
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings

R = TypeVar("R")
log = logging.getLogger(__name__)

HEARTBEAT_EVENT = "prefect.flow-run.heartbeat"  # Prefect's own name, which the automation expects
_interval: ContextVar[int | None] = ContextVar("erp_sync_heartbeat_seconds", default=None)


@contextmanager
def unwatched_runs() -> Iterator[None]:
    """Flow runs started inside send no heartbeats: for runs on Prefect's temporary local API,
    which has no automation to watch them."""
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


class _Beats:
    """The flow runs of this process that we beat for, and the one thread that beats."""

    def __init__(self) -> None:
        self._runs: dict[str, tuple[dict[str, str], list[RelatedResource]]] = {}
        self._lock = threading.Lock()  # held while beating: a run that has left gets no beat after
        self._sooner = threading.Event()  # the interval changed: wait anew, for the new one
        self._thread: threading.Thread | None = None
        self.seconds = 0

    def join(self, run_id: str, resource: dict[str, str], related: list[RelatedResource], seconds: int) -> None:
        with self._lock:
            self._runs[run_id] = (resource, related)
            _send(resource, related)  # its first beat as it starts, as Prefect's: even a short run is seen
            if self._thread is None:
                self.seconds = seconds
                self._thread = threading.Thread(target=self._beat, name="erp-sync heartbeats", daemon=True)
                self._thread.start()
            elif seconds != self.seconds:
                self.seconds = seconds
                self._sooner.set()

    def leave(self, run_id: str) -> None:
        with self._lock:
            self._runs.pop(run_id, None)

    def _beat(self) -> None:
        # Never joined (a daemon), so its waits delay no run's end.
        while True:
            sooner = self._sooner.wait(self.seconds)
            self._sooner.clear()
            if sooner:  # wait again, for the new interval: each run got its first beat as it joined
                continue
            with self._lock:
                for resource, related in self._runs.values():
                    _send(resource, related)


def _send(resource: dict[str, str], related: list[RelatedResource]) -> None:
    try:
        emit_event(event=HEARTBEAT_EVENT, resource=resource, related=related)
    except Exception:  # one beat lost must not stop the beating: the next one may pass
        log.warning("could not send a heartbeat for %s", resource["prefect.resource.name"], exc_info=True)


_beats = _Beats()


def beating(body: Callable[..., R]) -> Callable[..., R]:
    """Heartbeats for the flow run of ``body``, and for the runs it starts, as the module says."""

    @functools.wraps(body)  # Prefect reads the parameters through __wrapped__
    def run(*args: Any, **kwargs: Any) -> R:
        prefects = get_current_settings().flows.heartbeat_frequency  # Prefect beats this run at this
        seconds = prefects or _interval.get()
        context = FlowRunContext.get()
        if seconds is None or context is None or context.flow_run is None:
            return body(*args, **kwargs)
        run_id = str(context.flow_run.id)
        token = _interval.set(seconds)
        try:
            # Prefect's beats off for the runs started here (ours to beat for); a new settings
            # context costs tens of milliseconds, so only when they are on.
            with unwatched_runs() if prefects is not None else contextlib.nullcontext():
                if prefects is None:
                    _beats.join(run_id, *_event_template(context), seconds)
                try:
                    return body(*args, **kwargs)
                finally:
                    _beats.leave(run_id)
        finally:
            _interval.reset(token)

    return run


def _event_template(context: FlowRunContext) -> tuple[dict[str, str], list[RelatedResource]]:
    """The resource and related resources Prefect's own heartbeat names."""
    flow_run = context.flow_run
    assert flow_run is not None  # checked by the caller
    resource = {
        "prefect.resource.id": f"prefect.flow-run.{flow_run.id}",
        "prefect.resource.name": flow_run.name or "",
        "prefect.version": prefect_version,
    }
    related = [
        RelatedResource.model_validate(
            {
                "prefect.resource.id": f"prefect.flow.{flow_run.flow_id}",
                "prefect.resource.role": "flow",
                "prefect.resource.name": context.flow.name if context.flow else "",
            }
        )
    ]
    if flow_run.deployment_id:
        related.append(
            RelatedResource.model_validate(
                {
                    "prefect.resource.id": f"prefect.deployment.{flow_run.deployment_id}",
                    "prefect.resource.role": "deployment",
                }
            )
        )
    return resource, related + tags_as_related_resources(set(flow_run.tags or []))
