"""The usage console: a FastAPI app serving the page and the JSON API over the shop DB."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.middleware.base import RequestResponseEndpoint

from app.root import process_root
from app.settings import Settings
from console import api, views
from console.auth import Keys, Viewer, from_token
from console.deps import ViewerDep
from console.security import (
    CSRF_COOKIE,
    add_headers,
    cross_site_refusal,
    csrf_nonce,
    docs_csp,
    own_path,
    stored_cookie_secret,
)
from console.tokens import digest
from records.errors import InvalidInput, NotFound


def create_app(settings: Settings) -> FastAPI:
    # The schema and the explorer are the ops token's only: FastAPI's open ones are off, ours below.
    app = FastAPI(
        title="erp-sync usage console",
        description="Credits, processes, storage and controls of each shop; a tenant's token sees only its shop.",
        version="1",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.console = process_root(settings)
    ops = settings.console_ops_token
    configured = settings.console_cookie_secret
    app.state.keys = Keys(
        ops_digest=digest(ops.get_secret_value()) if ops else None,
        cookie_secret=configured.get_secret_value().encode() if configured else stored_cookie_secret(settings.data_dir),
    )
    app.state.origins = frozenset(origin.rstrip("/") for origin in settings.console_origins)
    app.include_router(api.router)
    app.include_router(views.router)
    app.middleware("http")(token_in_address)
    app.middleware("http")(guard)  # added last, so it runs first: around everything else
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(InvalidInput, invalid_input)
    app.add_exception_handler(RequestValidationError, invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(viewer: ViewerDep) -> JSONResponse:
        ops_only(viewer)
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    def docs(viewer: ViewerDep) -> HTMLResponse:
        """Swagger UI, for ops signed in on the page (its calls carry the sign-in cookie)."""
        ops_only(viewer)
        nonce = secrets.token_urlsafe(16)
        page = get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} · API")
        html = bytes(page.body).decode().replace("<script>", f'<script nonce="{nonce}">')
        return HTMLResponse(html, headers={"Content-Security-Policy": docs_csp(nonce)})

    return app


def ops_only(viewer: Viewer) -> None:
    if viewer.tenant_id is not None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the API's schema and explorer are for the ops token")


async def guard(request: Request, call_next: RequestResponseEndpoint) -> Response:
    """Refuse a state change another site may have sent (Origin/Referer); give every answer the
    security headers, and a page with forms the CSRF nonce cookie its tokens are made from."""
    nonce, fresh = csrf_nonce(request)
    request.state.csrf_nonce = nonce
    refusal = cross_site_refusal(request, request.app.state.origins)
    response = _error(request, status.HTTP_403_FORBIDDEN, refusal) if refusal else await call_next(request)
    add_headers(response.headers)
    if fresh and getattr(request.state, "csrf_issued", False):
        response.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="lax")
    return response


async def token_in_address(request: Request, call_next: RequestResponseEndpoint) -> Response:
    """``/tenants/demo?token=…`` logs in once: the token becomes the signed cookie and the address
    loses it, so it stays out of the history from then on and out of the server's later logs."""
    token = request.query_params.get("token")
    if request.method != "GET" or token is None or request.url.path.startswith("/api"):
        return await call_next(request)
    keys: Keys = request.app.state.keys
    with request.app.state.console.sessions() as session:
        viewer = from_token(session, keys, token)
    if viewer is None:
        return views.sign_in_again(request)
    # The way on is a path of this site only: `//evil.example?token=…` goes to `/`, not there.
    path = own_path(request)
    rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
    return views.login_cookie(views.redirect(path + (f"?{rest}" if rest else "")), keys, viewer)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or request.url.path.startswith("/openapi")


def _error(request: Request, code: int, message: str, **extra: object) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message, **extra}, status_code=code)
    return views.templates.TemplateResponse(request, "error.html", {"message": message}, status_code=code)


async def not_found(request: Request, exc: Exception) -> Response:
    return _error(request, status.HTTP_404_NOT_FOUND, str(exc))


async def invalid_input(request: Request, exc: Exception) -> Response:
    return _error(request, status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc))


async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
    """One readable line (``body.ids: List should have at least 1 item``), the details beside it."""
    errors = exc.errors()
    message = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
    details = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]
    return _error(request, status.HTTP_422_UNPROCESSABLE_CONTENT, message, errors=details)


async def http_error(request: Request, exc: HTTPException) -> Response:
    response = _error(request, exc.status_code, str(exc.detail))
    response.headers.update(exc.headers or {})
    return response
