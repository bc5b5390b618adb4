"""JSON-RPC transport to one Tryton database: login, session header, retries, error families.

Reads retry timeouts, resets, 429 (honouring Retry-After) and 5xx with exponential backoff and
jitter. Writes retry only what Tryton cannot have processed (no connection, 429, 503): a write
whose answer was lost is left to the caller, which looks the record up before writing again.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests
from urllib3.util.retry import Retry

from erp_adapters.errors import AdapterConfigError, ErpError, MalformedSource, TransientErpError
from erp_adapters.http import retry_policy, retrying_session
from erp_adapters.tryton.codec import dumps, loads
from erp_adapters.tryton.pacing import endpoint_of, wait_for_slot

_LOGIN = "common.db.login"
_ERROR_TEXT = 200  # characters of a server message kept in an error line


class TrytonRefused(ErpError):
    """Tryton answered the call with an error of its own (access, validation, a user error)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"tryton refused: {kind}: {message}")
        self.kind = kind
        self.message = message


class SessionExpired(TransientErpError):
    """The server no longer knows the session (timed out, server restarted): log in again."""


@dataclass(frozen=True)
class Transport:
    timeout: tuple[float, float] = (5.0, 120.0)  # connect, read (computed fields can take a while)
    retries: int = 5
    backoff: float = 0.5  # seconds, doubled each retry, capped at ``backoff_max``
    backoff_max: float = 30.0
    calls_per_second: float = 20.0  # per server, shared by every client in the process; 0: no limit

    def retry(self, *, writes: bool) -> Retry:
        return retry_policy(
            total=self.retries,
            connect=self.retries,
            read=0 if writes else self.retries,
            status=self.retries,
            other=0,
            methods=None,  # JSON-RPC is all POST: which calls are safe is decided above
            statuses=(429, 503) if writes else (429, 500, 502, 503, 504),
            backoff=self.backoff,
            backoff_max=self.backoff_max,
        )


class TrytonClient:
    """Calls ``model.*`` methods as one user; the session is opened on first use."""

    def __init__(self, url: str, database: str, login: str, password: str, transport: Transport | None = None) -> None:
        self.endpoint = f"{url.rstrip('/')}/{database}/rpc/"
        self._server = endpoint_of(url)
        self.database = database
        self.login = login
        self._password = password
        self.transport = transport or Transport()
        self._reads = retrying_session(self.transport.retry(writes=False))
        self._writes = retrying_session(self.transport.retry(writes=True))
        self._ids = itertools.count(1)
        self._authorization: str | None = None
        self.context: dict[str, Any] = {}

    def model(
        self, model: str, method: str, *params: Any, write: bool = False, context: dict[str, Any] | None = None
    ) -> Any:
        """``model.<model>.<method>(*params, context)`` with the user's preferences as context."""
        name = f"model.{model}.{method}"
        self._open()
        try:
            return self._call(name, [*params, {**self.context, **(context or {})}], write)
        except SessionExpired:
            self._open()  # once only: a session refused right after a login is a real refusal
            return self._call(name, [*params, {**self.context, **(context or {})}], write)

    def search_read(
        self,
        model: str,
        domain: Sequence[Any],
        limit: int | None,
        fields: Sequence[str],
        context: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Records in id order (callers page by ``('id', '>', last)``, stable under inserts)."""
        order = [["id", "ASC"]]
        return list(self._read(model, "search_read", list(domain), 0, limit, order, list(fields), context=context))

    def count(self, model: str, domain: Sequence[Any]) -> int:
        return int(self._read(model, "search_count", list(domain)))

    def _read(self, model: str, method: str, *params: Any, context: dict[str, Any] | None = None) -> Any:
        try:
            return self.model(model, method, *params, context=context)
        except TrytonRefused as exc:
            # A read refused is the set-up's doing. Tryton's own refusals (access rights, record
            # rules) come as user errors; anything else failed inside the server (a field or model
            # it does not know, a broken module), so it is not called a matter of rights.
            if exc.kind == "UserError":
                raise AdapterConfigError(f"tryton: user '{self.login}' cannot read {model}: {exc.message}") from None
            raise AdapterConfigError(f"tryton: reading {model} failed in the server: {exc.message}") from None

    def _open(self) -> None:
        if self._authorization is not None:
            return
        try:
            answer = self._call(_LOGIN, [self.login, {"password": self._password}, "en"], write=False)
        except TrytonRefused:
            answer = None
        if not isinstance(answer, list) or len(answer) < 2:
            raise AdapterConfigError(f"tryton: login refused for user '{self.login}' on database '{self.database}'")
        token = f"{self.login}:{answer[0]}:{answer[1]}".encode()
        self._authorization = "Session " + base64.b64encode(token).decode()
        self.context = dict(self._call("model.res.user.get_preferences", [True, {}], write=False))

    def _call(self, method: str, params: list[Any], write: bool) -> Any:
        headers = {"Content-Type": "application/json"}
        if self._authorization:
            headers["Authorization"] = self._authorization
        body = dumps({"id": next(self._ids), "method": method, "params": params})
        session = self._writes if write else self._reads
        wait_for_slot(self._server, self.transport.calls_per_second)
        try:
            response = session.post(self.endpoint, data=body, headers=headers, timeout=self.transport.timeout)
        except requests.RequestException as exc:
            raise TransientErpError(f"tryton at {self.endpoint} unreachable: {type(exc).__name__}") from None
        return self._answer(method, response)

    def _answer(self, method: str, response: requests.Response) -> Any:
        status = response.status_code
        if status in (401, 403) and method == _LOGIN:
            raise AdapterConfigError(f"tryton: login refused for user '{self.login}' on database '{self.database}'")
        if status in (401, 403):
            # Tryton refused the session before running the call, so sending it again is safe.
            self._authorization = None
            raise SessionExpired(f"tryton: session refused ({status}) for {method}")
        if status == 404:
            raise AdapterConfigError(f"tryton: database '{self.database}' is not served at {self.endpoint}")
        if status == 429 or status >= 500:
            raise TransientErpError(f"tryton answered {status} to {method} after {self.transport.retries} retries")
        if status != 200:
            raise MalformedSource(f"tryton answered {status} to {method}")
        try:
            payload = loads(response.text)
        except ValueError:
            raise MalformedSource(f"tryton's answer to {method} is not JSON") from None
        if not isinstance(payload, dict):
            raise MalformedSource(f"tryton's answer to {method} is not a JSON-RPC object")
        if payload.get("error"):
            raise _refusal(payload["error"])
        return payload.get("result")


def _refusal(error: Any) -> TrytonRefused:
    """Tryton's error shapes: ``[kind, [message, description, ...]]`` for user errors,
    ``[message, traceback]`` for anything unexpected."""
    if isinstance(error, list) and error and isinstance(error[0], str):
        detail = error[1] if len(error) > 1 else ""
        if isinstance(detail, list) and detail:
            return TrytonRefused(error[0], _one_line(detail[0]))
        return TrytonRefused("ServerError", _one_line(error[0]))
    return TrytonRefused("ServerError", _one_line(error))


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())[:_ERROR_TEXT]
