"""Transport faults between the adapter and a real Tryton: a loopback proxy in front of trytond
answers chosen calls with 503 or 429, or forwards a call and drops Tryton's answer."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from erp_adapters.errors import TransientErpError
from erp_adapters.registry import create_adapter
from records.erp import Entity
from records.orders import ShopOrder, ShopOrderLine
from tests.tryton.server import ADMIN_PASSWORD, TrytonServer


@dataclass(frozen=True)
class Fault:
    method: str | None = None  # the JSON-RPC method it hits; None: the next call, whatever it is
    status: int | None = None  # answer this instead of forwarding
    retry_after: int | None = None
    drop_answer: bool = False  # forward to Tryton, then close the connection without answering
    delay: float = 0.0  # seconds to hold the call before handling it


class FaultyProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.faults: list[Fault] = []
        self.calls: list[str] = []  # JSON-RPC methods received, faulted or not
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def _take(self, method: str) -> Fault | None:
        with self._lock:
            self.calls.append(method)
            for fault in self.faults:
                if fault.method in (None, method):
                    self.faults.remove(fault)
                    return fault
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                fault = proxy._take(json.loads(body)["method"])
                if fault is not None:
                    time.sleep(fault.delay)
                if fault is not None and fault.status is not None:
                    self.send_response(fault.status)
                    if fault.retry_after is not None:
                        self.send_header("Retry-After", str(fault.retry_after))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                headers = {k: v for k, v in self.headers.items() if k in ("Content-Type", "Authorization")}
                answer = requests.post(proxy.upstream + self.path, data=body, headers=headers, timeout=60)
                if fault is not None and fault.drop_answer:
                    self.close_connection = True  # Tryton has committed; the client never hears
                    return
                self.send_response(answer.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def __enter__(self) -> FaultyProxy:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def proxy(tryton_server: TrytonServer) -> Iterator[FaultyProxy]:
    with FaultyProxy(tryton_server.url) as running:
        yield running


def through(proxy: FaultyProxy, server: TrytonServer, **options: Any) -> Any:
    return create_adapter("tryton", {**server.options(**options), "url": proxy.url, "password": ADMIN_PASSWORD})


def test_reads_ride_out_503s_and_a_429_honouring_its_retry_after(
    proxy: FaultyProxy, tryton_server: TrytonServer
) -> None:
    proxy.faults = [Fault(status=503), Fault(status=503), Fault(status=429, retry_after=1)]
    source = through(proxy, tryton_server, retries=3)
    started = time.monotonic()

    assert source.estimate(Entity.SALES_REPS, None) == 4

    assert time.monotonic() - started >= 1.0  # the Retry-After second was waited
    assert proxy.calls[:4] == ["common.db.login"] * 4  # three faults, then the login that worked


def test_a_read_that_times_out_is_sent_again(proxy: FaultyProxy, tryton_server: TrytonServer) -> None:
    source = through(proxy, tryton_server, timeout_seconds=0.5, retries=1)
    source.estimate(Entity.SALES_REPS, None)
    proxy.faults = [Fault(method="model.company.employee.search_count", delay=1.5)]

    assert source.estimate(Entity.SALES_REPS, None) == 4

    assert proxy.calls.count("model.company.employee.search_count") == 3  # the first, timed out, resent


def test_an_expired_session_logs_in_again_and_the_call_goes_through(
    proxy: FaultyProxy, tryton_server: TrytonServer
) -> None:
    source = through(proxy, tryton_server)
    assert source.estimate(Entity.SALES_REPS, None) == 4
    proxy.faults = [Fault(method="model.company.employee.search_count", status=401)]

    assert source.estimate(Entity.SALES_REPS, None) == 4

    assert proxy.calls.count("common.db.login") == 2
    assert proxy.calls.count("model.company.employee.search_count") == 3  # one refused, then resent


def test_calls_to_one_server_are_spaced_by_its_rate_limit_across_clients(
    proxy: FaultyProxy, tryton_server: TrytonServer
) -> None:
    first, second = (through(proxy, tryton_server, calls_per_second=10) for _ in range(2))
    first.estimate(Entity.SALES_REPS, None)  # logged in: from here on, one call per estimate
    second.estimate(Entity.SALES_REPS, None)
    started = time.monotonic()

    for _ in range(5):
        first.estimate(Entity.SALES_REPS, None)
        second.estimate(Entity.SALES_REPS, None)

    assert time.monotonic() - started >= 0.9  # ten calls at ten a second, whichever client made them


def test_a_server_that_stays_down_fails_with_one_transient_line(
    proxy: FaultyProxy, tryton_server: TrytonServer
) -> None:
    proxy.faults = [Fault(status=503)] * 5
    source = through(proxy, tryton_server, retries=2)

    with pytest.raises(TransientErpError) as failed:
        source.estimate(Entity.SALES_REPS, None)

    assert str(failed.value) == "tryton answered 503 to common.db.login after 2 retries"
    assert len(proxy.calls) == 3  # bounded: the first try and two retries


def test_a_create_whose_answer_is_lost_is_not_resent_and_the_next_push_finds_the_sale(
    proxy: FaultyProxy, tryton_server: TrytonServer
) -> None:
    source = through(proxy, tryton_server)
    order = ShopOrder(
        "SHOP-LOST-1", "C0100", dt.datetime(2026, 11, 21), (ShopOrderLine("T0005-1", Decimal(3), Decimal(4)),)
    )
    proxy.faults = [Fault(method="model.sale.sale.create", drop_answer=True)]

    with pytest.raises(TransientErpError, match="unreachable: ConnectionError"):
        source.push_order(order, order.number)
    number = source.push_order(order, order.number)  # the caller's retry finds the draft and confirms it

    assert proxy.calls.count("model.sale.sale.create") == 1
    sales = tryton_server.client().search_read(
        "sale.sale", [["reference", "=", order.number]], None, ["number", "state"]
    )
    assert [(sale["number"], sale["state"]) for sale in sales] == [(number, "processing")]
