"""The order outbox: orders placed in the shop wait here until the ERP has them.

An order is written with its lines and ``export_state='pending'`` in one transaction, so an order
the shop accepted is never lost and never needs the ERP (or the quota) to be up. The export then
moves each order through ``sending`` (claimed, with a lease, before the ERP is called) to ``sent``
(the ERP's reference stored) or ``failed`` (the ERP refused it; parked until retried). An order
left ``sending`` by a worker that died is taken over once its lease runs out, and the ERP is asked
whether it already has it before anything is sent again.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.order_input import ORDER_NUMBER_PATTERN
from records.errors import InvalidInput, NotFound
from records.orders import ShopOrder, ShopOrderLine
from shop.models import Order, OrderLine, now_utc

# Order numbers name files in drop folders and references in ERPs: keep them plain.
ORDER_NUMBER = re.compile(ORDER_NUMBER_PATTERN)


def place_order(session: Session, tenant_id: int, order: ShopOrder) -> Order:
    """Write the order and its lines to the outbox, in the caller's transaction. Quota plays no
    part here: the shop keeps taking orders when the tenant is held; they are sent later."""
    check_order(order)
    row = Order(
        tenant_id=tenant_id,
        number=order.number,
        customer_code=order.customer_code,
        placed_at=order.placed_at,
        total=order.total or sum((line.quantity * line.unit_price for line in order.lines), Decimal(0)),
        currency=order.currency,
        billing_address=dict(order.billing_address),
        shipping_address=dict(order.shipping_address),
        payment_method=order.payment_method,
        shipping_method=order.shipping_method,
        export_state="pending",
        export_attempts=0,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise InvalidInput(f"order {order.number} already exists in this shop") from None
    session.add_all(
        OrderLine(
            tenant_id=tenant_id,
            order_id=row.id,
            line_no=line_no,
            sku=line.sku,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
        )
        for line_no, line in enumerate(order.lines, start=1)
    )
    session.flush()
    return row


def check_order(order: ShopOrder) -> None:
    if not ORDER_NUMBER.match(order.number):
        raise InvalidInput(
            f"order number '{order.number}' must be 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if not order.customer_code.strip():
        raise InvalidInput(f"order {order.number} has no customer code")
    if not order.lines:
        raise InvalidInput(f"order {order.number} has no lines")
    for line_no, line in enumerate(order.lines, start=1):
        if not line.sku.strip():
            raise InvalidInput(f"order {order.number}, line {line_no}: no sku")
        if not line.quantity > 0:
            raise InvalidInput(f"order {order.number}, line {line_no}: quantity must be positive, got {line.quantity}")
        if line.unit_price < 0:
            raise InvalidInput(f"order {order.number}, line {line_no}: negative unit price {line.unit_price}")


# -- the export's side ---------------------------------------------------------------------------


def _sendable(tenant_id: int, now: dt.datetime) -> ColumnElement[bool]:
    """Pending orders, and orders whose sender's lease ran out (it died or hung mid-send)."""
    return and_(
        Order.tenant_id == tenant_id,
        or_(
            Order.export_state == "pending",
            and_(Order.export_state == "sending", Order.export_lease_until < now),
        ),
    )


