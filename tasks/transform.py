"""The transform step as a Prefect task, one task run per page."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NONE

from domain.batch import Batch
from pipeline.imports import transform_entity_page
from records.erp import Page


@task(name="transform", task_run_name="transform {page.source}:{page.first_row}", cache_policy=NONE)
def transform_batch(page: Page, entity: str) -> Batch:
    """Validation is deterministic: no retries; a malformed source fails the run at once."""
    return transform_entity_page(page, entity)
