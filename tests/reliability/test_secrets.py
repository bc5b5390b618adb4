"""A known ERP password, given as an environment variable or a Prefect Secret block, appears
nowhere after syncs that fail (Odoo refuses the login; Odoo answers 500 until the retries run
out): not in the CLI's output, Prefect's logs, artifacts or run states, the exceptions, any
column of any table of the shop DB, nor in any Python log record down to urllib3's debug lines
(the JSON-RPC body that carries the password is never logged)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
from prefect.blocks.system import Secret
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterName,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.logging.handlers import APILogHandler
from sqlalchemy import inspect, text

from flows.sync_tenant import sync_tenant
from shop.models import Base
from tests.cli_helpers import invoke
from tests.db import root_for
from tests.fakes.odoo_server import FakeOdoo
from tests.waiting import wait_until

pytestmark = [pytest.mark.reliability, pytest.mark.usefixtures("prefect_harness", "shop_env")]

PASSWORD = "S3cr3t-Known-Pa55"
READ = "product.product.search_read"


@pytest.fixture
def odoo() -> Iterator[FakeOdoo]:
    fake = FakeOdoo(password=PASSWORD)
    for n in range(5):
        fake.put_variant(f"SEC-{n}", f"Polo {n}", "abc" if n == 0 else 39.0 + n, (10, "Polo"))  # type: ignore[arg-type]
    with fake.running():
        yield fake


def add_tenant(pg_url: str, odoo: FakeOdoo, secret_name: str) -> str:
    slug = f"s-{uuid.uuid4().hex[:10]}"
    options = f"--erp-option url={odoo.url} --erp-option db={odoo.db} --erp-option username={odoo.login}"
    tuning = "--erp-option timeout=0.2 --erp-option retries=2 --erp-option backoff=0.01"
    invoke(pg_url, f"tenant add {slug} --plan starter --erp odoo {options} {tuning} --secret-name {secret_name}")
    return slug


def prefect_texts(slugs: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Everything Prefect's API holds about the tenants' runs, as text, every page of it; and the
    names of the runs whose last log line (their final state) is not in the API yet."""
    with get_client(sync_client=True) as client:
        runs = [
            run
            for slug in slugs
            for run in client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(like_=slug)))
        ]
        ids = [run.id for run in runs]
        logs = every_page(
            lambda offset: client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=ids)), limit=PAGE, offset=offset
            )
        )
        tasks = every_page(
            lambda offset: client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)), limit=PAGE, offset=offset
            )
        )
        wanted = [ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=ids))]  # the runs' own
        wanted += [ArtifactFilter(key=ArtifactFilterKey(like_=slug)) for slug in slugs]  # and the tenants'
        artifacts = {
            artifact.id: artifact
            for one in wanted
            for artifact in every_page(
                lambda offset, one=one: client.read_artifacts(artifact_filter=one, limit=PAGE, offset=offset)
            )
        }
    finished = {log.flow_run_id for log in logs if log.task_run_id is None and log.message.startswith("Finished in")}
    texts = {
        "logs": [log.message for log in logs],
        "flow runs": [run.model_dump_json() for run in runs],
        "task runs": [task.model_dump_json() for task in tasks],
        "artifacts": [artifact.model_dump_json() for artifact in artifacts.values()],
    }
    return texts, [run.name for run in runs if run.id not in finished]


PAGE = 200  # the most the API hands out at once (PREFECT_API_DEFAULT_LIMIT)
T = TypeVar("T")


def every_page(read: Callable[[int], list[T]]) -> list[T]:
    """All of a paged read from Prefect's API: from offset 0 until a page comes back short."""
    items: list[T] = []
    while len(page := read(len(items))) == PAGE:
        items += page
    return items + page


def shipped(slugs: list[str]) -> dict[str, list[str]] | None:
    """Prefect's texts once its API holds all of the runs' logs, else None. Logs are sent in the
    background, in batches and in order: each run's last line (its final state) arrives after
    the lines it logged before; the line of the failure and the runs' reports must be there too."""
    APILogHandler().flush()  # what this process still holds is sent (waits up to 5 s)
    texts, unfinished = prefect_texts(slugs)
    complete = bool(texts["flow runs"]) and not unfinished
    return texts if complete and any("HTTP 500" in line for line in texts["logs"]) and texts["artifacts"] else None


