"""The contract every ERP adapter keeps, run on csv_files (real files), Tryton (a real server),
Odoo and Holded (fakes over real HTTP); see conftest.py for how each harness reaches its ERP.

1. fetch pages through every record exactly once, pages no larger than asked, the shop's
   required fields mapped;
2. the last page's cursor resumes: nothing is read again (or only the adapter's documented
   look-back, or everything for an ERP that cannot be asked what changed), and a record changed
   or added afterwards comes with the next fetch from it;
3. snapshot lists what the ERP holds, whatever the cursor, and a record removed is gone from it;
4. an order pushed twice under one shop number is one order in the ERP, with one reference;
5. every fault, of the ERP or of the set-up, is an ``ErpError`` of the documented kind, in one
   line, never a raw requests, OS, Key or Value error;
6. the secret is in no message: not in errors, reprs or log records.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from domain.entities import SPECS
from erp_adapters.base import Capability, ErpAdapter
from erp_adapters.errors import AdapterConfigError, ErpError
from erp_adapters.orders import order_sink
from erp_adapters.registry import create_adapter
from records.erp import Page
from tests.contract.conftest import ENTITY, HARNESSES, WRONG_SECRET, Harness

SEEDED = 7
SLACK = dt.timedelta(minutes=1)  # how long a test may take between a stamp and its check
REQUIRED = SPECS[str(ENTITY)].required


def page_size_for(records: int) -> int:
    """Small enough that the records span at least three pages."""
    return max(2, records // 3)


def skus_of(pages: Iterable[Page]) -> list[str]:
    return [str(sku) for page in pages for sku in page.frame[page.fields["sku"]]]


def names_of(pages: Iterable[Page]) -> dict[str, str]:
    return {
        str(sku): str(name)
        for page in pages
        for sku, name in zip(page.frame[page.fields["sku"]], page.frame[page.fields["name"]], strict=True)
    }


def read(adapter: ErpAdapter, since: dict[str, Any] | None, page_size: int) -> list[Page]:
    return list(adapter.fetch(ENTITY, since, page_size))


def duplicates(skus: list[str]) -> list[str]:
    return sorted(sku for sku, seen in Counter(skus).items() if seen > 1)


def adapter_error(call: Callable[[], object]) -> ErpError:
    """The adapter error ``call`` raises; anything else it raises, or nothing, fails the test."""
    try:
        call()
    except ErpError as error:
        return error
    except Exception as raw:
        kind = f"{type(raw).__module__}.{type(raw).__qualname__}"
        pytest.fail(f"raised {kind} instead of an erp_adapters.errors.ErpError: {raw}")
    pytest.fail("no error was raised")


def shown(error: BaseException) -> str:
    """Everything an error can put in a log: its text, repr, arguments and printed traceback."""
    return " ".join([str(error), repr(error), repr(error.args), *traceback.format_exception(error)])


def assert_no_secret(harness: Harness, *texts: str) -> None:
    for secret in (harness.secret, WRONG_SECRET):
        leaks = [text for text in texts if secret in text]
        assert leaks == [], f"the secret {secret!r} shows in: {leaks}"


def with_secret_in_url(options: dict[str, Any], secret: str) -> dict[str, Any]:
    """The same options with the secret also written into the url, as ``user:secret@host``."""
    parts = urlsplit(str(options["url"]))
    user = options.get("user") or options.get("username") or "erp"
    return {**options, "url": urlunsplit(parts._replace(netloc=f"{user}:{secret}@{parts.netloc}"))}


# -- 1. paging to the end ------------------------------------------------------------------------


def test_fetch_pages_through_every_record_once_with_the_shop_fields(harness: Harness) -> None:
    seeded = harness.seed(SEEDED)
    erp = harness.keys()
    size = page_size_for(len(erp))
    adapter = harness.adapter()

    pages = read(adapter, None, size)

    skus = skus_of(pages)
    assert len(pages) >= 3 and [len(p.frame) for p in pages if len(p.frame) > size] == []
    assert duplicates(skus) == [] and set(skus) == erp and set(seeded) <= set(skus)
    for page in pages:
        assert set(REQUIRED) <= set(page.fields), page.fields
        assert set(page.fields.values()) <= set(page.frame.columns)
        assert adapter.fields_for(ENTITY, list(page.frame.columns)) == dict(page.fields)
    assert adapter.estimate(ENTITY, None) in (None, len(erp))


# -- 2. a cursor that resumes --------------------------------------------------------------------


def test_the_last_cursor_resumes_after_what_was_read_and_brings_what_changed(harness: Harness) -> None:
    seeded = harness.seed(SEEDED)
    size = page_size_for(len(harness.keys()))
    adapter = harness.adapter()
    cursor = read(adapter, None, size)[-1].cursor

    again = skus_of(read(adapter, cursor, size))

    assert duplicates(again) == []
    if harness.full_listing:
        assert set(again) == harness.keys()
    elif harness.look_back is None:
        assert again == []
    else:  # what the look-back covers is read again, and nothing beyond it
        assert set(seeded) <= set(again)
        assert set(again) <= harness.touched_within(harness.look_back + SLACK)

    changed, unchanged = seeded[0], seeded[1:]
    new_name = harness.change(changed)
    [added] = harness.seed(1)
    pages = read(adapter, cursor, size)

    delta = skus_of(pages)
    assert {changed, added} <= set(delta) and names_of(pages)[changed] == new_name
    assert duplicates(delta) == [] and set(delta) <= harness.keys()
    if harness.look_back is not None:
        assert set(delta) <= harness.touched_within(harness.look_back + SLACK)
    assert [len(p.frame) for p in pages if len(p.frame) > size] == []
    assert set(unchanged) <= harness.keys()  # the ERP kept them: only the change was made

    after = skus_of(read(adapter, pages[-1].cursor, size))  # the delta's own cursor resumes too
    assert duplicates(after) == []
    if harness.full_listing:
        assert set(after) == harness.keys()
    elif harness.look_back is None:
        assert after == []
    else:
        assert set(after) <= harness.touched_within(harness.look_back + SLACK)


def test_a_stored_cursor_it_cannot_read_is_an_adapter_error_or_a_fresh_start(harness: Harness) -> None:
    harness.seed(3)
    size = page_size_for(len(harness.keys()))
    adapter = harness.adapter()
    cursor = read(adapter, None, size)[-1].cursor
    garbled = dict.fromkeys(cursor, "not-a-cursor-value")
    assert garbled, "the last page's cursor says something"

    if harness.bad_cursor is None:  # documented: the cursor is ignored and everything read again
        skus = skus_of(read(adapter, garbled, size))
        assert duplicates(skus) == [] and set(skus) == harness.keys()
    else:
        error = adapter_error(partial(read, adapter, garbled, size))
        assert isinstance(error, harness.bad_cursor) and "\n" not in str(error)
        assert_no_secret(harness, shown(error))


# -- 3. listing keys for reconcile ---------------------------------------------------------------


def test_snapshot_lists_what_the_erp_holds_whatever_the_cursor_and_forgets_what_it_removed(
    harness: Harness,
) -> None:
    seeded = harness.seed(SEEDED)
    size = page_size_for(len(harness.keys()))
    adapter = harness.adapter()
    cursor = read(adapter, None, size)[-1].cursor
    read(adapter, cursor, size)  # the delta is read up to date: the snapshot must not care

    pages = list(adapter.snapshot(ENTITY, size))

    listed = skus_of(pages)
    assert duplicates(listed) == [] and set(listed) == harness.keys() and set(seeded) <= set(listed)
    assert [len(p.frame) for p in pages if len(p.frame) > size] == []

    removals = harness.removals()
    removed = dict(zip(removals, seeded, strict=False))
    assert len(removed) == len(removals) >= 1
    for how, sku in removed.items():
        removals[how](sku)
    listed = skus_of(adapter.snapshot(ENTITY, size))

    assert duplicates(listed) == [] and set(listed) == harness.keys()
    assert {how: sku for how, sku in removed.items() if sku in listed} == {}
    assert set(seeded) - set(removed.values()) <= set(listed)


# -- 4. pushing orders ---------------------------------------------------------------------------


def test_a_push_is_idempotent_by_the_shop_number(harness: Harness) -> None:
    adapter = harness.adapter()
    if Capability.PUSH_ORDERS not in adapter.capabilities:  # documented: such an adapter is refused
        with pytest.raises(AdapterConfigError):
            order_sink(adapter)
        return
    sink = order_sink(adapter)
    number, other = (f"W-{uuid.uuid4().hex[:8].upper()}" for _ in range(2))
    order = harness.order(number)
    assert sink.find_order(number) is None and harness.orders_in_erp(number) == 0

    first = sink.push_order(order, number)
    again = sink.push_order(order, number)
    elsewhere = order_sink(harness.adapter()).push_order(order, number)  # another worker retrying

    assert first and again == first and elsewhere == first
    assert sink.find_order(number) == first
    assert harness.orders_in_erp(number) == 1
    second = sink.push_order(harness.order(other), other)
    assert second and second != first and sink.find_order(other) == second
    assert harness.orders_in_erp(number) == harness.orders_in_erp(other) == 1


# -- 5. errors translated ------------------------------------------------------------------------

FAULTS = [
    pytest.param(kind, fault, id=f"{kind}-{fault}")
    for kind, harness_type in sorted(HARNESSES.items())
    for fault in harness_type.faults
]


@pytest.mark.parametrize(("harness", "fault"), FAULTS, indirect=["harness"])
def test_a_fault_is_an_adapter_error_of_its_kind_in_one_line(harness: Harness, fault: str) -> None:
    error = adapter_error(partial(harness.provoke, fault))

    expected = harness.faults[fault]
    assert isinstance(error, expected), f"{type(error).__name__} is not a {expected.__name__}: {error}"
    assert str(error).strip() and "\n" not in str(error)
    assert_no_secret(harness, shown(error))


# -- 6. no secret in any message -----------------------------------------------------------------


def test_the_secret_shows_in_no_repr_error_or_log_record(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    for logger in (None, "urllib3", "requests"):
        caplog.set_level(logging.DEBUG, logger=logger)
    adapter = harness.adapter()
    texts = [repr(adapter), str(adapter)]
    failing = harness.failing_options()
    ways = {"as the password": failing}
    if "url" in failing:  # a tenant may also paste it into the url: refused, or never shown
        ways["in the url too"] = with_secret_in_url(failing, harness.secret)
    errors: dict[str, ErpError] = {}

    for way, options in ways.items():
        try:
            made = create_adapter(harness.kind, options)
        except ErpError as refused:
            errors[way] = refused
            continue
        texts += [repr(made), str(made)]
        errors[way] = adapter_error(partial(read, made, None, 10))

    assert set(errors) == set(ways)  # every way ended in an adapter error
    texts += [shown(error) for error in errors.values()]
    texts += [f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records] + [caplog.text]
    assert_no_secret(harness, *texts)
