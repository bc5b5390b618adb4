"""A real Tryton for the tests: one seeded SQLite database per cache key, a copy per test module,
and ``trytond`` serving the copy over HTTP on a free loopback port.

The seeded database takes about a minute to build, so it is kept under ``.erp-sync/tryton/``
keyed by the seed script, the trytond version and the modules: reruns only copy a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import requests

from erp_adapters.tryton.client import Transport, TrytonClient

MODULES = ("company", "country", "currency", "party", "product", "product_attribute", "stock", "account",
           "account_invoice", "sale")  # fmt: skip
SEED_SCRIPT = Path(__file__).with_name("seed.py")
CACHE = Path(__file__).resolve().parents[2] / ".erp-sync" / "tryton"
ADMIN = "admin"
ADMIN_PASSWORD = "admin-test-password"
STARTUP_SECONDS = 60


@dataclass(frozen=True)
class TrytonServer:
    url: str
    database: str
    log: Path

    def options(self, **extra: Any) -> dict[str, Any]:
        """The tenant's ``erp_options`` (the password goes through the tenant's secret)."""
        return {"url": self.url, "database": self.database, "user": ADMIN, **extra}

    def client(self) -> TrytonClient:
        return TrytonClient(self.url, self.database, ADMIN, ADMIN_PASSWORD, Transport(retries=0))


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _config(folder: Path, port: int = 0) -> Path:
    path = folder / "trytond.conf"
    path.write_text(f"[database]\nuri = sqlite://\npath = {folder}\n[web]\nlisten = 127.0.0.1:{port}\n")
    return path


def cache_key() -> str:
    digest = hashlib.sha256(SEED_SCRIPT.read_bytes())
    digest.update(f"{version('trytond')}:{','.join(MODULES)}:{ADMIN_PASSWORD}".encode())
    return digest.hexdigest()[:16]


def build_seeded(target: Path) -> dict[str, Any]:
    """Create the database, activate the modules, seed it; returns what it measured."""
    with tempfile.TemporaryDirectory(prefix="tryton-build-") as raw:
        folder = Path(raw)
        config = _config(folder)
        (folder / "seed.sqlite").touch()
        (folder / "pass").write_text(ADMIN_PASSWORD)
        env = {**os.environ, "TRYTONPASSFILE": str(folder / "pass")}
        started = time.perf_counter()
        subprocess.run(
            [_bin("trytond-admin"), "-c", str(config), "-d", "seed", "--all", "--email", "admin@example.com",
             "-u", *MODULES, "--activate-dependencies"],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        activated = time.perf_counter()
        seeded = subprocess.run(
            [sys.executable, str(SEED_SCRIPT), str(config), "seed"], env=env, check=True, capture_output=True, text=True
        )
        done = time.perf_counter()
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        shutil.copyfile(folder / "seed.sqlite", partial)
        partial.replace(target)  # a crash mid-copy never leaves a half database under the real name
    return {
        "modules_seconds": round(activated - started, 1),
        "seed_seconds": round(done - activated, 1),
        "seeded": seeded.stdout.strip(),
    }


@pytest.fixture(scope="session")
def seeded_tryton_db() -> Path:
    target = CACHE / f"seed-{cache_key()}.sqlite"
    if not target.exists():
        for stale in CACHE.glob("seed-*"):  # built from an older seed script or trytond
            stale.unlink()
        stats = build_seeded(target)
        target.with_suffix(".json").write_text(json.dumps(stats, indent=2))
    return target


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_serving(url: str, database: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    body = {"id": 1, "method": "common.db.login", "params": [ADMIN, {"password": ADMIN_PASSWORD}, "en"]}
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if requests.post(f"{url}/{database}/rpc/", json=body, timeout=2).json().get("result"):
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"trytond did not start serving {database}; its output:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def tryton_server(seeded_tryton_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrytonServer]:
    """A private copy of the seeded database, served on its own port for this test module."""
    folder = tmp_path_factory.mktemp("tryton")
    database = "shop_erp"
    shutil.copyfile(seeded_tryton_db, folder / f"{database}.sqlite")
    port = _free_port()
    config = _config(folder, port)
    log = folder / "trytond.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [_bin("trytond"), "-c", str(config), "-d", database], stdout=output, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, database, process, log)
        yield TrytonServer(url, database, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
