"""A Holded that misbehaves: the fake Holded on loopback times out, rate-limits, answers 5xx,
resets the connection, cuts its answer short, answers HTML or its ``{"status": 0}`` refusal,
repeats a page, or shifts its offsets while a list is read. Reads are retried a bounded number
of times (``Retry-After`` honoured), then the run fails in one line; the cursor stays with the
rows it covers, and the next run completes with the shop equal to Holded and every write
counted once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from erp_adapters.errors import ErpError, MalformedSource, TransientErpError
from erp_adapters.holded import HoldedAdapter
from erp_adapters.holded.listing import records
from erp_adapters.registry import create_adapter
from flows.sync_tenant import sync_tenant
from records.erp import Entity
from shop.models import ProductVariant, SyncCursor
from tests.db import session_factory
from tests.fakes.holded_server import FakeHolded
from tests.fakes.holded_tenant import holded_tenant
from tests.shop_reads import processes_counted, tenant_rows

pytestmark = pytest.mark.reliability

READ = "GET /products"
TIMEOUT, RETRIES, BACKOFF = 0.2, 3, 0.05  # the fake's slow answers take 1 s
PRODUCTS, PAGE = 7, 3  # Holded's page and the pipeline's batch are both 3: 3 + 3 + 1


@pytest.fixture
def holded() -> Iterator[FakeHolded]:
    fake = FakeHolded(page_size=PAGE)
    for n in range(PRODUCTS):
        fake.put_product(f"CAM-{n}", f"Camiseta {n}", 19.0 + n)
    with fake.running():
        yield fake


def adapter_for(fake: FakeHolded, retries: int = RETRIES) -> HoldedAdapter:
    options = {"url": fake.url, "password": fake.api_key, "timeout": TIMEOUT, "retries": retries, "backoff": BACKOFF}
    adapter = create_adapter("holded", options)
    assert isinstance(adapter, HoldedAdapter)
    return adapter


def read_all(adapter: HoldedAdapter, page_size: int = PAGE) -> list[str]:
    return [sku for page in adapter.fetch(Entity.PRODUCTS, None, page_size) for sku in page.frame["sku"]]


def skus(fake: FakeHolded) -> list[str]:
    return [str(product["sku"]) for product in fake.products.values()]


# -- the adapter against the fake ------------------------------------------------------------


@pytest.mark.parametrize("fault", ["http_500", "http_502", "http_503", "reset", "timeout_after_commit"])
def test_a_failing_read_is_retried_a_bounded_number_of_times_then_fails_in_one_line(
    holded: FakeHolded, fault: str
) -> None:
    holded.schedule(fault, call=READ, times=100)
    with pytest.raises(TransientErpError) as caught:
        read_all(adapter_for(holded))

    assert holded.calls[READ] == RETRIES + 1
    assert "\n" not in str(caught.value) and READ in str(caught.value)
    assert holded.api_key not in str(caught.value)


def test_a_rate_limited_read_waits_as_long_as_retry_after_says(holded: FakeHolded) -> None:
    holded.retry_after = 1
    holded.schedule("rate_limited", call=READ)

    assert read_all(adapter_for(holded)) == skus(holded)
    first, retried = holded.times_of(READ)[:2]
    waited = retried - first
    assert waited >= holded.retry_after  # not the 0 s urllib3's back-off would give a first retry


@pytest.mark.parametrize(
    ("fault", "error", "message"),
    [
        ("truncated", TransientErpError, "the answer was cut off"),
        ("not_json", MalformedSource, "answered an HTML page, not JSON"),
        ("status_zero", TransientErpError, "was refused: Temporary error"),
    ],
)
def test_an_unreadable_answer_is_one_clear_error(
    holded: FakeHolded, fault: str, error: type[ErpError], message: str
) -> None:
    holded.schedule(fault, call=READ, times=100)
    with pytest.raises(error, match=message) as caught:
        read_all(adapter_for(holded))
    assert "\n" not in str(caught.value)
    assert holded.calls[READ] <= RETRIES + 1


def test_the_same_page_answered_twice_is_refused_before_any_of_it_is_handed_on(holded: FakeHolded) -> None:
    holded.schedule("repeat_page", call=READ, after=1)  # page 2, asked for to end the first batch, is page 1
    pages = adapter_for(holded).fetch(Entity.PRODUCTS, None, PAGE)
    with pytest.raises(MalformedSource, match="a page served twice"):
        next(pages)


def test_a_record_created_ahead_of_the_read_shifts_a_page_and_is_read_once(holded: FakeHolded) -> None:
    """Newest first, a record created while page 1 is sent pushes page 1's last record onto page 2."""
    customer = holded.add_contact("Moda Levante SL", custom_id="C0001")
    for n in range(5):
        holded.add_document("salesorder", customer, number=f"SO{n}", date=1_764_000_000 + n, lines=[])

    def create_one(call: str, page: int) -> None:
        if page == 1:
            holded.add_document("salesorder", customer, number="SO-NEW", date=1_764_000_100, lines=[])

    holded.on_page = create_one
    listed = records(adapter_for(holded).client, "/documents/salesorder", {"sort": "created-desc"})
    numbers = [item.record["docNumber"] for item in listed]

    assert numbers == ["SO4", "SO3", "SO2", "SO1", "SO0"]  # SO2 was answered twice, handed on once


