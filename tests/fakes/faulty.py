"""What the fake ERPs share: faults scheduled call by call or drawn at random, every call counted
and stamped with its arrival, and a threaded HTTP server on loopback that shrugs off the resets
and hang-ups the faults cause."""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar


@dataclass
class FaultyErp:
    """A fake ERP's fault plan and call log; a subclass names its faults in ``FAULTS``."""

    FAULTS: ClassVar[tuple[str, ...]] = ()
    slow_seconds: float = 1.0  # how late a timed-out answer comes
    retry_after: int = 1  # seconds a 429 asks the client to wait
    calls: Counter[str] = field(default_factory=Counter)
    stamps: list[tuple[str, float]] = field(default_factory=list)  # (call, time.monotonic() on arrival)
    injected: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._lock = threading.RLock()  # reentrant: set-up helpers call one another
        self._scheduled: deque[tuple[str | None, str]] = deque()  # (fault or None to answer, call)
        self._chaos: dict[str, float] = {}
        self._chaos_calls: tuple[str, ...] = ()
        self._rng = random.Random(0)

    def schedule(self, fault: str, call: str, times: int = 1, after: int = 0) -> None:
        """The ``times`` calls of ``call`` that follow the next ``after`` ones fail with ``fault``."""
        assert fault in self.FAULTS, fault
        with self._lock:
            self._scheduled.extend([(None, call)] * after + [(fault, call)] * times)

    def chaos(self, rates: dict[str, float], calls: tuple[str, ...], seed: int = 7) -> None:
        """Each call of ``calls`` fails with each fault at its rate (repeatable with the seed)."""
        assert set(rates) <= set(self.FAULTS), rates
        self._chaos, self._chaos_calls, self._rng = dict(rates), calls, random.Random(seed)

    def calm(self) -> None:
        self._chaos, self._scheduled = {}, deque()

    def times_of(self, call: str) -> list[float]:
        """When each ``call`` arrived (monotonic seconds), in order."""
        with self._lock:
            return [at for name, at in self.stamps if name == call]

    def arrived(self, call: str) -> None:
        with self._lock:
            self.calls[call] += 1
            self.stamps.append((call, time.monotonic()))

    def fault_for(self, call: str) -> str | None:
        """The fault this call of ``call`` meets, if any: a scheduled one first, then chaos."""
        with self._lock:
            for index, (fault, target) in enumerate(self._scheduled):
                if target == call:
                    del self._scheduled[index]
                    if fault is not None:
                        self.injected[fault] += 1
                    return fault
            if call in self._chaos_calls:
                draw = self._rng.random()
                for fault, rate in self._chaos.items():
                    if draw < rate:
                        self.injected[fault] += 1
                        return fault
                    draw -= rate
        return None


@contextmanager
def serving(
    handler: type[BaseHTTPRequestHandler], on_stop: Callable[[], None] = lambda: None
) -> Iterator[ThreadingHTTPServer]:
    """``handler`` served on a free loopback port until the block ends (``on_stop`` first, to
    release answers a fault holds back)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]  # resets are the point
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        on_stop()
        server.shutdown()
        server.server_close()


# The faults every fake ERP can be told to answer with; each adds its own.
COMMON_FAULTS = (
    "timeout_after_commit",  # do the work, then answer later than the client waits
    "commit_late",  # wait, then do the work and answer: the client may have given up already
    "http_500",
    "http_502",
    "http_503",
    "reset",  # close the connection without an answer, without doing anything
    "rate_limited",  # 429 with Retry-After, without doing anything
    "truncated",  # announce the whole answer, send half of it and hang up
    "not_json",  # an HTML page with 200, as a proxy (or a wrong path) gives
    "repeat_page",  # the previous answer to the same call again, whatever was asked
)
HTTP_STATUS_FAULTS = {"http_500": 500, "http_502": 502, "http_503": 503}


class FaultyHandler(BaseHTTPRequestHandler):
    """A fake ERP's request handler: quiet, and able to reset the connection or cut an answer."""

    def log_message(self, format: str, *args: object) -> None:  # quiet: tests read counters
        return

    def reset(self) -> None:
        """Close the connection with a TCP reset, no answer sent."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def send_bytes(
        self,
        status: int,
        payload: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        *,
        truncated: bool = False,
    ) -> None:
        """Send the answer; a truncated one announces its whole length, sends half and hangs up."""
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2] if truncated else payload)
        except OSError:  # the client gave up waiting: exactly the case being simulated
            pass
        self.close_connection = self.close_connection or truncated
