"""The order push as a Prefect task, one task run per batch of outbox orders."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NONE

from erp_adapters.orders import OrderSink
from pipeline.send_orders import SendResult, SendTarget, send_orders


@task(name="send-orders", task_run_name="send orders from id {order_ids[0]}", cache_policy=NONE)
def send_batch(order_ids: list[int], sink: OrderSink, target: SendTarget) -> SendResult:
    return send_orders(order_ids, sink, target)
