"""The automations ops rely on: a notification when a tenant nears or hits its quota, and when a
run fails. Prefect evaluates them on the server, so no flow has to remember to send anything."""

from __future__ import annotations

from uuid import UUID

from prefect.automations import Automation
from prefect.events.actions import SendNotification
from prefect.events.schemas.automations import EventTrigger, Posture

TENANTS = {"prefect.resource.id": "erp-sync.tenant.*"}  # the resource our quota events carry
FLOW_RUNS = {"prefect.resource.id": "prefect.flow-run.*"}


def _on(events: set[str], match: dict[str, str]) -> EventTrigger:
    """Fire once per matching event."""
    return EventTrigger(expect=events, match=match, posture=Posture.Reactive, threshold=1, within=0)


def automations(block_id: UUID) -> list[Automation]:
    """Each alert reaches ops once: the ledger emits a threshold event once per period and kind."""

    def notify(subject: str, body: str) -> list[SendNotification]:
        return [SendNotification(block_document_id=block_id, subject=subject, body=body)]

    return [
        Automation(
            name="erp-sync: quota exhausted",
            description="A tenant hit its credit ceiling or process budget: its runs stop until an upgrade.",
            trigger=_on({"erp-sync.quota.exhausted"}, TENANTS),
            actions=notify(
                "erp-sync: {{ event.resource.name }} stopped at its {{ event.payload.kind }} limit",
                "{{ event.payload.message }}",
            ),
        ),
        Automation(
            name="erp-sync: quota threshold",
            description="A tenant crossed 80, 90 or 100 % of its credits or monthly processes.",
            trigger=_on({"erp-sync.quota.threshold"}, TENANTS),
            actions=notify(
                "erp-sync: {{ event.resource.name }} at {{ event.payload.threshold }} % "
                "of its {{ event.payload.kind }}",
                "{{ event.payload.used }}/{{ event.payload.limit }} {{ event.payload.kind }} used in period "
                "{{ event.payload.period }}.",
            ),
        ),
        Automation(
            name="erp-sync: run failed",
            description="A flow run failed or crashed (quota stops are Cancelled, not Failed, and stay quiet).",
            trigger=_on({"prefect.flow-run.Failed", "prefect.flow-run.Crashed"}, FLOW_RUNS),
            actions=notify(
                "erp-sync: run {{ event.resource.name }} {{ event.event.split('.')[-1] | lower }}",
                "{{ event.resource.name }}: {{ event.payload.validated_state.message }}",
            ),
        ),
    ]
