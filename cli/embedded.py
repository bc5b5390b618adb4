"""Commands that run flows without a Prefect server share Prefect's temporary local API, whose
database lives under ``PREFECT_HOME``. Its concurrency slots outlive a killed command: the API
keeps their leases in memory and revokes none. So every such command holds a shared lock on a
file next to that database while it runs, and the kernel drops a dead command's lock. A command
that finds the lock free (no other command is running) knows that every slot still taken is a
dead command's, and gives them back before it starts."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cli._output import err


@contextmanager
def embedded_runs() -> Iterator[None]:
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME  # Prefect loads only when a flow runs

    from flows.heartbeat import unwatched_runs

    if PREFECT_API_URL.value():  # a server revokes expired leases itself
        yield
        return
    home = Path(PREFECT_HOME.value())
    home.mkdir(parents=True, exist_ok=True)
    with (home / "erp-sync-runs.lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # other commands are running: their slots are live
        else:
            _release_orphans()
        # Shared from here on. A command that tries its exclusive lock in between finds nothing
        # of this one's to release: it takes its slots only inside the block.
        fcntl.flock(lock, fcntl.LOCK_SH)
        with unwatched_runs():  # the temporary API has no automation to hear heartbeats
            yield


def _release_orphans() -> None:
    from prefect import get_client

    from flows.concurrency import release_orphaned_slots

    with get_client(sync_client=True) as client:
        released = release_orphaned_slots(client)
    if released:
        err.print(f"gave back the slots of a command that was stopped: {', '.join(released)}", highlight=False)
