"""The reconcile step as a Prefect task, one task run per entity."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NONE

from pipeline.extract import Source
from pipeline.load import LoadTarget
from pipeline.reconcile import ReconcileResult, reconcile


@task(name="reconcile deletes", task_run_name="reconcile {entity}", cache_policy=NONE)
def reconcile_entity(source: Source, target: LoadTarget, entity: str, page_size: int) -> ReconcileResult:
    return reconcile(source, target, entity, page_size)