def shop_db_rows(pg_url: str) -> dict[str, list[str]]:
    """Every row of every table of the shop DB, as Postgres renders it as text (JSON columns too)."""
    engine = root_for(pg_url).engine
    with engine.connect() as conn:
        return {
            table: list(conn.scalars(text(f'SELECT CAST(t AS text) FROM "{table}" AS t')))
            for table in inspect(engine).get_table_names()
        }


def test_a_password_option_is_refused_before_anything_is_stored(pg_url: str) -> None:
    slug = f"s-{uuid.uuid4().hex[:10]}"
    refused = invoke(pg_url, f"tenant add {slug} --plan starter --erp odoo --erp-option password={PASSWORD}", expect=1)
    assert "looks like a secret" in refused.stderr and "--secret-name" in refused.stderr
    assert PASSWORD not in refused.stdout + refused.stderr
    invoke(pg_url, f"tenant show {slug}", expect=1)


def test_failed_syncs_leak_the_password_nowhere(
    pg_url: str, odoo: FakeOdoo, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for name in (None, "urllib3", "requests", "prefect"):  # each of these sets its own level
        caplog.set_level(logging.DEBUG, logger=name)
    monkeypatch.setenv("ERP_SYNC_BATCH_SIZE", "2")
    in_env = f"ODOO_KEY_{uuid.uuid4().hex[:8].upper()}"
    monkeypatch.setenv(in_env, PASSWORD)
    in_block = f"ODOO_BLOCK_{uuid.uuid4().hex[:8].upper()}"
    Secret(value=PASSWORD).save(in_block.lower().replace("_", "-"))
    from_env, from_block = add_tenant(pg_url, odoo, in_env), add_tenant(pg_url, odoo, in_block)
    env = {in_env: PASSWORD}
    outputs: dict[str, str] = {}
    failures: list[str] = []

    assert sync_tenant(tenant=from_env, return_state=True).is_completed()  # a quarantined row and a report
    odoo.password = "rotated-in-odoo"  # the tenant's key no longer opens Odoo
    outputs[f"sync {from_env}"] = cli_output(invoke(pg_url, f"sync {from_env}", expect=1, env=env))
    failures.append(failure(sync_tenant(tenant=from_block, return_state=True)))
    odoo.password = PASSWORD
    odoo.schedule("http_500", call=READ, times=100)  # until the client's and the stream's retries run out
    outputs[f"sync {from_block}"] = cli_output(invoke(pg_url, f"sync {from_block}", expect=1, env=env))
    odoo.calm()
    for slug in (from_env, from_block):
        for command in (f"tenant show {slug}", f"quota {slug} --json", f"quarantine list {slug} --json"):
            outputs[command] = cli_output(invoke(pg_url, command, env=env))

    assert "login refused" in outputs[f"sync {from_env}"] and "HTTP 500" in outputs[f"sync {from_block}"]
    assert "login refused" in failures[0]
    assert all(json.loads(out) for name, out in outputs.items() if not name.startswith("sync"))
    prefect = wait_until(
        lambda: shipped([from_env, from_block]), 60, "the runs' every log line and reports in Prefect's API", every=0.5
    )
    assert any("HTTP 500" in line for line in prefect["logs"]) and prefect["artifacts"]
    shop = shop_db_rows(pg_url)
    assert any(in_env in row for row in shop["tenants"]) and any("abc" in row for row in shop["quarantine"])
    debug = [record for record in caplog.records if record.name.startswith("urllib3")]
    assert any("POST /jsonrpc" in record.getMessage() for record in debug)  # the debug lines were captured
    places = {
        **outputs,
        "exceptions": failures,
        **{f"prefect {kind}": texts for kind, texts in prefect.items()},
        **{f"shop table {table}": rows for table, rows in shop.items()},
        "python log records": [f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records],
        "captured output": caplog.text,
    }
    leaks = [
        place for place, texts in places.items() if PASSWORD in (texts if isinstance(texts, str) else " ".join(texts))
    ]
    assert leaks == []
    assert set(shop) >= set(Base.metadata.tables), "every table of the shop DB is searched"


def cli_output(result: object) -> str:
    return f"{result.stdout}\n{result.stderr}"  # type: ignore[attr-defined]


def failure(state: object) -> str:
    try:
        state.result()  # type: ignore[attr-defined]
    except Exception as exc:
        return f"{type(exc).__name__}: {exc} | {state.message}"  # type: ignore[attr-defined]
    raise AssertionError("the run was expected to fail")
