"""With a Prefect server (``PREFECT_API_URL``) and its deployments in place, `sync`, `resume`,
`reconcile` and `export` create a run of the deployment, as the dispatcher does, and follow it to
its end: the run gets a worker, its tenant's tags and the UI's Retry button. Without a server, or
with `--local`, they run the flow in this process."""

from __future__ import annotations

import json
import time
from typing import Any

from cli._output import err
from cli.sync import SyncOutcome
from records.states import STOP_STATES

POLL_SECONDS = 1.0
# The artifact a completed run's counts are read from, by deployment (see flows/reporting.py).
SUMMARIES = {"sync-tenant": "sync", "export-orders": "orders-export"}


def run_on_server(target: str, slug: str, plan: str, parameters: dict[str, Any]) -> SyncOutcome | None:
    """The outcome of a run of deployment ``target``, or None when there is no server or no such
    deployment (the caller then runs the flow itself)."""
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL

    from flows.tenancy import VERBS, run_label, run_tags

    if not PREFECT_API_URL.value():
        return None
    with get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name(f"{target}/{target}")
        except ObjectNotFound:
            return None
        run = client.create_flow_run_from_deployment(
            deployment.id,
            parameters=parameters,
            tags=run_tags(slug, plan),
            name=run_label(VERBS[target], parameters),
        )
        err.print(f"run '{run.name}' of deployment {target}: {PREFECT_UI_URL.value()}/runs/flow-run/{run.id}")
        with err.status(f"{run.name}: waiting for a worker") as status:
            while run.state is None or not run.state.is_final():
                time.sleep(POLL_SECONDS)  # the API's state, polled as the UI does
                run = client.read_flow_run(run.id)
                status.update(f"{run.name}: {run.state.name if run.state else 'created'}")
        summary = SUMMARIES.get(target)
        rows = _artifact_rows(client, run.id, f"{slug}-{summary}") if summary else []
    state = run.state
    if state.name in STOP_STATES:
        return SyncOutcome(state.name, state.message or "")
    if not state.is_completed():
        return SyncOutcome("Failed", f"{run.name} ended {state.name}: {state.message or ''}".strip())
    if target == "sync-tenant":
        return SyncOutcome(
            "Completed", state.message or "", {row.pop("entity"): row for row in rows if "fetched" in row}
        )
    return SyncOutcome("Completed", state.message or "", rows[0] if rows else {})


def _artifact_rows(client: Any, run_id: Any, key: str) -> list[dict[str, Any]]:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    found = client.read_artifacts(
        artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]), key=ArtifactFilterKey(any_=[key])
        )
    )
    if not found:
        return []
    data = found[0].data
    return list(json.loads(data) if isinstance(data, str) else data)
