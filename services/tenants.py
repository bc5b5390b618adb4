"""Tenants and the plan catalogue: the repository the CLI and flows use to look them up."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from records.errors import InvalidInput, NotFound
from records.plans import PlanTerms
from shop.models import Plan, Tenant

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
POLICIES = ("notify", "pause")
SECRET_WORDS = ("password", "passwd", "secret", "token", "api_key", "apikey", "credential", "private_key")


def looks_secret(key: str) -> bool:
    """An option name that suggests a secret: such options are refused, and never shown."""
    return any(word in key.lower() for word in SECRET_WORDS)


def public_options(options: dict[str, Any]) -> dict[str, Any]:
    """ERP options with every key that looks like a secret left out, at any depth."""
    return {
        key: public_options(value) if isinstance(value, dict) else value
        for key, value in options.items()
        if not looks_secret(key)
    }


def plan_terms(plan: Plan) -> PlanTerms:
    return PlanTerms(
        plan.name, plan.max_credits, plan.monthly_price_eur, plan.allowance_policy, plan.metric, plan.max_orders
    )


def list_plans(session: Session) -> Sequence[Plan]:
    return session.scalars(select(Plan).order_by(Plan.metric, Plan.max_credits, Plan.max_orders, Plan.name)).all()


def get_plan(session: Session, name: str) -> Plan:
    plan = session.scalars(select(Plan).where(Plan.name == name)).one_or_none()
    if plan is None:
        known = ", ".join(p.name for p in list_plans(session)) or "none"
        raise NotFound(f"unknown plan '{name}' (known plans: {known})")
    return plan


def save_plan(session: Session, terms: PlanTerms) -> tuple[Plan, bool]:
    """Create the plan or update the one with that name; returns (plan, created)."""
    if terms.max_credits <= 0:
        raise InvalidInput(f"a plan needs a positive number of credits, got {terms.max_credits}")
    if terms.monthly_price_eur < 0:
        raise InvalidInput(f"a plan's price cannot be negative, got {terms.monthly_price_eur}")
    if terms.allowance_policy not in POLICIES:
        raise InvalidInput(f"policy must be one of {', '.join(POLICIES)}, got '{terms.allowance_policy}'")
    plan = session.scalars(select(Plan).where(Plan.name == terms.name)).one_or_none()
    created = plan is None
    if plan is None:
        plan = Plan(name=terms.name, metric="credits")
        session.add(plan)
    plan.max_credits = terms.max_credits
    plan.monthly_price_eur = Decimal(terms.monthly_price_eur)
    plan.allowance_policy = terms.allowance_policy
    session.flush()
    return plan, created


def get_tenant(session: Session, slug: str) -> Tenant:
    tenant = session.scalars(select(Tenant).where(Tenant.slug == slug)).one_or_none()
    if tenant is None:
        raise NotFound(f"unknown tenant '{slug}' (see `erp-sync tenant list`)")
    return tenant


def list_tenants(session: Session) -> Sequence[Tenant]:
    return session.scalars(select(Tenant).order_by(Tenant.slug)).all()


def add_tenant(
    session: Session,
    slug: str,
    plan_name: str,
    *,
    erp_kind: str,
    erp_options: dict[str, Any],
    entities: list[str],
    timezone: str = "Europe/Madrid",
    secret_name: str | None = None,
) -> Tenant:
    if not SLUG.match(slug):
        raise InvalidInput(f"tenant slug '{slug}' must be lower-case letters, digits and dashes")
    if session.scalars(select(Tenant.id).where(Tenant.slug == slug)).first() is not None:
        raise InvalidInput(f"tenant '{slug}' already exists")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown timezone '{timezone}'") from exc
    tenant = Tenant(
        slug=slug,
        plan_id=get_plan(session, plan_name).id,
        erp_kind=erp_kind,
        erp_options=erp_options,
        erp_secret_name=secret_name,
        entities=entities,
        timezone=timezone,
        status="active",
        credits_used=0,
        credits_reserved=0,
    )
    session.add(tenant)
    session.flush()
    return tenant


def remove_tenant(session: Session, slug: str) -> None:
    """Delete a tenant and everything it owns (the foreign keys cascade)."""
    tenant = get_tenant(session, slug)
    session.execute(delete(Tenant).where(Tenant.id == tenant.id))
