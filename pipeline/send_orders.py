"""Send: push a batch of outbox orders to the ERP, each one guarded and counted exactly once.

For each order, in this order:

1. claim it (``sending``, attempt counted, leased to this worker) in its own transaction, so a
   worker that dies from here on leaves a trace the next run acts on;
2. reserve one process, and one order on plans sized in orders, under the idempotency key
   ``<tenant>:order:<number>``: a retry reuses the key and is never counted twice;
3. if an earlier attempt may have reached the ERP, ask the ERP for the order first; otherwise,
   or if it is not there, push it (the adapter looks it up once more before creating);
4. store the ERP's reference and commit the usage in one transaction.

A refused order is parked with the ERP's reason; an ERP that cannot be reached stops the batch
and leaves the order waiting; a quota refusal gives the order back untouched and stops.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from erp_adapters.errors import ErpError, OrderRejected, TransientErpError
from erp_adapters.orders import OrderSink
from quotas.errors import QuotaExceeded
from quotas.guard import BatchGuard
from quotas.ledger import Ledger
from quotas.thresholds import ThresholdCrossed
from services.outbox import claim, mark_failed, mark_sent, mark_waiting, sendable_ids, unclaim
from shop.db import unit_of_work


@dataclass(frozen=True)
class SendTarget:
    """Whose orders go out, and on what terms."""

    sessions: sessionmaker[Session]
    tenant_id: int
    tenant: str
    meters_orders: bool  # the plan is sized in orders per month: each order sent costs one
    flow_run_id: str | None = None
    lease_seconds: int = 900
    order_lease_seconds: int = 300


@dataclass
class SendResult:
    claimed: int = 0
    sent: int = 0  # pushed to the ERP by this run
    found: int = 0  # already in the ERP from an attempt that died before recording it
    rejected: int = 0  # parked with the ERP's reason
    exceeded: QuotaExceeded | None = None
    interrupted: str | None = None  # why the ERP could not be reached, if it stopped the batch
    thresholds: list[ThresholdCrossed] = field(default_factory=list)

    @property
    def processes(self) -> int:
        return self.sent + self.found

    @property
    def stopped(self) -> bool:
        return self.exceeded is not None or self.interrupted is not None

    def add(self, other: SendResult) -> None:
        for name in ("claimed", "sent", "found", "rejected"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.exceeded = self.exceeded or other.exceeded
        self.interrupted = self.interrupted or other.interrupted
        self.thresholds += other.thresholds


def send_orders(order_ids: list[int], sink: OrderSink, target: SendTarget) -> SendResult:
    ledger = Ledger(target.sessions, lease_seconds=target.lease_seconds)
    result = SendResult()
    for order_id in order_ids:
        result.add(send_one(order_id, sink, target, ledger))
        if result.stopped:
            break
    return result


def send_one(order_id: int, sink: OrderSink, target: SendTarget, ledger: Ledger) -> SendResult:
    with unit_of_work(target.sessions) as session:
        claimed = claim(session, target.tenant_id, order_id, dt.timedelta(seconds=target.order_lease_seconds))
    if claimed is None:  # another worker is sending it
        return SendResult()
    order, maybe_in_erp = claimed
    key = f"{target.tenant}:order:{order.number}"
    with BatchGuard(ledger, target.tenant_id, key, credited=target.meters_orders, new_costs="orders") as guard:
        admission = guard.admit(new=1, updates=0)
        if admission.writes == 0 and not guard.already_applied:
            with unit_of_work(target.sessions) as session:
                unclaim(session, order_id)
            return SendResult(exceeded=admission.exceeded)
        try:
            erp_ref = sink.find_order(order.number) if maybe_in_erp else None
            found = erp_ref is not None
            if erp_ref is None:
                erp_ref = sink.push_order(order, order.number)
        except OrderRejected as exc:
            with unit_of_work(target.sessions) as session:
                mark_failed(session, order_id, str(exc))
            return SendResult(claimed=1, rejected=1)
        except TransientErpError as exc:
            with unit_of_work(target.sessions) as session:
                mark_waiting(session, order_id, str(exc))
            return SendResult(claimed=1, interrupted=str(exc))
        except ErpError as exc:  # the set-up is wrong (a refused login…): the run fails, the order waits
            with unit_of_work(target.sessions) as session:
                mark_waiting(session, order_id, str(exc))
            raise
        with unit_of_work(target.sessions) as session:
            mark_sent(session, order_id, erp_ref)
            crossings = guard.commit(session, new_written=1, written=1, entity="orders", flow_run_id=target.flow_run_id)
    return SendResult(claimed=1, sent=int(not found), found=int(found), thresholds=crossings)


ORDERS_PER_BATCH = 100  # one step call per batch: enough to keep Prefect's per-task cost small

SendStep = Callable[[list[int], OrderSink, SendTarget], SendResult]


def export_outbox(
    target: SendTarget,
    sink: OrderSink,
    *,
    step: SendStep = send_orders,
    thresholds: Callable[[list[ThresholdCrossed]], None] = lambda crossings: None,
    totals: SendResult | None = None,
) -> SendResult:
    """Send the tenant's waiting orders in batches until the outbox is empty, the quota stops them
    or the ERP cannot be reached. A caller that passes its own ``totals`` keeps the counts of an
    export that fails part-way."""
    totals = totals or SendResult()
    after = 0
    while not totals.stopped:
        with target.sessions() as session:
            batch = sendable_ids(session, target.tenant_id, after, ORDERS_PER_BATCH)
        if not batch:
            break
        result = step(batch, sink, target)
        totals.add(result)
        thresholds(result.thresholds)
        after = batch[-1]
    return totals
