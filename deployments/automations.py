"""The automations ops rely on: a notification when a tenant nears or hits its quota, and when a
run fails; and a run whose process died marked Crashed. Prefect evaluates them on the server,
so no flow has to remember to send anything."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from prefect.automations import Automation
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState, SendNotification
from prefect.events.schemas.automations import EventTrigger, Posture

from records.states import STOP_STATES

# Typed as EventTrigger.match is: a dict[str, str] is not a dict[str, str | list[str]].
TENANTS: dict[str, str | list[str]] = {"prefect.resource.id": "erp-sync.tenant.*"}  # our quota events' resource
FLOW_RUNS: dict[str, str | list[str]] = {"prefect.resource.id": "prefect.flow-run.*"}
# The runs of the erp-sync pool send a heartbeat this often (the pool's job template sets it);
# three missed in a row mean the run's process is gone.
HEARTBEAT_SECONDS = 60
UNRESPONSIVE_AFTER = timedelta(seconds=3 * HEARTBEAT_SECONDS)


def _on(events: set[str], match: dict[str, str | list[str]]) -> EventTrigger:
    """Fire once per matching event."""
    return EventTrigger(expect=events, match=match, posture=Posture.Reactive, threshold=1, within=timedelta(0))


def automations(block_id: UUID) -> list[Automation]:
    """Each alert reaches ops once: the ledger emits a threshold event once per period and kind."""

    def alert(name: str, description: str, trigger: EventTrigger, subject: str, body: str) -> Automation:
        return Automation(
            name=name,
            description=description,
            trigger=trigger,
            actions=[SendNotification(block_document_id=block_id, subject=subject, body=body)],
        )

    return [
        alert(
            "erp-sync: quota exhausted",
            "A tenant hit its credit ceiling or process budget: its runs stop until an upgrade.",
            _on({"erp-sync.quota.exhausted"}, TENANTS),
            "erp-sync: {{ event.resource.name }} stopped at its {{ event.payload.kind }} limit",
            "{{ event.payload.message }}",
        ),
        alert(
            "erp-sync: quota threshold",
            "A tenant crossed 80, 90 or 100 % of its credits or monthly processes.",
            _on({"erp-sync.quota.threshold"}, TENANTS),
            "erp-sync: {{ event.resource.name }} at {{ event.payload.threshold }} % of its {{ event.payload.kind }}",
            "{{ event.payload.used }}/{{ event.payload.limit }} {{ event.payload.kind }} used in period "
            "{{ event.payload.period }}.",
        ),
        alert(
            "erp-sync: run failed",
            "A flow run failed or crashed (quota stops are Cancelled, not Failed, and stay quiet).",
            _on({"prefect.flow-run.Failed", "prefect.flow-run.Crashed"}, FLOW_RUNS),
            "erp-sync: run {{ event.resource.name }} {{ event.event.split('.')[-1] | lower }}",
            "{{ event.resource.name }}: {{ event.payload.validated_state.message }}",
        ),
    ]


def crash_unresponsive_runs() -> Automation:
    """A run whose heartbeats stop (its worker machine died, its process was killed) would stay
    Running for ever: it is marked Crashed, which the "run failed" automation then reports.
    Prefect's documented zombie-run automation."""
    return Automation(
        name="erp-sync: unresponsive run",
        description=f"No heartbeat from a running flow run for {UNRESPONSIVE_AFTER.seconds} s: mark it Crashed.",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            # A run's end, under every name it can end with: a quota stop is a Cancelled state
            # named CreditCeiling (its event is prefect.flow-run.CreditCeiling, not …Cancelled), and
            # so is a run that waited too long for its tenant's slot (TenantBusy).
            expect={
                "prefect.flow-run.heartbeat",
                *(f"prefect.flow-run.{name}" for name in ("Completed", "Failed", "Cancelled", "Crashed", *STOP_STATES)),
            },
            match=FLOW_RUNS,
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=UNRESPONSIVE_AFTER,
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"No heartbeat for {UNRESPONSIVE_AFTER.seconds} s: the run's process is gone.",
                # Prefect's defaults, spelled out: mypy reads a pydantic Field(None) as a required argument.
                name=None,
                force=False,
            )
        ],
    )
