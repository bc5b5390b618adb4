"""Holded's REST API v1 transport: ``GET``/``POST`` under ``<url>/invoicing/v1`` with the API key
in a ``key`` header.

Reads are retried by urllib3's ``Retry``: back-off with jitter, ``Retry-After`` honoured on 429,
retries on 500/502/503/504 and dropped connections. Creates go through a second session that
retries only what Holded cannot have processed (a 429, a refused connection): a create whose
answer was lost is retried by the caller, which looks the document up first.

Holded answers some failures with HTTP 200: a body ``{"status": 0, "info": "..."}``, or its HTML
"page not found" for a path it does not serve. Every answer is therefore judged by its body,
not only by its status. The API key never appears in a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from erp_adapters.errors import AdapterConfigError, ErpError, MalformedSource, NoAnswer, TransientErpError
from erp_adapters.http import no_answer_reason, retry_policy, retrying_session

RETRY_STATUSES = (429, 500, 502, 503, 504)
API = "/invoicing/v1"


class HoldedRefused(ErpError):
    """Holded refused the call with its own reason (``{"status": 0, "info": ...}``), or has no
    such record (``missing``: HTTP 404)."""

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


class HoldedClient:
    def __init__(self, url: str, key: str, *, timeout: float = 30.0, retries: int = 5, backoff: float = 0.5) -> None:
        self.base = url.rstrip("/") + API
        self._key = key
        self._timeout = timeout
        reads = retry_policy(total=retries, statuses=RETRY_STATUSES, backoff=backoff, methods=frozenset({"GET"}))
        writes = retry_policy(total=retries, statuses=(429,), backoff=backoff, read=0, other=0)
        self._reads, self._writes = retrying_session(reads), retrying_session(writes)
        for session in (self._reads, self._writes):
            session.headers.update({"key": key, "Accept": "application/json"})

    def __repr__(self) -> str:
        return f"HoldedClient({self.base!r})"

    @property
    def timeout(self) -> float:
        """Seconds each call waits for Holded's answer."""
        return self._timeout

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """The JSON answer to ``GET <path>``, None for a record Holded does not have (HTTP 404).
        A refusal in the body is a ``TransientErpError``: the run fails with Holded's reason and
        is retried later."""
        try:
            return self._answer("GET", path, self._reads, params=dict(params or {}))
        except HoldedRefused as refused:
            if refused.missing:
                return None
            raise TransientErpError(str(refused)) from None

    def create(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST <path>``, never retried blindly once it may have reached Holded; a refusal in
        the body raises ``HoldedRefused``."""
        answer = self._answer("POST", path, self._writes, json=dict(body))
        if not isinstance(answer, dict):
            raise MalformedSource(f"holded: POST {path} answered {type(answer).__name__}, not the created record")
        return answer

    def _answer(self, method: str, path: str, session: requests.Session, **request: Any) -> Any:
        what = f"{method} {path}"
        try:
            response = session.request(method, self.base + path, timeout=self._timeout, **request)
            body = response.content  # read here: a cut-off answer fails inside the try
        except requests.RequestException as exc:
            raise NoAnswer(f"holded: {what} got no answer ({no_answer_reason(exc)})") from None
        if response.status_code in (401, 403):
            raise AdapterConfigError(f"holded: the API key was refused (HTTP {response.status_code} on {what})")
        if response.status_code in RETRY_STATUSES:
            raise TransientErpError(f"holded: {what} answered HTTP {response.status_code}")
        if response.status_code == 404:
            raise HoldedRefused(f"holded: {what}: not found", missing=True)
        if response.status_code not in (200, 201):
            raise AdapterConfigError(f"holded: {what} answered HTTP {response.status_code}; check the tenant's url")
        if body.lstrip()[:1] == b"<":
            raise MalformedSource(f"holded: {what} answered an HTML page, not JSON: check the tenant's url")
        try:
            answer = response.json()
        except ValueError:
            raise MalformedSource(f"holded: {what} did not answer JSON") from None
        if isinstance(answer, dict) and answer.get("status") == 0:
            info = self._scrub(str(answer.get("info") or "no reason given")).splitlines()[0]
            raise HoldedRefused(f"holded: {what} was refused: {info}")
        return answer

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text
