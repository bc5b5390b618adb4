"""A real Tryton for the tests: one seeded SQLite database per cache key, a copy per test module,
and ``trytond`` serving the copy over HTTP on a free loopback port.

Two databases: the full one (every module the adapter can use, ``seed.py``: about 100 s to
build) behind ``tryton_server``, and a minimal one (only the modules products, customers and stock
need: no product_attribute, account or sale; ``seed_minimal.py``: about 20 s) behind
``minimal_tryton_server``. Each is kept under ``.erp-sync/tryton/`` as ``<name>-<key>.sqlite``,
keyed by its seed scripts, the trytond version and the modules: reruns only copy a file.
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
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import requests

from erp_adapters.tryton.client import Transport, TrytonClient

MODULES = ("company", "country", "currency", "party", "product", "product_attribute", "stock", "account",
           "account_invoice", "sale")  # fmt: skip
# What products (product), customers and contacts (party), stock (stock) and sales reps (company)
# need, and nothing else: a plain install without product_attribute, account_invoice or sale.
MINIMAL_MODULES = ("company", "country", "currency", "party", "product", "stock")
SEED_SCRIPT = Path(__file__).with_name("seed.py")
MINIMAL_SEED_SCRIPT = Path(__file__).with_name("seed_minimal.py")
CACHE = Path(__file__).resolve().parents[2] / ".erp-sync" / "tryton"
ADMIN = "admin"
ADMIN_PASSWORD = "admin-test-password"
STARTUP_SECONDS = 60


@dataclass(frozen=True)
class Build:
    """One cached database: its file name prefix, the modules activated, the seed script run, and
    the other files that script imports (they key the cache too)."""

    name: str
    modules: tuple[str, ...]
    script: Path
    imports: tuple[Path, ...] = ()


FULL = Build("seed", MODULES, SEED_SCRIPT)
MINIMAL = Build("minimal", MINIMAL_MODULES, MINIMAL_SEED_SCRIPT, imports=(SEED_SCRIPT,))


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


def cache_key(build: Build = FULL) -> str:
    digest = hashlib.sha256(build.script.read_bytes())
    for imported in build.imports:
        digest.update(imported.read_bytes())
    digest.update(f"{version('trytond')}:{','.join(build.modules)}:{ADMIN_PASSWORD}".encode())
    return digest.hexdigest()[:16]


def _run(step: str, command: list[str], env: dict[str, str]) -> str:
    """Run one build step; its output, or a failure that shows the end of what it printed."""
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{step} failed ({done.returncode}):\n{(done.stderr or done.stdout)[-4000:]}")
    return done.stdout


def build_seeded(target: Path, build: Build = FULL) -> dict[str, Any]:
    """Create the database, activate the modules, seed it; returns what it measured."""
    with tempfile.TemporaryDirectory(prefix="tryton-build-") as raw:
        folder = Path(raw)
        config = _config(folder)
        (folder / "seed.sqlite").touch()
        (folder / "pass").write_text(ADMIN_PASSWORD)
        env = {**os.environ, "TRYTONPASSFILE": str(folder / "pass")}
        started = time.perf_counter()
        _run(
            "trytond-admin",
            [_bin("trytond-admin"), "-c", str(config), "-d", "seed", "--all", "--email", "admin@example.com",
             "-u", *build.modules, "--activate-dependencies"],
            env,
        )  # fmt: skip
        activated = time.perf_counter()
        seeded = _run(build.script.name, [sys.executable, str(build.script), str(config), "seed"], env)
        done = time.perf_counter()
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        shutil.copyfile(folder / "seed.sqlite", partial)
        partial.replace(target)  # a crash mid-copy never leaves a half database under the real name
    return {
        "modules_seconds": round(activated - started, 1),
        "seed_seconds": round(done - activated, 1),
        "seeded": seeded.strip(),
    }


def cached(build: Build) -> Path:
    """The build's seeded database file, built (about 100 s for the full one) only on a cache miss."""
    target = CACHE / f"{build.name}-{cache_key(build)}.sqlite"
    if not target.exists():
        for stale in CACHE.glob(f"{build.name}-*"):  # built from an older seed script or trytond
            stale.unlink()
        started = time.perf_counter()
        stats = build_seeded(target, build)
        stats["total_seconds"] = round(time.perf_counter() - started, 1)
        target.with_suffix(".json").write_text(json.dumps(stats, indent=2))
    return target


@pytest.fixture(scope="session")
def seeded_tryton_db() -> Path:
    return cached(FULL)


@pytest.fixture(scope="session")
def minimal_tryton_db() -> Path:
    return cached(MINIMAL)


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


@contextmanager
def serving(seeded: Path, folder: Path, database: str = "shop_erp") -> Iterator[TrytonServer]:
    """A copy of ``seeded`` in ``folder``, served by its own trytond on a free port."""
    shutil.copyfile(seeded, folder / f"{database}.sqlite")
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


@pytest.fixture(scope="module")
def tryton_server(seeded_tryton_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrytonServer]:
    """A private copy of the full seeded database, served on its own port for this test module."""
    with serving(seeded_tryton_db, tmp_path_factory.mktemp("tryton")) as server:
        yield server


@pytest.fixture(scope="module")
def minimal_tryton_server(minimal_tryton_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrytonServer]:
    """A private copy of the minimal database (no product_attribute, account or sale), served on
    its own port for this test module. Tests using it carry the ``tryton`` marker themselves."""
    with serving(minimal_tryton_db, tmp_path_factory.mktemp("tryton-minimal")) as server:
        yield server
