"""Prefect's side of the retry policy in ``pipeline.retry``: which failed task runs are tried again."""

from __future__ import annotations

from prefect.states import State

from pipeline.retry import TRANSIENT


def is_transient(task: object, task_run: object, state: State) -> bool:
    """Prefect's ``retry_condition_fn``: retry the task only if it failed on a transient fault."""
    try:
        state.result()
    except TRANSIENT:
        return True
    except Exception:
        return False
    return False
