"""Who is asking: a tenant (its own token) or ops (the configured ops token).

The API takes ``Authorization: Bearer <token>``; the page takes the token once (login form or
``?token=``) and then a cookie that holds the token's digest, signed with the console's secret.
The cookie never holds the token itself, and rotating the token logs the cookie out.

A request that carries ``Authorization: Bearer`` is authenticated by that header alone; a browser
never adds it to a request another site makes, so such requests need no CSRF defence. Every
other request that changes something is checked in ``console/security.py``.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from fastapi import HTTPException, Request, status
from sqlalchemy.orm import Session

from console.tokens import digest, tenant_for_digest
from services.tenants import get_tenant
from shop.models import Tenant

COOKIE = "erp_sync_console"


@dataclass(frozen=True)
class Viewer:
    """The caller: ops (``tenant_id`` None) or one tenant."""

    tenant_id: int | None
    slug: str | None
    token_digest: str

    @property
    def actor(self) -> str:
        return "ops" if self.tenant_id is None else "tenant"


@dataclass(frozen=True)
class Keys:
    ops_digest: str | None
    cookie_secret: bytes

    def sign(self, token_digest: str) -> str:
        return f"{token_digest}.{self._mac(token_digest)}"

    def unsign(self, cookie: str) -> str | None:
        token_digest, _, mac = cookie.partition(".")
        return token_digest if hmac.compare_digest(mac, self._mac(token_digest)) else None

    def csrf(self, nonce: str, session: str) -> str:
        """The page's forms' CSRF token: the browser's CSRF nonce (its own cookie) bound to its
        sign-in cookie (``""`` before signing in), under a key of its own derived from the secret."""
        key = hmac.new(self.cookie_secret, b"erp-sync console csrf", hashlib.sha256).digest()
        return hmac.new(key, f"{nonce}\0{session}".encode(), hashlib.sha256).hexdigest()

    def _mac(self, value: str) -> str:
        return hmac.new(self.cookie_secret, value.encode(), hashlib.sha256).hexdigest()


def identify(session: Session, keys: Keys, token_digest: str) -> Viewer | None:
    if keys.ops_digest is not None and hmac.compare_digest(token_digest, keys.ops_digest):
        return Viewer(None, None, token_digest)
    tenant = tenant_for_digest(session, token_digest)
    return Viewer(tenant.id, tenant.slug, token_digest) if tenant else None


def from_token(session: Session, keys: Keys, token: str) -> Viewer | None:
    return identify(session, keys, digest(token.strip()))


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if the request has one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token if scheme.lower() == "bearer" and token else None


def from_request(session: Session, keys: Keys, request: Request) -> Viewer | None:
    """The bearer token if one is given (a wrong one is not rescued by a cookie), else the cookie."""
    token = bearer_token(request)
    if token is not None:
        return from_token(session, keys, token)
    cookie = request.cookies.get(COOKIE)
    token_digest = keys.unsign(cookie) if cookie else None
    return identify(session, keys, token_digest) if token_digest else None


def tenant_for(session: Session, viewer: Viewer, slug: str) -> Tenant:
    """The tenant ``slug`` if the viewer may see it: ops any, a tenant only itself. Another
    tenant is 403 whether it exists or not, so a token cannot probe for names."""
    if viewer.tenant_id is not None and viewer.slug != slug:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"this token may only use tenant '{viewer.slug}'")
    return get_tenant(session, slug)
