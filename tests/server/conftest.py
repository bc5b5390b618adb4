"""A real Prefect server for the module (`devkit.loopback`): its database a fresh Postgres
database, a shop database of its own (the dispatcher scans every tenant, so it must not see the
other tests' tenants), and one process worker with short poll intervals. Everything started here
is stopped and dropped at the end."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings

from devkit.loopback import BIN, LocalServer, prefect_server, process_worker
from shop import migrate
from tests.conftest import PG_SERVER


@dataclass(frozen=True)
class Ops:
    """What a test needs to act like ops: the environment of the `erp-sync` and `prefect` commands."""

    server: LocalServer
    shop_url: str
    timings: dict[str, float]

    def cli(self, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        command = [str(BIN / "erp-sync"), *args]
        result = subprocess.run(command, env=self.server.env, capture_output=True, text=True, check=False)
        assert result.returncode == expect, f"erp-sync {' '.join(args)} → {result.returncode}\n{result.stderr}"
        return result


@pytest.fixture(scope="module")
def ops(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ops]:
    timings: dict[str, float] = {}
    settings = {
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "1",
        "ERP_SYNC_BATCH_SIZE": "100",
        "PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS": "1",  # expired leases freed within 1 s, not 15
    }
    try:
        with migrate.scratch_database(PG_SERVER, "erp_sync_shop") as shop_url:
            started = time.monotonic()
            home = tmp_path_factory.mktemp("prefect-server")
            with prefect_server(PG_SERVER, home, {**settings, "ERP_SYNC_DATABASE_URL": shop_url}) as server:
                timings["server start (s)"] = time.monotonic() - started
                with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
                    yield Ops(server, shop_url, timings)
    finally:
        print("\nprefect server timings:", {k: round(v, 2) for k, v in timings.items()})


@pytest.fixture(scope="module")
def worker(ops: Ops) -> Iterator[None]:
    """One process worker running up to four flow runs at a time."""
    with process_worker(ops.server, limit=4):
        yield
