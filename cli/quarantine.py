"""`erp-sync quarantine`: the records a sync could not load, and retrying them."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

import typer

from cli._context import open_shop
from cli._output import err, one_line_errors, print_json, table
from cli.sync import EXIT_HELD
from records.errors import InvalidInput
from services.tenants import get_tenant
from shop.models import QuarantinedRecord, as_utc

app = typer.Typer(help="See and retry the records a sync could not load.", no_args_is_help=True)

RAW_WIDTH = 80  # characters of the raw row shown in the table; --json has all of it


def _when(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return as_utc(value).astimezone(dt.UTC).isoformat()


def record_json(record: QuarantinedRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "entity": record.entity,
        "source_ref": record.source_ref,
        "reason": record.reason,
        "raw": record.raw,
        "first_seen_at": _when(record.first_seen_at),
        "last_seen_at": _when(record.last_seen_at),
        "resolved_at": _when(record.resolved_at),
    }


def _short(when: str | None) -> str:
    return f"{when[:19].replace('T', ' ')} UTC" if when else ""


def compact(raw: dict[str, Any], width: int = RAW_WIDTH) -> str:
    text = json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= width else text[: width - 1] + "…"


@app.command("list")
@one_line_errors
def list_(
    slug: str,
    entity: Annotated[str | None, typer.Option("--entity", help="Only records of this entity.")] = None,
    include_resolved: Annotated[bool, typer.Option("--all", help="Resolved records too.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A tenant's quarantined records, newest first: why each was refused and its raw row."""
    from domain.entities import get_spec  # the specs and the quarantine's writes load pandas
    from shop.quarantine import list_quarantined

    if entity is not None:
        get_spec(entity)
    with open_shop().session() as session:
        tenant = get_tenant(session, slug)
        records = [record_json(r) for r in list_quarantined(session, tenant.id, entity, include_resolved)]
    if as_json:
        print_json({"tenant": slug, "records": records})
        return
    if not records:
        err.print(f"{slug} has no {'' if include_resolved else 'unresolved '}quarantined records")
        return
    columns = ["id", "entity", "source", "reason", "last seen", "raw"]
    rows = [
        [r["id"], r["entity"], r["source_ref"], r["reason"], _short(r["last_seen_at"]), compact(r["raw"])]
        for r in records
    ]
    if include_resolved:
        columns.append("resolved")
        for row, r in zip(rows, records, strict=True):
            row.append(_short(r["resolved_at"]))
    table(f"{slug} · quarantine", columns, rows)


@app.command("retry")
@one_line_errors
def retry(
    slug: str,
    ids: Annotated[list[int] | None, typer.Option("--id", help="A record to retry; repeatable.")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every unresolved record (of --entity, if given).")] = False,
    entity: Annotated[str | None, typer.Option("--entity", help="Only records of this entity.")] = None,
) -> None:
    """Validate quarantined rows again with the tenant's current column mapping and load the ones
    that pass, metered like any write (new records cost credits, writes cost processes)."""
    from console.actions import check_record_ids  # the pipeline loads pandas
    from pipeline.retry_quarantine import RetrySelection, retry_quarantined

    if ids and every:
        raise InvalidInput("give either --id or --all, not both")
    if not ids and not every:
        raise InvalidInput("say which records to retry: --id N (repeatable) or --all [--entity E]")
    check_record_ids(ids or ())
    shop = open_shop()
    with shop.session() as session:
        tenant_id = get_tenant(session, slug).id
    summaries = retry_quarantined(
        shop.sessions,
        tenant_id,
        slug,
        RetrySelection(tuple(ids or ()), entity),
        shop.settings.lease_seconds,
        page_size=shop.settings.batch_size,
        secrets=shop.secrets,
    )
    if not summaries:
        err.print(f"{slug} has no unresolved quarantined records{f' of {entity}' if entity else ''} to retry")
        return
    for summary in summaries:
        print(summary.line())
    stop = next((s.exceeded for s in summaries if s.exceeded is not None), None)
    if stop is not None:
        err.print(f"[yellow]{stop.state_name}[/yellow]: {stop}", highlight=False)
        raise typer.Exit(EXIT_HELD)
