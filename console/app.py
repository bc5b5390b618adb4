"""The usage console: a FastAPI app serving the page and the JSON API over the shop DB."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.middleware.base import RequestResponseEndpoint

from app.root import process_root
from app.settings import Settings
from console import api, views
from console.auth import Keys, from_token
from console.tokens import digest
from records.errors import InvalidInput, NotFound


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(
        title="erp-sync usage console",
        description="Credits, processes, storage and controls of each shop; a tenant's token sees only its shop.",
        version="1",
    )
    app.state.console = process_root(settings)
    ops = settings.console_ops_token
    cookie_secret = settings.console_cookie_secret
    app.state.keys = Keys(
        ops_digest=digest(ops.get_secret_value()) if ops else None,
        cookie_secret=(cookie_secret.get_secret_value() if cookie_secret else secrets.token_hex(32)).encode(),
    )
    app.include_router(api.router)
    app.include_router(views.router)
    app.middleware("http")(token_in_address)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(InvalidInput, invalid_input)
    app.add_exception_handler(RequestValidationError, invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


async def token_in_address(request: Request, call_next: RequestResponseEndpoint) -> Response:
    """``/tenants/demo?token=…`` logs in once: the token becomes the signed cookie and the address
    loses it, so it stays out of the history from then on and out of the server's later logs."""
    token = request.query_params.get("token")
    if request.method != "GET" or token is None or request.url.path.startswith("/api"):
        return await call_next(request)
    keys: Keys = request.app.state.keys
    with request.app.state.console.sessions() as session:
        viewer = from_token(session, keys, token)
    rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
    response = RedirectResponse(request.url.path + (f"?{rest}" if rest else ""), status.HTTP_303_SEE_OTHER)
    if viewer is None:
        return views.sign_in_again(request)
    return views.login_cookie(response, keys, viewer)


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
