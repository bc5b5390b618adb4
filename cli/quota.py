"""`erp-sync quota`: a tenant's credits and processes this period."""

from __future__ import annotations

from typing import Annotated

import typer

from cli._context import open_shop
from cli._output import one_line_errors, print_json, table
from quotas.report import QuotaReport, quota_report
from services.tenants import get_tenant


@one_line_errors
def quota(slug: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Credits used / max, processes used / allowance, status and alerts of this period."""
    shop = open_shop()
    with shop.session() as session:
        tenant_id = get_tenant(session, slug).id
    report = quota_report(shop.sessions, shop.ledger, tenant_id)
    if as_json:
        print_json(report.to_json())
        return
    show_quota(report)


def show_quota(report: QuotaReport) -> None:
    processes = (
        "processes",
        report.processes_used,
        report.processes_allowance,
        percent(report.processes_used, report.processes_allowance),
    )
    if report.metric == "orders":  # the plan sells orders per month; credits and processes are only counted
        orders_max = report.orders_max or 0
        rows = [
            ("orders this month", report.orders_used, orders_max, percent(report.orders_used, orders_max)),
            ("credits", report.credits_used, "-", "-"),
            (*processes[:2], "-", "-"),
        ]
    else:
        rows = [
            ("credits", report.credits_used, report.credits_max, percent(report.credits_used, report.credits_max)),
            processes,
        ]
    table(
        f"{report.tenant} · plan {report.plan} · period {report.period} · {report.status}",
        ["", "used", "max", "%"],
        rows,
    )
    breakdown = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in report.credit_breakdown.items())
    print(f"credits: {breakdown}")
    spent = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in report.process_breakdown.items())
    print(f"processes this period: {spent or 'none yet'}")
    print(f"forecast: {report.forecast['sentence']}")
    storage = report.storage
    print(
        f"storage: {storage['total_bytes']:,} bytes (database {storage['database_bytes']:,}"
        f"{', estimated' if storage['estimated'] else ''}; files {storage['file_bytes']:,}) of "
        f"{storage['included_bytes']:,} included; overage {storage['extra_gb']} GB, €{storage['overage_eur']}"
    )
    for alert in report.alerts:
        sent = f"; sent to the owner {alert['sent_at'][:16].replace('T', ' ')} UTC" if alert["sent_at"] else ""
        print(f"alert: {alert['kind']} reached {alert['threshold']} % ({alert['used']:,}/{alert['limit']:,}){sent}")


def percent(used: int, limit: int) -> str:
    return f"{used / limit:.0%}" if limit else "-"
