"""An ERP that misbehaves: a fake Odoo on loopback times out, rate-limits, answers 5xx, resets
the connection, cuts its answer short, answers HTML or wrongly shaped JSON, or repeats a page.
Reads are retried a bounded number of times with growing, jittered waits (``Retry-After``
honoured), then the run fails in one line, the cursor stays with the rows it covers, and the
next run completes with the shop equal to the ERP and every write counted once."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import select

from erp_adapters.errors import ErpError, MalformedSource, TransientErpError
from erp_adapters.odoo import OdooAdapter
from erp_adapters.odoo.reading import ODOO_STAMP
from erp_adapters.registry import create_adapter
from flows.sync_tenant import sync_tenant
from pipeline.retry import RETRY_DELAYS, RETRY_JITTER
from records.erp import Entity
from shop.models import ProductVariant, QuarantinedRecord, SyncCursor
from tests.db import session_factory
from tests.fakes import odoo_server
from tests.fakes.odoo_server import FakeOdoo
from tests.fakes.odoo_tenant import odoo_tenant
from tests.shop_reads import processes_counted, tenant_rows

pytestmark = pytest.mark.reliability

READ = "product.product.search_read"
TIMEOUT, RETRIES, BACKOFF = 0.2, 3, 0.05  # the fake's slow answers take 1 s
SLACK = 0.3  # scheduling noise on a shared 2-core machine
VARIANTS, PAGE = 7, 3


@pytest.fixture
def odoo() -> Iterator[FakeOdoo]:
    fake = FakeOdoo()
    for n in range(VARIANTS):
        fake.put_variant(f"POL-{n}", f"Polo {n}", 39.0 + n, (10, "Polo"))
    with fake.running():
        yield fake


def adapter_for(fake: FakeOdoo, retries: int = RETRIES) -> OdooAdapter:
    options = {"url": fake.url, "db": fake.db, "username": fake.login, "password": fake.password}
    adapter = create_adapter("odoo", {**options, "timeout": TIMEOUT, "retries": retries, "backoff": BACKOFF})
    assert isinstance(adapter, OdooAdapter)
    return adapter


def read_all(adapter: OdooAdapter, page_size: int = PAGE) -> list[str]:
    return [sku for page in adapter.fetch(Entity.PRODUCTS, None, page_size) for sku in page.frame["default_code"]]


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in pairwise(times)]


def waits_beyond_backoff(fake: FakeOdoo, answer_time: float) -> list[float]:
    """What each retry waited beyond urllib3's back-off (0, then BACKOFF × 2ⁿ): the jitter."""
    base = [0.0, *(BACKOFF * 2**n for n in range(1, RETRIES))]
    return [gap - answer_time - wait for gap, wait in zip(gaps(fake.times_of(READ)), base, strict=True)]


# -- the adapter against the fake ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "answer_time"),
    [("http_500", 0.0), ("http_502", 0.0), ("http_503", 0.0), ("reset", 0.0), ("timeout_after_commit", TIMEOUT)],
)
def test_a_failing_read_is_retried_a_bounded_number_of_times_then_fails_in_one_line(
    odoo: FakeOdoo, fault: str, answer_time: float
) -> None:
    odoo.schedule(fault, call=READ, times=100)
    started = time.monotonic()
    with pytest.raises(TransientErpError) as caught:
        read_all(adapter_for(odoo))
    elapsed = time.monotonic() - started

    assert odoo.calls[READ] == RETRIES + 1
    assert "\n" not in str(caught.value) and READ in str(caught.value)
    backoffs = sum(BACKOFF * 2**n for n in range(1, RETRIES))  # the first retry does not wait
    assert elapsed <= backoffs + RETRIES * BACKOFF + (RETRIES + 1) * answer_time + SLACK
    extra = waits_beyond_backoff(odoo, answer_time)
    assert all(-0.05 <= wait <= BACKOFF + SLACK for wait in extra), extra  # each wait: back-off + jitter ≤ backoff


def test_the_waits_between_retries_grow_and_are_jittered(odoo: FakeOdoo) -> None:
    jitters: list[float] = []
    for _ in range(4):
        odoo.stamps.clear()
        odoo.schedule("http_503", call=READ, times=RETRIES + 1)
        with pytest.raises(TransientErpError, match="answered HTTP 503"):
            read_all(adapter_for(odoo))
        waits = gaps(odoo.times_of(READ))
        assert waits[1] >= 2 * BACKOFF and waits[2] >= 4 * BACKOFF  # back-off doubles
        jitters += waits_beyond_backoff(odoo, 0.0)[1:]
    assert max(jitters) - min(jitters) >= BACKOFF / 10, jitters  # not the same wait every time


