"""Cancelling a shop order: what the ERP has not got is never sent; what it has, it is asked to
cancel, where its adapter can, for one process; anything else is refused with the reason.

1. Locked, so that no export claims it meanwhile, the order is judged by how far its export got:
   - never sent (``pending`` with no attempt, or ``failed``: the ERP refused it): it leaves the
     outbox as ``cancelled``, and nothing reaches the ERP;
   - ``sending``: a worker is sending it right now; refused, to be tried again once it is sent;
   - ``pending`` after an attempt that may have reached the ERP: claimed, and the ERP asked; not
     there, it is cancelled as never sent; there, it is handled as sent;
   - ``sent``: the ERP is asked to cancel it (step 2);
   - already cancelled: nothing to do.
2. The adapter's ``cancel_order`` (``erp_adapters/orders.py`` → ``OrderCanceller``) under the
   quota guard: one process, under the idempotency key ``<tenant>:cancel:<number>``. An adapter
   that cannot cancel, or an ERP that refuses (a delivered order), leaves the order as it was,
   and the reason names the ERP's reference, to cancel it there by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from erp_adapters.base import ErpAdapter
from erp_adapters.errors import OrderRejected
from erp_adapters.orders import order_canceller, order_sink
from pipeline.send_orders import SendTarget
from quotas.guard import BatchGuard
from quotas.ledger import Ledger
from records.errors import InvalidInput
from services.outbox import claim, mark_cancelled, mark_sent, order_to_cancel, unclaim
from shop.db import unit_of_work


@dataclass(frozen=True)
class Cancellation:
    number: str
    in_erp: bool  # the ERP had the order, and was asked to cancel it
    done: str  # what happened, in a few words
    processes: int = 0


def cancel_order(target: SendTarget, number: str, adapter: ErpAdapter) -> Cancellation:
    with unit_of_work(target.sessions) as session:
        order = order_to_cancel(session, target.tenant_id, number)
        order_id, state, erp_ref = order.id, order.export_state, order.erp_ref
        if order.status == "cancelled":
            return Cancellation(number, state == "sent", f"order {number} was already cancelled")
        if state == "sending":
            raise InvalidInput(f"order {number} is being sent to the ERP right now: cancel it once it is sent")
        if state == "failed" or (state == "pending" and order.export_attempts == 0):
            mark_cancelled(session, order_id, sent=False)
            return Cancellation(number, False, f"order {number} cancelled before the ERP had it: it will not be sent")
    if state == "pending":  # an attempt may have reached the ERP: ask it first
        erp_ref = _ask_erp(target, order_id, number, adapter)
        if erp_ref is None:
            return Cancellation(number, False, f"order {number} cancelled before the ERP had it: it will not be sent")
    return _cancel_in_erp(target, order_id, number, str(erp_ref), adapter)


def _ask_erp(target: SendTarget, order_id: int, number: str, adapter: ErpAdapter) -> str | None:
    with unit_of_work(target.sessions) as session:
        if claim(session, target.tenant_id, order_id, dt.timedelta(seconds=target.order_lease_seconds)) is None:
            raise InvalidInput(f"order {number} is being sent to the ERP right now: cancel it once it is sent")
    try:
        erp_ref = order_sink(adapter).find_order(number)
    except BaseException:
        with unit_of_work(target.sessions) as session:
            unclaim(session, order_id)
        raise
    with unit_of_work(target.sessions) as session:
        if erp_ref is None:
            mark_cancelled(session, order_id, sent=False)
        else:  # it got there: the shop learns it now, and cancels it there
            mark_sent(session, order_id, erp_ref)
    return erp_ref


def _cancel_in_erp(target: SendTarget, order_id: int, number: str, erp_ref: str, adapter: ErpAdapter) -> Cancellation:
    canceller = order_canceller(adapter)
    if canceller is None:
        raise InvalidInput(
            f"order {number} is in the ERP as {erp_ref}, and the {adapter.name} adapter cannot cancel an order "
            f"there: cancel {erp_ref} in the ERP"
        )
    ledger = Ledger(target.sessions, lease_seconds=target.lease_seconds)
    key = f"{target.tenant}:cancel:{number}"
    with BatchGuard(ledger, target.tenant_id, key, credited=False) as guard:
        admission = guard.admit(new=0, updates=1)
        if admission.writes == 0 and not guard.already_applied:
            raise InvalidInput(f"order {number} not cancelled: {admission.exceeded}")
        try:
            done = canceller.cancel_order(number, erp_ref)
        except OrderRejected as refused:
            raise InvalidInput(f"{refused}; order {number} stays as it is in the shop") from None
        with unit_of_work(target.sessions) as session:
            mark_cancelled(session, order_id, sent=True)
            guard.commit(session, new_written=0, written=1, entity="orders", flow_run_id=target.flow_run_id)
    return Cancellation(number, True, done, processes=1)
