"""Tryton's JSON: dates, datetimes and decimals travel as ``{"__class__": ..., ...}`` objects."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any


def encode(value: Any) -> Any:
    """For ``json.dumps(default=encode)``: the objects Tryton's JSON-RPC decodes back."""
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, dt.datetime):
        return {
            "__class__": "datetime",
            **{part: getattr(value, part) for part in ("year", "month", "day", "hour", "minute", "second")},
            "microsecond": value.microsecond,
        }
    if isinstance(value, dt.date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    raise TypeError(f"cannot send {type(value).__name__} to Tryton")


def _decode(obj: dict[str, Any]) -> Any:
    kind = obj.get("__class__")
    if kind == "Decimal":
        return Decimal(obj["decimal"])
    if kind == "datetime":
        return dt.datetime(
            obj["year"], obj["month"], obj["day"], obj["hour"], obj["minute"], obj["second"], obj.get("microsecond", 0)
        )
    if kind == "date":
        return dt.date(obj["year"], obj["month"], obj["day"])
    return obj


def dumps(payload: Any) -> str:
    return json.dumps(payload, default=encode)


def loads(text: str) -> Any:
    return json.loads(text, object_hook=_decode)
