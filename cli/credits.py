"""`erp-sync credits`: size a shop before it signs up."""

from __future__ import annotations

from typing import Annotated

import typer

from cli._context import open_shop
from cli._output import one_line_errors, print_json, table
from quotas.credits import CreditCount
from quotas.plans import recommend_plan
from services.tenants import list_plans, plan_terms

app = typer.Typer(help="Credit sizing.", no_args_is_help=True)

Count = Annotated[int, typer.Option()]


@app.command("estimate")
@one_line_errors
def estimate(
    variants: Count = 0,
    customers: Count = 0,
    contacts: Count = 0,
    sales_reps: Count = 0,
    admin_users: Count = 0,
    margin: Annotated[float | None, typer.Option(min=0, help="Headroom to keep, e.g. 0.2 = 20 %.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Credits = unique variants + customers + contacts + sales reps + admin users, and the
    smallest plan that holds them with a margin."""
    count = CreditCount(variants, customers, contacts, sales_reps, admin_users)
    shop = open_shop()
    margin = shop.settings.credit_margin if margin is None else margin
    with shop.session() as session:
        plan = recommend_plan(count.total, [plan_terms(p) for p in list_plans(session)], margin)
    payload = {
        "credits": count.total,
        "margin": margin,
        "recommended_plan": plan.name if plan else None,
        "plan_max_credits": plan.max_credits if plan else None,
        "monthly_processes": plan.monthly_allowance if plan else None,
        "monthly_price_eur": str(plan.monthly_price_eur) if plan else None,
    }
    if as_json:
        print_json(payload)
        return
    table(
        "Credit estimate",
        ["", "#"],
        [
            ("unique product variants", count.variants),
            ("customers", count.customers),
            ("contacts", count.contacts),
            ("sales reps", count.sales_reps),
            ("admin users", count.admin_users),
            ("credits", count.total),
        ],
    )
    if plan is None:
        print(f"No plan holds {count.total:,} credits with a {margin:.0%} margin: add one with `erp-sync plans add`.")
    else:
        print(
            f"Recommended plan: {plan.name} ({plan.max_credits:,} credits, {margin:.0%} margin kept), "
            f"{plan.monthly_allowance:,} processes a month, €{plan.monthly_price_eur}/month."
        )