def test_a_rate_limited_read_waits_as_long_as_retry_after_says(odoo: FakeOdoo) -> None:
    odoo.retry_after = 1
    odoo.schedule("rate_limited", call=READ)
    assert len(read_all(adapter_for(odoo))) == VARIANTS
    waited = gaps(odoo.times_of(READ))[0]
    assert waited >= odoo.retry_after  # not the 0 s urllib3's back-off would give a first retry

    odoo.stamps.clear()
    odoo.schedule("rate_limited", call=READ, times=100)
    with pytest.raises(TransientErpError, match="answered HTTP 429"):
        read_all(adapter_for(odoo, retries=1))
    assert len(odoo.times_of(READ)) == 2 and gaps(odoo.times_of(READ))[0] >= odoo.retry_after


@pytest.mark.parametrize(
    ("fault", "error", "message"),
    [
        ("truncated", TransientErpError, "the answer was cut off"),
        ("not_json", MalformedSource, "did not answer JSON-RPC"),
        ("result_dict", MalformedSource, "answered dict where a list of records was expected"),
        ("no_ids", MalformedSource, "answered a record without an integer id"),
    ],
)
def test_an_unreadable_answer_is_one_clear_error(
    odoo: FakeOdoo, fault: str, error: type[ErpError], message: str
) -> None:
    odoo.schedule(fault, call=READ, times=100)
    with pytest.raises(error, match=message) as caught:
        read_all(adapter_for(odoo))
    assert "\n" not in str(caught.value)
    assert odoo.calls[READ] <= RETRIES + 1


def test_the_same_page_answered_twice_is_refused_before_any_of_it_is_handed_on(odoo: FakeOdoo) -> None:
    odoo.schedule("repeat_page", call=READ, after=1)  # the look-ahead read gets page 1 again
    pages = adapter_for(odoo).fetch(Entity.PRODUCTS, None, PAGE)
    with pytest.raises(MalformedSource, match="a page repeated or out of order"):
        next(pages)


def test_records_deleted_or_created_between_pages_shift_nothing(odoo: FakeOdoo) -> None:
    """An offset pager would skip a record after a delete in a page already read; paging by id
    reads every record that lives through the run once, and one created during it at the end."""
    pages = adapter_for(odoo).fetch(Entity.PRODUCTS, None, 2)
    seen = list(next(pages).frame["default_code"])  # pages 1 and 2 are read (one page ahead)
    odoo.remove_variant("POL-0")  # already read: an offset pager would now skip POL-4
    odoo.remove_variant("POL-5")  # not read yet
    odoo.put_variant("POL-7", "Polo 7", 46.0, (10, "Polo"))
    seen += [sku for page in pages for sku in page.frame["default_code"]]
    assert seen == ["POL-0", "POL-1", "POL-2", "POL-3", "POL-4", "POL-6", "POL-7"]


# -- whole runs: the cursor and the counts ---------------------------------------------------


def shop(url: str, tenant_id: int) -> tuple[dict[str, Decimal], Any, int]:
    """(sku → price, the products cursor, processes counted)."""
    with session_factory(url)() as session:
        prices = dict(tenant_rows(session, tenant_id, ProductVariant.sku, ProductVariant.price))
        cursor = session.execute(
            select(SyncCursor.position, SyncCursor.updated_at).where(SyncCursor.tenant_id == tenant_id)
        ).one()
        processes = processes_counted(session, tenant_id)
    return prices, tuple(cursor), processes


def erp_prices(fake: FakeOdoo) -> dict[str, Decimal]:
    return {
        v["default_code"]: Decimal(str(v["list_price"])).quantize(Decimal("0.0001")) for v in fake.variants.values()
    }


def changed_run(pg_url: str, odoo: FakeOdoo, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, Any]:
    """A tenant synced once, then every variant's price changed in Odoo: (id, slug, shop before)."""
    monkeypatch.setenv("ERP_SYNC_BATCH_SIZE", str(PAGE))
    tenant_id, slug = odoo_tenant(
        pg_url, odoo, monkeypatch, plan="starter", entities=["products"], timeout=TIMEOUT, retries=RETRIES
    )
    assert sync_tenant(tenant=slug, return_state=True).is_completed()
    before = shop(pg_url, tenant_id)
    assert (before[0], before[2]) == (erp_prices(odoo), VARIANTS)
    # Odoo stamps write_date to the second: the changes are stamped a second after the newest
    # stamp the sync read, as if made a second later (the fake's clock moves, not the test's).
    newest = max(dt.datetime.strptime(v["write_date"], ODOO_STAMP) for v in odoo.variants.values())
    later = (newest + dt.timedelta(seconds=1)).strftime(ODOO_STAMP)
    with monkeypatch.context() as clock:
        clock.setattr(odoo_server, "_now", lambda: later)
        for n in range(VARIANTS):
            odoo.put_variant(f"POL-{n}", f"Polo {n}", 50.0 + n, (10, "Polo"))
    odoo.calls.clear()
    return tenant_id, slug, before


