"""`erp-sync plans`: the plan catalogue."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import typer

from cli._context import open_shop
from cli._output import err, one_line_errors, print_json, table
from records.plans import PlanTerms, monthly_allowance
from services.tenants import list_plans, save_plan
from shop.models import Plan

app = typer.Typer(help="List and edit the plan catalogue.", no_args_is_help=True)


def plan_json(plan: Plan) -> dict[str, object]:
    return {
        "name": plan.name,
        "metric": plan.metric,
        "max_credits": plan.max_credits,
        "max_orders": plan.max_orders,
        "monthly_processes": monthly_allowance(plan.max_credits),
        "monthly_price_eur": str(plan.monthly_price_eur),
        "allowance_policy": plan.allowance_policy,
    }


@app.command("list")
@one_line_errors
def list_(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The plans of both families, smallest first: sized in credits (with their monthly process
    allowance) and sized in orders per month."""
    with open_shop().session() as session:
        plans = [plan_json(plan) for plan in list_plans(session)]
    if as_json:
        print_json({"plans": plans})
        return
    by_credits = [p for p in plans if p["metric"] == "credits"]
    table(
        "Plans sized in credits",
        ["plan", "credits max", "processes / month", "€ / month", "over allowance"],
        [
            (p["name"], p["max_credits"], p["monthly_processes"], p["monthly_price_eur"], p["allowance_policy"])
            for p in by_credits
        ],
    )
    by_orders = [p for p in plans if p["metric"] == "orders"]
    if by_orders:
        table(
            "Plans sized in orders sent per month",
            ["plan", "orders / month", "€ / month"],
            [(p["name"], p["max_orders"], p["monthly_price_eur"]) for p in by_orders],
        )


@app.command("add")
@one_line_errors
def add(
    name: str,
    credits: Annotated[int, typer.Option("--credits", help="Maximum credits of the plan.")],
    price: Annotated[str, typer.Option("--price", help="Monthly price in euros.")] = "0",
    policy: Annotated[
        str, typer.Option("--policy", help="notify: alert and keep running past the allowance; pause: stop.")
    ] = "notify",
) -> None:
    """Add a plan, or change the one with that name."""
    try:
        amount = Decimal(price)
    except ArithmeticError:
        raise ValueError(f"price must be a number of euros, got '{price}'") from None
    with open_shop().session() as session:
        plan, created = save_plan(session, PlanTerms(name, credits, amount, policy))
        err.print(f"plan {plan.name} {'added' if created else 'updated'}: {plan.max_credits:,} credits")
