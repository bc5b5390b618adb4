"""What keeps other sites out of the console: same-origin redirects, the Origin check and the CSRF
token on everything that changes state, the response headers, and the cookie secret kept on disk.

- A request that changes state (any method but GET, HEAD, OPTIONS) and is not authenticated by an
  ``Authorization: Bearer`` header must say where it comes from: its ``Origin`` (or, without one,
  its ``Referer``) must be the console's own address, or one of ``ERP_SYNC_CONSOLE_ORIGINS``.
- Each form of the page also carries a CSRF token: an HMAC of the browser's CSRF nonce (a cookie
  of its own) and its sign-in cookie, checked by the route (``console/views.py``).
- Every response carries a Content-Security-Policy with ``frame-ancestors 'none'``,
  ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin``.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import stat
from pathlib import Path
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request

from console.auth import COOKIE, Keys, bearer_token

CSRF_COOKIE = "erp_sync_console_csrf"
CSRF_FIELD = "csrf_token"
SECRET_FILE = "console-cookie-secret"  # under the settings' data_dir, when no secret is configured

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# The page has no script and takes its style sheet from /console.css: nothing inline to allow.
PAGE_CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
SWAGGER_CDN = "https://cdn.jsdelivr.net"  # where FastAPI's /docs page loads Swagger UI from


def docs_csp(nonce: str) -> str:
    """The policy of /docs alone (ops only): Swagger UI from its CDN, and the page's one inline
    script, which carries ``nonce``."""
    return (
        f"default-src 'self'; script-src 'self' {SWAGGER_CDN} 'nonce-{nonce}'; "
        f"style-src 'self' {SWAGGER_CDN} 'unsafe-inline'; img-src 'self' data: https://fastapi.tiangolo.com; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
    )


def add_headers(headers: MutableHeaders) -> None:
    for name, value in HEADERS.items():
        headers.setdefault(name, value)  # /docs sets a policy of its own


def same_origin_path(path: str) -> str:
    """``path`` if a browser can only read it as a path on this site, else ``/``: it starts with
    one ``/`` (not ``//`` or ``/\\``, which browsers read as another host) and holds no backslash
    or control character (browsers drop tabs and newlines, so ``/\\t/evil.example`` is ``//evil``)."""
    unsafe = (
        not path.startswith("/")
        or path.startswith("//")
        or "\\" in path
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in path)
    )
    return "/" if unsafe else path


def own_path(request: Request) -> str:
    """The request's path, to lead back to it, or ``/`` if it could be read as another site:
    checked as sent (Starlette writes a backslash as ``%5C``) and decoded."""
    decoded, encoded = request.scope["path"], request.url.path
    return encoded if same_origin_path(decoded) == decoded and same_origin_path(encoded) == encoded else "/"


def _netloc(origin: str) -> str | None:
    """``host[:port]`` of an http(s) origin, lower case, without the scheme's default port."""
    try:
        parts = urlsplit(origin)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    default = {"http": ":80", "https": ":443"}[parts.scheme]
    return parts.netloc.lower().removesuffix(default)


def cross_site_refusal(request: Request, origins: frozenset[str]) -> str | None:
    """Why this request must be refused as possibly sent by another site, or None if it may go on."""
    if request.method in SAFE_METHODS or bearer_token(request) is not None:
        return None
    claimed = request.headers.get("origin")
    if claimed is None:
        referer = request.headers.get("referer")
        if referer is None:
            return "refused: a request that changes something must carry an Origin or Referer header"
        try:
            parts = urlsplit(referer)
            claimed = f"{parts.scheme}://{parts.netloc}"
        except ValueError:
            claimed = referer
    if claimed.rstrip("/") in origins:
        return None
    host = request.headers.get("host", "").lower()
    netloc = _netloc(claimed)
    if netloc is None or not host or netloc != host.removesuffix(":80").removesuffix(":443"):
        return f"refused: this request comes from {claimed}, not from this console"
    return None


def csrf_nonce(request: Request) -> tuple[str, bool]:
    """The browser's CSRF nonce, and whether it is new (then it must be set as a cookie)."""
    nonce = request.cookies.get(CSRF_COOKIE, "")
    if len(nonce) == 64 and all(c in "0123456789abcdef" for c in nonce):
        return nonce, False
    return secrets.token_hex(32), True


def expected_csrf(keys: Keys, request: Request) -> str | None:
    """The CSRF token the forms of this browser's page carry; None without a CSRF cookie."""
    nonce = request.cookies.get(CSRF_COOKIE)
    return keys.csrf(nonce, request.cookies.get(COOKIE, "")) if nonce else None


def csrf_matches(keys: Keys, request: Request, sent: object) -> bool:
    expected = expected_csrf(keys, request)
    return isinstance(sent, str) and expected is not None and hmac.compare_digest(sent, expected)


def stored_cookie_secret(data_dir: Path) -> bytes:
    """The cookie secret kept in ``data_dir/console-cookie-secret`` (mode 0600): made once, by
    whichever process comes first, then read by every start after it."""
    path = data_dir / SECRET_FILE
    secret = _read_secret(path)
    if secret:
        return secret
    data_dir.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{SECRET_FILE}.{secrets.token_hex(8)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(draft, path)  # never replaces a secret another process made meanwhile
        except FileExistsError:
            if not _read_secret(path):  # an empty file left by someone: replace it
                os.replace(draft, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(draft)
    secret = _read_secret(path)
    if not secret:
        raise RuntimeError(f"cannot keep the console's cookie secret in {path}")
    return secret


def _read_secret(path: Path) -> bytes:
    try:
        secret = path.read_text(encoding="ascii").strip().encode()
    except FileNotFoundError:
        return b""
    if secret and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        with contextlib.suppress(OSError):  # only the owner should read it
            path.chmod(0o600)
    return secret