def test_a_record_deleted_during_a_read_is_missed_by_the_import_but_kept_by_the_snapshot(
    holded: FakeHolded,
) -> None:
    """Deleting CAM-0 while page 1 is sent moves CAM-3 back onto page 1, which was read: the
    import misses it until its next run, and reconcile, reading twice, keeps it."""

    def delete_first(call: str, page: int) -> None:
        if call == READ and page == 1 and "CAM-0" in skus(holded):
            holded.remove_product("CAM-0")

    holded.on_page = delete_first
    assert read_all(adapter_for(holded)) == ["CAM-0", "CAM-1", "CAM-2", "CAM-4", "CAM-5", "CAM-6"]

    holded.put_product("CAM-0", "Camiseta 0", 19.0)  # the same again, now at the end
    snapshot = adapter_for(holded).snapshot(Entity.PRODUCTS, PAGE)
    listed = [sku for page in snapshot for sku in page.frame["sku"]]

    assert sorted(listed) == sorted(skus(holded)) == [f"CAM-{n}" for n in range(1, PRODUCTS)]
    assert len(listed) == len(set(listed))


def test_invoices_and_credit_notes_are_one_read_whose_cursor_resumes_in_either_list(holded: FakeHolded) -> None:
    customer = holded.add_contact("Moda Levante SL", custom_id="C0001")
    line = [{"name": "Camiseta", "units": 1, "price": 19.0, "sku": "CAM-0"}]
    for n in range(4):
        holded.add_document("invoice", customer, number=f"F{n}", date=1_764_000_000 + n, lines=line)
        holded.add_document("creditnote", customer, number=f"R{n}", date=1_764_000_000 + n, lines=line)
    adapter = adapter_for(holded)

    pages = list(adapter.fetch(Entity.INVOICES, None, 3))
    numbers = [[str(number) for number in page.frame["number"]] for page in pages]

    assert numbers == [["F0", "F1", "F2"], ["F3", "R0", "R1"], ["R2", "R3"]]
    assert [page.cursor for page in pages] == [
        {"list": 0, "page": 1, "skip": 3},
        {"list": 1, "page": 1, "skip": 2},
        {"list": 0, "page": 1, "skip": 0},  # read to the end: the next run starts again
    ]
    resumed = [str(n) for page in adapter.fetch(Entity.INVOICES, pages[1].cursor, 3) for n in page.frame["number"]]
    assert resumed == ["R2", "R3"]
    totals = {str(n): str(t) for page in pages for n, t in zip(page.frame["number"], page.frame["total"], strict=True)}
    assert totals["F0"] == "22.99" and totals["R0"] == "-22.99"


# -- whole runs: the cursor and the counts ---------------------------------------------------


