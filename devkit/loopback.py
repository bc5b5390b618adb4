"""A throwaway Prefect server on loopback, for the server tests and the scale benchmark.

`prefect server start` on a free port, backed by a fresh Postgres database of its own, and process
workers started with Prefect's own command: the production set-up of the README on one machine.
Everything started here is stopped, and the database dropped, when the block ends.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import make_url

from deployments.server import POOL
from shop.migrate import scratch_database

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class LocalServer:
    api_url: str
    env: dict[str, str]  # of every command and worker that talks to it
    home: Path  # PREFECT_HOME, where the logs of the server and its workers go


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
            raise RuntimeError(f"prefect server exited {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{api_url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"prefect server not healthy after {deadline_s} s:\n{log.read_text()[-3000:]}")


@contextmanager
def prefect_server(pg_server: str, home: Path, settings: dict[str, str]) -> Iterator[LocalServer]:
    """A server whose database is a new one on ``pg_server`` (a URL without a database name);
    ``settings`` add to or override the environment of the server and of everything given
    ``LocalServer.env``."""
    with scratch_database(pg_server, "erp_sync_prefect", migrated=False) as url:
        api_url = f"http://127.0.0.1:{free_port()}/api"
        env = {
            **os.environ,
            "PREFECT_HOME": str(home),
            "PREFECT_API_URL": api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_API_DATABASE_CONNECTION_URL": make_url(url)
            .set(drivername="postgresql+asyncpg")
            .render_as_string(False),
            # As the README's production set-up: leases survive a server restart.
            "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect.server.concurrency.lease_storage.filesystem",
            **settings,
        }
        port = api_url.split(":")[2].split("/")[0]
        log = home / "server.log"
        server = start([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", port], env, log)
        try:
            wait_healthy(api_url, server, log)
            yield LocalServer(api_url, env, home)
        finally:
            stop(server)


@contextmanager
def process_worker(server: LocalServer, limit: int, pool: str = POOL) -> Iterator[None]:
    """One process worker on ``pool`` running up to ``limit`` flow runs at a time."""
    log = server.home / "worker.log"
    process = start([str(BIN / "prefect"), "worker", "start", "--pool", pool, "--limit", str(limit)], server.env, log)
    try:
        yield
    finally:
        stop(process)
