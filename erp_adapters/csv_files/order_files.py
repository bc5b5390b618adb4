"""Orders for a file-based ERP: one CSV per order in the drop folder's ``orders/`` sub-folder.

Many on-premise Spanish ERPs import orders by polling a folder. The file is named by the shop's
order number (the idempotency key), so "does the ERP have it?" is "does the file exist?", and it
appears at once, complete, by a rename: the ERP never picks up half a file. A cancellation is
a file of its own next to the order's, ``<number>.cancel.csv``, for the ERP to act on.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import os
from pathlib import Path

from erp_adapters.errors import TransientErpError
from records.orders import ShopOrder

ORDERS_FOLDER = "orders"
CANCEL_SUFFIX = ".cancel.csv"
COLUMNS = (
    "number",
    "placed_at",
    "customer_code",
    "line_no",
    "sku",
    "description",
    "quantity",
    "unit_price",
    "currency",
    "total",
    "payment_method",
    "shipping_method",
    "billing_address",
    "shipping_address",
)


def order_path(folder: Path, idempotency_key: str, suffix: str = ".csv") -> Path:
    return folder / ORDERS_FOLDER / f"{idempotency_key}{suffix}"


def find_order_file(folder: Path, idempotency_key: str) -> str | None:
    """The ERP's reference of the order (its file's name, without ``.csv``) if it was dropped."""
    return idempotency_key if order_path(folder, idempotency_key).is_file() else None


def write_order_file(folder: Path, order: ShopOrder, idempotency_key: str) -> str:
    """Drop the order unless its file is already there; returns its reference."""
    found = find_order_file(folder, idempotency_key)
    if found is not None:
        return found
    _drop(order_path(folder, idempotency_key), order_csv(order), f"order {order.number}")
    return idempotency_key


def write_cancel_file(folder: Path, idempotency_key: str, erp_ref: str, at: dt.datetime) -> str:
    """Ask the ERP to cancel an order it took: ``orders/<number>.cancel.csv``, dropped once."""
    target = order_path(folder, idempotency_key, CANCEL_SUFFIX)
    if not target.is_file():
        body = f"number;erp_ref;cancelled_at\r\n{idempotency_key};{erp_ref};{at.isoformat()}\r\n"
        _drop(target, body, f"the cancellation of order {idempotency_key}")
    return f"cancel request {target.name} dropped"


def _drop(target: Path, body: str, what: str) -> None:
    """Write ``body`` under a dot-name without the suffix, then rename it into place: the ERP's
    folder poll never takes a half-written file."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        target.parent.mkdir(exist_ok=True)
        with partial.open("w", encoding="utf-8", newline="") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    except OSError as exc:
        with contextlib.suppress(OSError):  # nothing to clean when the folder itself is unusable
            partial.unlink(missing_ok=True)
        raise TransientErpError(f"cannot drop {what} in {target.parent}: {exc.strerror}") from None


def order_csv(order: ShopOrder) -> str:
    """One row per line, the order's own fields repeated: ``;``-separated, as these ERPs read."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for line_no, line in enumerate(order.lines, start=1):
        writer.writerow(
            (
                order.number,
                order.placed_at.isoformat(),
                order.customer_code,
                line_no,
                line.sku,
                line.description,
                line.quantity,
                line.unit_price,
                order.currency,
                order.total,
                order.payment_method or "",
                order.shipping_method or "",
                json.dumps(order.billing_address, ensure_ascii=False, sort_keys=True),
                json.dumps(order.shipping_address, ensure_ascii=False, sort_keys=True),
            )
        )
    return buffer.getvalue()