def shop(url: str, tenant_id: int) -> tuple[dict[str, Decimal], Any, int]:
    """(sku → price, the products cursor, processes counted)."""
    with session_factory(url)() as session:
        prices = dict(tenant_rows(session, tenant_id, ProductVariant.sku, ProductVariant.price))
        cursor = session.scalars(select(SyncCursor.position).where(SyncCursor.tenant_id == tenant_id)).one()
        processes = processes_counted(session, tenant_id)
    return prices, cursor, processes


def holded_prices(fake: FakeHolded) -> dict[str, Decimal]:
    return {str(p["sku"]): Decimal(str(p["price"])).quantize(Decimal("0.0001")) for p in fake.products.values()}


def changed_run(pg_url: str, holded: FakeHolded, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, int]:
    """A tenant synced once, then every product's price changed in Holded: (id, slug, processes)."""
    monkeypatch.setenv("ERP_SYNC_BATCH_SIZE", str(PAGE))
    tenant_id, slug = holded_tenant(
        pg_url, holded, monkeypatch, plan="starter", entities=["products"], timeout=TIMEOUT, retries=RETRIES
    )
    assert sync_tenant(tenant=slug, return_state=True).is_completed()
    prices, cursor, processes = shop(pg_url, tenant_id)
    assert (prices, cursor, processes) == (holded_prices(holded), {"list": 0, "page": 1, "skip": 0}, PRODUCTS)
    for n in range(PRODUCTS):
        holded.put_product(f"CAM-{n}", f"Camiseta {n}", 29.0 + n)
    holded.calls.clear()
    return tenant_id, slug, processes


@pytest.mark.usefixtures("prefect_harness", "shop_env")
def test_a_run_failing_mid_list_keeps_the_cursor_with_its_rows_and_the_rerun_completes_once(
    pg_url: str, holded: FakeHolded, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant_id, slug, processes_before = changed_run(pg_url, holded, monkeypatch)
    holded.schedule("not_json", call=READ, times=100, after=2)  # page 3, needed to end the second batch

    failed = sync_tenant(tenant=slug, return_state=True)

    assert failed.is_failed()
    with pytest.raises(MalformedSource) as caught:
        failed.result()
    assert "\n" not in str(caught.value)
    assert holded.calls[READ] == 3  # an answer that cannot be read is not asked for again
    prices, cursor, processes = shop(pg_url, tenant_id)
    stale = sorted(sku for sku, price in prices.items() if price != holded_prices(holded)[sku])
    assert stale == ["CAM-3", "CAM-4", "CAM-5", "CAM-6"]  # the first batch is in, with its cursor
    assert cursor == {"list": 0, "page": 1, "skip": 3} and processes - processes_before == 3

    holded.calm()
    rerun = sync_tenant(tenant=slug, return_state=True)

    assert rerun.is_completed(), rerun.message
    prices, cursor, processes = shop(pg_url, tenant_id)
    assert prices == holded_prices(holded) and cursor == {"list": 0, "page": 1, "skip": 0}
    assert processes - processes_before == PRODUCTS  # each change counted once over both runs


@pytest.mark.usefixtures("prefect_harness", "shop_env")
def test_a_read_that_runs_out_of_retries_mid_run_resumes_from_the_cursor_and_counts_once(
    pg_url: str, holded: FakeHolded, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant_id, slug, processes_before = changed_run(pg_url, holded, monkeypatch)
    holded.schedule("http_503", call=READ, times=RETRIES + 1, after=2)  # page 3, once

    started = time.monotonic()
    state = sync_tenant(tenant=slug, return_state=True)

    assert state.is_completed(), state.message
    # pages 1 and 2, the client's attempts at page 3, then from the first batch's cursor: pages 1
    # (its three records skipped), 2, 3 and the empty end
    assert holded.calls[READ] == 2 + (RETRIES + 1) + 4
    assert time.monotonic() - started >= 1  # the stream's first pause
    prices, _, processes = shop(pg_url, tenant_id)
    assert prices == holded_prices(holded)
    assert processes - processes_before == PRODUCTS  # page 2, read twice, is written and counted once