def sendable_ids(
    session: Session, tenant_id: int, after_id: int, limit: int, now: dt.datetime | None = None
) -> list[int]:
    """The next orders to send, oldest first, after ``after_id`` (so one run passes each once)."""
    query = (
        select(Order.id)
        .where(_sendable(tenant_id, now or now_utc()), Order.id > after_id)
        .order_by(Order.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def claim(session: Session, tenant_id: int, order_id: int, lease: dt.timedelta) -> tuple[ShopOrder, bool] | None:
    """Mark the order ``sending`` for this worker until the lease ends, counting the attempt.

    Returns the order and whether an earlier attempt may have reached the ERP (so it must be
    looked up there first), or None when another worker holds it or it is no longer sendable.
    The update is a compare-and-set, so two workers never own the same order.
    """
    now = now_utc()
    row = session.execute(
        select(Order.export_state, Order.export_attempts).where(Order.id == order_id, Order.tenant_id == tenant_id)
    ).one_or_none()
    if row is None:
        return None
    taken = session.execute(
        update(Order)
        .where(Order.id == order_id, _sendable(tenant_id, now), Order.export_attempts == row.export_attempts)
        .values(export_state="sending", export_attempts=Order.export_attempts + 1, export_lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return load_shop_order(session, order_id), row.export_state == "sending" or row.export_attempts > 0


def unclaim(session: Session, order_id: int) -> None:
    """Give back an order claimed but not sent (the quota refused it): as it was, attempt uncounted."""
    session.execute(
        update(Order)
        .where(Order.id == order_id, Order.export_state == "sending")
        .values(export_state="pending", export_attempts=Order.export_attempts - 1, export_lease_until=None)
        .execution_options(synchronize_session=False)
    )


def mark_sent(session: Session, order_id: int, erp_ref: str) -> None:
    _finish(session, order_id, export_state="sent", erp_ref=erp_ref, exported_at=now_utc(), export_error=None)


def mark_failed(session: Session, order_id: int, reason: str) -> None:
    """The ERP refused the order: it is parked with the ERP's reason until someone retries it."""
    _finish(session, order_id, export_state="failed", export_error=reason)


def mark_waiting(session: Session, order_id: int, reason: str) -> None:
    """The ERP could not be reached: the order waits for the next run; the ERP is asked first then."""
    _finish(session, order_id, export_state="pending", export_error=reason)


def _finish(session: Session, order_id: int, **values: object) -> None:
    session.execute(
        update(Order)
        .where(Order.id == order_id)
        .values(export_lease_until=None, **values)
        .execution_options(synchronize_session=False)
    )


def order_to_cancel(session: Session, tenant_id: int, number: str) -> Order:
    """The order, locked until the transaction ends, so that an export cannot claim it meanwhile."""
    query = select(Order).where(Order.tenant_id == tenant_id, Order.number == number).with_for_update()
    order = session.scalars(query).one_or_none()
    if order is None:
        raise NotFound(f"no order {number} in this tenant's shop")
    return order


def mark_cancelled(session: Session, order_id: int, *, sent: bool) -> None:
    """Cancelled in the shop; an order the ERP never had also leaves the outbox for good."""
    values: dict[str, object] = (
        {"status": "cancelled"} if sent else {"status": "cancelled", "export_state": "cancelled"}
    )
    _finish(session, order_id, **values)


def load_shop_order(session: Session, order_id: int) -> ShopOrder:
    order = session.get_one(Order, order_id)
    lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.line_no))
    return ShopOrder(
        number=order.number,
        customer_code=order.customer_code,
        placed_at=order.placed_at,
        lines=tuple(ShopOrderLine(ln.sku, ln.quantity, ln.unit_price, ln.description) for ln in lines),
        currency=order.currency,
        total=order.total,
        billing_address=dict(order.billing_address),
        shipping_address=dict(order.shipping_address),
        payment_method=order.payment_method,
        shipping_method=order.shipping_method,
    )


# -- what the shop owner sees and does -----------------------------------------------------------


def count_waiting(session: Session, tenant_id: int) -> int:
    """Orders not in the ERP yet and not parked: what the next export will send."""
    query = select(func.count()).where(Order.tenant_id == tenant_id, Order.export_state.in_(("pending", "sending")))
    return session.execute(query).scalar_one()


def list_orders(session: Session, tenant_id: int, states: Sequence[str]) -> Sequence[Order]:
    query = select(Order).where(Order.tenant_id == tenant_id, Order.export_state.in_(states)).order_by(Order.id)
    return session.scalars(query).all()


def requeue_failed(session: Session, tenant_id: int, numbers: Sequence[str] | None) -> list[str]:
    """Put parked orders back in the outbox (all of them when ``numbers`` is None), after the
    order or the ERP's data was fixed. Returns the numbers requeued."""
    query = select(Order).where(Order.tenant_id == tenant_id, Order.export_state == "failed")
    if numbers is not None:
        query = query.where(Order.number.in_(numbers))
    orders = session.scalars(query.order_by(Order.id)).all()
    if numbers is not None:
        missing = sorted(set(numbers) - {order.number for order in orders})
        if missing:
            raise NotFound(f"no failed order {', '.join(missing)} (see `erp-sync orders failed`)")
    for order in orders:
        order.export_state = "pending"
        order.export_error = None
    session.flush()
    return [order.number for order in orders]
