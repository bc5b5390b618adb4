"""A per-endpoint rate limit: calls to one ERP server are spaced, across every client of this
process, so that parallel imports of one tenant (or several tenants on one server) never send it
more than the agreed number of calls per second."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

_lock = threading.Lock()
_next_slot: dict[str, float] = {}  # endpoint -> monotonic time of its next free slot


def endpoint_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def wait_for_slot(endpoint: str, per_second: float) -> None:
    """Block until this call's slot; ``per_second`` <= 0 means no limit."""
    if per_second <= 0:
        return
    with _lock:
        now = time.monotonic()
        slot = max(now, _next_slot.get(endpoint, now))
        _next_slot[endpoint] = slot + 1 / per_second
    time.sleep(slot - now)
