"""The page: server-rendered HTML over the same overview and actions as the JSON API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from console import style
from console.actions import change_settings, request_plan, retry_quarantined_records
from console.auth import COOKIE, Keys, Viewer, bearer_token, from_token, tenant_for
from console.chart import daily_chart
from console.deps import ConsoleDep, KeysDep, MaybeViewerDep, ledger_of
from console.overview import build_overview
from console.security import CSRF_FIELD, csrf_matches, csrf_nonce, same_origin_path
from records.errors import InvalidInput, ShopError
from services.tenant_settings import SettingsChange
from services.tenants import list_plans, list_tenants


def csrf_context(request: Request) -> dict[str, Any]:
    """Every page's forms carry the CSRF token of this browser (see ``console/security.py``);
    the nonce it is made from goes out as a cookie with the page if the browser has none yet."""
    nonce = getattr(request.state, "csrf_nonce", None) or csrf_nonce(request)[0]
    request.state.csrf_nonce = nonce
    request.state.csrf_issued = True
    keys: Keys = request.app.state.keys
    return {"csrf_token": keys.csrf(nonce, request.cookies.get(COOKIE, ""))}


router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).with_name("templates"), context_processors=[csrf_context])


UNITS = (("GB", 10**9), ("MB", 10**6), ("kB", 10**3))  # decimal, as storage is sold


def human_bytes(value: int) -> str:
    unit, size = next(((unit, size) for unit, size in UNITS if value >= size), ("B", 1))
    return f"{value:,} B" if size == 1 else f"{value / size:,.1f} {unit}"


def percent(used: int, limit: int) -> int:
    return min(round(100 * used / limit), 100) if limit else 0


templates.env.filters["n"] = lambda value: f"{value:,}"
templates.env.filters["bytes"] = human_bytes
templates.env.globals["percent"] = percent
templates.env.globals["css_version"] = style.VERSION


async def checked_form(request: Request, keys: KeysDep) -> None:
    """The form must carry this browser's CSRF token, unless a Bearer header authenticates the
    request (no other site can make a browser send one)."""
    if bearer_token(request) is not None:
        return
    form = await request.form()
    if not csrf_matches(keys, request, form.get(CSRF_FIELD)):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "this form is out of date or was not sent from this console: reload the page and try again",
        )


CheckedForm = [Depends(checked_form)]


def login_cookie(response: Response, keys: Keys, viewer: Viewer) -> Response:
    # SameSite=Strict keeps other sites from posting the page's forms with this cookie; the Origin
    # check and the forms' CSRF token (console/security.py) stand in for browsers that ignore it.
    response.set_cookie(COOKIE, keys.sign(viewer.token_digest), httponly=True, samesite="strict")
    return response


def redirect(path: str) -> RedirectResponse:
    """303 to a path of this site; anything a browser could read as another site goes to ``/``."""
    return RedirectResponse(same_origin_path(path), status.HTTP_303_SEE_OTHER)


def back_to(slug: str, **message: str) -> RedirectResponse:
    return redirect(f"/tenants/{quote(slug, safe='')}?{urlencode(message)}")


def home() -> RedirectResponse:
    return redirect("/")


@router.get("/console.css")
def stylesheet() -> Response:
    return Response(style.CSS, media_type="text/css", headers={"Cache-Control": "public, max-age=86400"})


@router.get("/", response_class=HTMLResponse)
def index(request: Request, console: ConsoleDep, viewer: MaybeViewerDep) -> Response:
    if viewer is None:
        return templates.TemplateResponse(request, "login.html", {})
    if viewer.slug is not None:
        return redirect(f"/tenants/{quote(viewer.slug, safe='')}")
    with console.sessions() as session:
        plans = {p.id: p.name for p in list_plans(session)}
        rows = [(t.slug, plans[t.plan_id], t.status) for t in list_tenants(session)]
    return templates.TemplateResponse(request, "tenants.html", {"tenants": rows})


def sign_in_again(request: Request) -> Response:
    context = {"error": "That token is not valid. Ask for a new one: erp-sync console token SLUG"}
    return templates.TemplateResponse(request, "login.html", context, status_code=status.HTTP_401_UNAUTHORIZED)


@router.post("/login", response_class=HTMLResponse, dependencies=CheckedForm)
def login(request: Request, token: Annotated[str, Form()], console: ConsoleDep, keys: KeysDep) -> Response:
    with console.sessions() as session:
        viewer = from_token(session, keys, token)
    return sign_in_again(request) if viewer is None else login_cookie(home(), keys, viewer)


@router.post("/logout", dependencies=CheckedForm)
def logout() -> Response:
    response = home()
    response.delete_cookie(COOKIE)
    return response


@router.get("/tenants/{slug}", response_class=HTMLResponse)
def tenant_page(
    request: Request, slug: str, console: ConsoleDep, viewer: MaybeViewerDep, notice: str = "", error: str = ""
) -> Response:
    if viewer is None:
        return home()
    with console.sessions() as session:
        tenant_id = tenant_for(session, viewer, slug).id
        plans = [p.name for p in list_plans(session)]
    overview = build_overview(console.sessions, ledger_of(console), tenant_id)
    context: dict[str, Any] = {
        "o": overview,
        "q": overview.quota,
        "chart": daily_chart(overview.daily),
        "plans": [p for p in plans if p != overview.plan.name],
        "viewer": viewer,
        "notice": notice,
        "error": error,
    }
    return templates.TemplateResponse(request, "tenant.html", context)


@router.post("/tenants/{slug}/settings", dependencies=CheckedForm)
async def settings_form(request: Request, slug: str, console: ConsoleDep, viewer: MaybeViewerDep) -> Response:
    if viewer is None:
        return home()
    form = await request.form()
    with console.sessions() as session:
        tenant_id = tenant_for(session, viewer, slug).id
    try:
        change = SettingsChange(
            entities=[str(v) for v in form.getlist("entities")],
            schedules={
                str(key).removeprefix("every_"): _minutes(str(value))
                for key, value in form.multi_items()
                if str(key).startswith("every_")
            },
            priorities=str(form.get("priorities", "")).split(","),
        )
        changed = change_settings(console, viewer, tenant_id, change)
    except ShopError as exc:
        return back_to(slug, error=str(exc))
    return back_to(slug, notice=f"saved: {', '.join(changed)}" if changed else "nothing changed")


@router.post("/tenants/{slug}/plan-request", dependencies=CheckedForm)
def plan_form(slug: str, plan: Annotated[str, Form()], console: ConsoleDep, viewer: MaybeViewerDep) -> Response:
    if viewer is None:
        return home()
    with console.sessions() as session:
        tenant_id = tenant_for(session, viewer, slug).id
    try:
        wanted = request_plan(console, viewer, tenant_id, plan)
    except ShopError as exc:
        return back_to(slug, error=str(exc))
    return back_to(slug, notice=f"plan {wanted['to']} requested: ops will apply it and confirm")


@router.post("/tenants/{slug}/quarantine/{record_id}/retry", dependencies=CheckedForm)
def retry_form(slug: str, record_id: int, console: ConsoleDep, viewer: MaybeViewerDep) -> Response:
    if viewer is None:
        return home()
    with console.sessions() as session:
        tenant = tenant_for(session, viewer, slug)
    try:
        results = retry_quarantined_records(console, viewer, tenant, [record_id])
    except ShopError as exc:
        return back_to(slug, error=str(exc))
    loaded = sum(r["loaded"] for r in results)
    reason = next((r["exceeded"] for r in results if r["exceeded"]), None)
    text = f"record {record_id}: " + ("loaded" if loaded else f"still quarantined{f' ({reason})' if reason else ''}")
    return back_to(slug, notice=text)


def _minutes(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise InvalidInput(f"a schedule is a whole number of minutes, got '{value}'")
    return int(value)
