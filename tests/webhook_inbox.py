"""A webhook on loopback that records the JSON posted to it, for the notification tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookInbox:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200  # what it answers: 500 plays a receiver that is down
        self.url = ""

    @contextmanager
    def running(self) -> Iterator[WebhookInbox]:
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if inbox.status == 200:
                    inbox.received.append(json.loads(body or b"{}"))
                self.send_response(inbox.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:  # keep the test output quiet
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{server.server_port}/alerts"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
