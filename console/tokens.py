"""Console tokens: one per tenant, stored as a SHA-256 digest and shown once, when created.

A token is 32 random bytes, so a fast digest is enough: there is no guessable password to
slow brute force down for, and a leaked table still cannot be turned back into tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.models import ConsoleToken, Tenant


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class IssuedToken(NamedTuple):
    token: str
    replaced: bool  # the tenant had a token before, which no longer works


def issue_token(session: Session, tenant_id: int) -> IssuedToken:
    """A new token for the tenant; the one it had before stops working at once."""
    old = session.scalars(select(ConsoleToken).where(ConsoleToken.tenant_id == tenant_id)).one_or_none()
    if old is not None:
        session.delete(old)
        session.flush()
    token = secrets.token_urlsafe(32)
    session.add(ConsoleToken(tenant_id=tenant_id, digest=digest(token)))
    session.flush()
    return IssuedToken(token, replaced=old is not None)


def tenant_for_digest(session: Session, token_digest: str) -> Tenant | None:
    query = select(Tenant).join(ConsoleToken, ConsoleToken.tenant_id == Tenant.id)
    return session.scalars(query.where(ConsoleToken.digest == token_digest)).one_or_none()
