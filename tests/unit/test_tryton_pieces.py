"""The tryton adapter's pure parts: the delta window, Tryton's JSON values, options."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from erp_adapters.errors import AdapterConfigError
from erp_adapters.registry import create_adapter
from erp_adapters.tryton.codec import dumps, loads
from erp_adapters.tryton.window import Window
from erp_adapters.values import text

NOW = dt.datetime(2026, 11, 25, 9, 0)
FIVE = dt.timedelta(minutes=5)


def test_a_first_run_reads_everything_and_hands_on_its_start() -> None:
    window = Window.open(None, NOW)
    assert window.domain(["write_date"], FIVE) == []
    assert window.cursor_done() == {"write_date": "2026-11-25T09:00:00", "id": 0}


def test_a_delta_starts_the_look_back_before_the_cursor_on_every_stamp() -> None:
    window = Window.open({"write_date": "2026-11-25T08:00:00", "id": 0}, NOW)
    start = dt.datetime(2026, 11, 25, 7, 55)
    assert window.domain(["write_date", "template.write_date"], FIVE) == [
        ["OR", ["write_date", ">=", start], ["template.write_date", ">=", start]]
    ]


def test_a_resumed_run_keeps_the_interrupted_runs_start_for_the_next_window() -> None:
    first = Window.open({"write_date": "2026-11-25T08:00:00", "id": 0}, NOW)
    mid = first.cursor_after(412)
    resumed = Window.open(mid, NOW + dt.timedelta(hours=1))
    assert (resumed.after_id, resumed.since, resumed.until) == (412, first.since, NOW)
    assert resumed.cursor_done() == {"write_date": "2026-11-25T09:00:00", "id": 0}


@pytest.mark.parametrize(
    ("cursor", "message"),
    [
        ({"write_date": "yesterday"}, "not ISO 8601: 'yesterday'"),
        ({"write_date": None, "id": -3}, "whole number, got -3"),
    ],
)
def test_a_damaged_cursor_is_a_one_line_error(cursor: dict[str, object], message: str) -> None:
    with pytest.raises(AdapterConfigError, match=message):
        Window.open(cursor, NOW)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (2.0, "2"),
        (2.5, "2.5"),
        (Decimal("10.00"), "10"),
        (Decimal("9.95"), "9.95"),
        (dt.date(2026, 1, 2), "2026-01-02"),
        (dt.datetime(2026, 1, 2, 23, 59), "2026-01-02"),
        ("  Calle Mayor 1 ", "Calle Mayor 1"),
    ],
)
def test_values_become_the_pipelines_text(value: object, expected: str) -> None:
    assert text(value) == expected


def test_dates_datetimes_and_decimals_travel_as_tryton_encodes_them() -> None:
    values = [Decimal("19.90"), dt.date(2026, 11, 25), dt.datetime(2026, 11, 25, 8, 30, 1, 5)]
    assert '{"__class__": "Decimal", "decimal": "19.90"}' in dumps(values)
    assert loads(dumps(values)) == values


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"look_back_minutes": "-1"}, "'look_back_minutes' cannot be negative"),
        ({"retries": "many"}, "'retries' must be a number, got 'many'"),
        ({"confirm_orders": "maybe"}, "'confirm_orders' must be true or false"),
        ({"url": "http://sync:hunter2@erp.example"}, "must not carry a password; use the tenant's secret"),
    ],
)
def test_bad_options_are_refused_before_any_call(extra: dict[str, str], message: str) -> None:
    options = {"url": "http://127.0.0.1:9", "database": "erp", "user": "sync", "password": "pw", **extra}
    with pytest.raises(AdapterConfigError, match=message):
        create_adapter("tryton", options)
