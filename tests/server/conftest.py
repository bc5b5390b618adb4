"""A real Prefect server for the module: `prefect server start` on a free loopback port, its
database a fresh Postgres database, a shop database of its own (the dispatcher scans every tenant,
so it must not see the other tests' tenants), and one process worker with short poll intervals.
Everything started here is stopped and dropped at the end."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import create_engine, make_url, text

from shop import migrate
from shop.db import get_engine
from tests.conftest import PG_SERVER

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Ops:
    """What a test needs to act like ops: the environment of the `erp-sync` and `prefect` commands."""

    api_url: str
    shop_url: str
    env: dict[str, str]
    timings: dict[str, float]

    def cli(self, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([BIN / "erp-sync", *args], env=self.env, capture_output=True, text=True, check=False)
        assert result.returncode == expect, f"erp-sync {' '.join(args)} → {result.returncode}\n{result.stderr}"
        return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    # A session of its own, so stopping it also stops the flow-run processes a worker started.
    return subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_healthy(api_url: str, server: subprocess.Popen[bytes], log: Path, deadline_s: float = 90) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"prefect server exited {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{api_url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"prefect server not healthy after {deadline_s} s:\n{log.read_text()[-3000:]}")


def create_database(name: str) -> str:
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{PG_SERVER}/{name}"


def drop_database(name: str) -> None:
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def ops(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ops]:
    home = tmp_path_factory.mktemp("prefect-server")
    suffix = uuid.uuid4().hex[:10]
    prefect_db, shop_db = f"erp_sync_prefect_{suffix}", f"erp_sync_shop_{suffix}"
    prefect_url = make_url(create_database(prefect_db)).set(drivername="postgresql+asyncpg").render_as_string(False)
    shop_url = create_database(shop_db)
    api_url = f"http://127.0.0.1:{free_port()}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_DATABASE_CONNECTION_URL": prefect_url,
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "1",
        "ERP_SYNC_DATABASE_URL": shop_url,
        "ERP_SYNC_BATCH_SIZE": "100",
        # A killed run's quota reservations come back after this; batches take well under it.
        "ERP_SYNC_LEASE_SECONDS": "20",
        # As the README's production set-up: leases survive a server restart.
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect.server.concurrency.lease_storage.filesystem",
        "PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS": "1",  # expired leases freed within 1 s, not 15
    }
    processes: list[subprocess.Popen[bytes]] = []
    timings: dict[str, float] = {}
    try:
        migrate.upgrade(shop_url)
        started = time.monotonic()
        port = api_url.split(":")[2].split("/")[0]
        server = start(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", port],
            env,
            home / "server.log",
        )
        processes.append(server)
        wait_healthy(api_url, server, home / "server.log")
        timings["server start (s)"] = time.monotonic() - started
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            yield Ops(api_url, shop_url, env, timings)
    finally:
        for process in reversed(processes):
            stop(process)
        get_engine(shop_url).dispose()
        drop_database(prefect_db)
        drop_database(shop_db)
        print("\nprefect server timings:", {k: round(v, 2) for k, v in timings.items()})


@pytest.fixture(scope="module")
def worker(ops: Ops) -> Iterator[None]:
    """One process worker running up to four flow runs at a time."""
    log = Path(ops.env["PREFECT_HOME"]) / "worker.log"
    process = start([str(BIN / "prefect"), "worker", "start", "--pool", "erp-sync", "--limit", "4"], ops.env, log)
    try:
        yield
    finally:
        stop(process)