@pytest.mark.usefixtures("prefect_harness", "shop_env")
@pytest.mark.parametrize(
    ("fault", "after", "error"),
    [
        ("reset", 0, TransientErpError),  # every attempt of the run, the client's and the stream's, fails
        ("not_json", 2, MalformedSource),  # mid-run: the first page is loaded, the third never arrives
        ("repeat_page", 2, MalformedSource),
    ],
)
def test_a_faulty_run_leaves_the_cursor_with_its_rows_and_a_rerun_completes_once(
    pg_url: str, odoo: FakeOdoo, monkeypatch: pytest.MonkeyPatch, fault: str, after: int, error: type[ErpError]
) -> None:
    tenant_id, slug, (before, cursor_before, processes_before) = changed_run(pg_url, odoo, monkeypatch)
    odoo.schedule(fault, call=READ, times=100, after=after)

    started = time.monotonic()
    failed = sync_tenant(tenant=slug, return_state=True)

    assert failed.is_failed()
    with pytest.raises(error) as caught:
        failed.result()
    assert "\n" not in str(caught.value)
    if error is TransientErpError:  # the stream is read again from its cursor after growing pauses
        assert odoo.calls[READ] == (len(RETRY_DELAYS) + 1) * (RETRIES + 1)
        assert sum(RETRY_DELAYS) <= time.monotonic() - started <= sum(RETRY_DELAYS) * (1 + RETRY_JITTER) + 10
    else:  # retrying an answer that cannot be read would get the same answer
        assert odoo.calls[READ] == after + 1
    prices, cursor, processes = shop(pg_url, tenant_id)
    changed = sorted(sku for sku in prices if prices[sku] != before[sku])
    assert processes - processes_before == len(changed)  # nothing counted that was not written
    if after == 0:
        assert (prices, cursor) == (before, cursor_before)  # untouched, to the timestamp
    else:  # the first page's rows and its cursor, committed together; nothing of the rest
        assert changed == ["POL-0", "POL-1", "POL-2"]
        assert cursor[0]["after_id"] == odoo.products["POL-2"]

    odoo.calm()
    rerun = sync_tenant(tenant=slug, return_state=True)

    assert rerun.is_completed(), rerun.message
    prices, _, processes = shop(pg_url, tenant_id)
    assert prices == erp_prices(odoo)
    assert processes - processes_before == VARIANTS  # each changed variant counted once over both runs


@pytest.mark.usefixtures("prefect_harness", "shop_env")
def test_a_read_that_runs_out_of_retries_mid_run_resumes_from_the_cursor_and_counts_once(
    pg_url: str, odoo: FakeOdoo, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant_id, slug, (before, _, processes_before) = changed_run(pg_url, odoo, monkeypatch)
    odoo.schedule("http_503", call=READ, times=RETRIES + 1, after=2)  # the third page, once

    state = sync_tenant(tenant=slug, return_state=True)

    assert state.is_completed(), state.message
    # pages 1 and 2, the client's attempts at page 3, then from page 1's cursor: pages 2, 3 and the empty end
    assert odoo.calls[READ] == 2 + (RETRIES + 1) + 3
    prices, _, processes = shop(pg_url, tenant_id)
    assert prices == erp_prices(odoo) != before
    assert processes - processes_before == VARIANTS  # page 2, read twice, is written and counted once


@pytest.mark.usefixtures("prefect_harness", "shop_env")
def test_records_of_the_wrong_type_are_quarantined_with_a_reason(
    pg_url: str, odoo: FakeOdoo, monkeypatch: pytest.MonkeyPatch
) -> None:
    odoo.variants[odoo.products["POL-1"]]["list_price"] = "abc"
    odoo.variants[odoo.products["POL-2"]]["list_price"] = None
    odoo.variants[odoo.products["POL-3"]]["product_tmpl_id"] = 10  # a bare id, not [id, name]
    odoo.variants[odoo.products["POL-4"]]["default_code"] = False  # no internal reference: no SKU
    tenant_id, slug = odoo_tenant(pg_url, odoo, monkeypatch, plan="starter", entities=["products"], timeout=TIMEOUT)

    state = sync_tenant(tenant=slug, return_state=True)

    assert state.is_completed(), state.message
    counts = state.result()["products"]
    assert (counts["fetched"], counts["written"], counts["quarantined"]) == (VARIANTS, 4, 3)
    with session_factory(pg_url)() as session:
        reasons = session.execute(
            select(QuarantinedRecord.raw, QuarantinedRecord.reason).where(QuarantinedRecord.tenant_id == tenant_id)
        ).all()
        loaded = session.scalars(select(ProductVariant.sku).where(ProductVariant.tenant_id == tenant_id)).all()
    assert sorted(loaded) == ["POL-0", "POL-3", "POL-5", "POL-6"]
    by_name = {raw["name"]: reason for raw, reason in reasons}
    assert sorted(by_name) == ["Polo 1", "Polo 2", "Polo 4"], reasons
    assert "price" in by_name["Polo 1"] and by_name["Polo 2"] == "missing price" and "sku" in by_name["Polo 4"]
