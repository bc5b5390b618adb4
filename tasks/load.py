"""The load step as a Prefect task: retried on transient faults only, each try under the batch's
idempotency key, so a retried load never counts twice."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NONE

from domain.batch import Batch
from pipeline.dry_run import DryRun
from pipeline.load import LoadResult, LoadTarget, load
from pipeline.retry import RETRY_DELAYS, RETRY_JITTER
from tasks.retry import is_transient


@task(
    name="load",
    task_run_name="load batch {batch_no}",
    cache_policy=NONE,
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=list(RETRY_DELAYS),
    retry_jitter_factor=RETRY_JITTER,
    retry_condition_fn=is_transient,
)
def load_batch(batch: Batch, target: LoadTarget, batch_no: int, dry_run: DryRun | None = None) -> LoadResult:
    return load(batch, target, batch_no, dry_run)
