"""Odoo's two external APIs behind one interface (``OdooClient``), chosen per tenant:

- JSON-RPC (``JsonRpcClient``): ``POST /jsonrpc``, login once, then ``object.execute_kw`` calls;
  deprecated since Odoo 19, to be removed in Odoo 22;
- JSON-2 (``erp_adapters/odoo/json2.py``): ``POST /json/2/<model>/<method>`` with the API key as
  a bearer token, Odoo 19 and later.

Network faults are retried here, by urllib3's ``Retry`` on the HTTP session: back-off with
jitter, ``Retry-After`` honoured on 429, retries on 500/502/503/504 and dropped connections.
JSON-RPC sends everything as POST, which urllib3 does not retry by default because a POST may
not be idempotent. Reads (logins and searches) are retried all the same. Writes go through a
second session that retries only what the ERP cannot have processed (a 429, a connect timeout):
a create whose answer was lost is retried by the caller, which looks the record up first.

Errors come back translated: ``OdooRefused`` when Odoo rejects the call for a reason in the
data (``ValidationError``, ``UserError``, ``AccessError``), ``TransientErpError`` for faults a
later attempt may fix. The password never appears in a message.
"""

from __future__ import annotations

import itertools
from typing import Any, Protocol

import requests

from erp_adapters.errors import AdapterConfigError, ErpError, MalformedSource, NoAnswer, TransientErpError
from erp_adapters.http import no_answer_reason, retry_policy, retrying_session

RETRY_STATUSES = (429, 500, 502, 503, 504)
# Odoo's exceptions that mean "this data is refused", as opposed to a fault in Odoo or the network.
REFUSALS = frozenset({"odoo.exceptions.ValidationError", "odoo.exceptions.UserError", "odoo.exceptions.AccessError"})


class OdooRefused(ErpError):
    """Odoo refused the call because of the data sent (its message says what to fix)."""


class OdooClient(Protocol):
    @property
    def timeout(self) -> float:
        """Seconds each call waits for Odoo's answer."""
        ...

    def execute_kw(
        self, model: str, method: str, args: list[Any], kwargs: dict[str, Any] | None = None, *, write: bool = False
    ) -> Any:
        """Call ``model.method(*args, **kwargs)`` as the API user; ``write=True`` for calls that
        change data (never retried blindly after the request may have reached Odoo)."""
        ...


def sessions(retries: int, backoff: float) -> tuple[requests.Session, requests.Session]:
    """A session for reads, retried on faults, and one for writes, retried only on what Odoo
    cannot have processed (a 429, a refused connection)."""
    reads = retrying_session(retry_policy(total=retries, statuses=RETRY_STATUSES, backoff=backoff))
    writes = retrying_session(retry_policy(total=retries, statuses=(429,), backoff=backoff, read=0, other=0))
    return reads, writes


def odoo_error(what: str, name: str, message: str) -> ErpError:
    """Odoo's exception, by its qualified name, as an adapter error of one line."""
    if name in REFUSALS:
        return OdooRefused(message.splitlines()[0] if message else name)
    return TransientErpError(f"odoo: {what} failed: {name or 'error'}: {(message.splitlines() or [''])[0]}")


class JsonRpcClient:
    def __init__(
        self,
        url: str,
        db: str,
        username: str,
        password: str,
        *,
        timeout: float = 30.0,
        retries: int = 5,
        backoff: float = 0.5,
    ) -> None:
        self.endpoint = url.rstrip("/") + "/jsonrpc"
        self.db, self.username = db, username
        self._password = password
        self._timeout = timeout
        self._uid: int | None = None
        self._ids = itertools.count(1)
        self._reads, self._writes = sessions(retries, backoff)

    @property
    def timeout(self) -> float:
        """Seconds each call waits for Odoo's answer."""
        return self._timeout

    def execute_kw(
        self, model: str, method: str, args: list[Any], kwargs: dict[str, Any] | None = None, *, write: bool = False
    ) -> Any:
        """Call ``model.method(*args, **kwargs)`` as the API user; ``write=True`` for calls that
        change data (never retried blindly after the request may have reached Odoo)."""
        uid = self._login()
        call_args = [self.db, uid, self._password, model, method, args, kwargs or {}]
        return self._call("object", "execute_kw", call_args, write=write)

    def _login(self) -> int:
        if self._uid is None:
            uid = self._call("common", "login", [self.db, self.username, self._password], write=False)
            if not isinstance(uid, int) or isinstance(uid, bool):
                raise AdapterConfigError(
                    f"odoo: login refused for user '{self.username}' on database '{self.db}' at {self.endpoint}"
                )
            self._uid = uid
        return self._uid

    def _call(self, service: str, method: str, args: list[Any], *, write: bool) -> Any:
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
            "id": next(self._ids),
        }
        session = self._writes if write else self._reads
        what = f"{args[3]}.{args[4]}" if service == "object" else f"{service}.{method}"
        try:
            response = session.post(self.endpoint, json=payload, timeout=self._timeout)
        except requests.RequestException as exc:
            raise NoAnswer(f"odoo: {what} at {self.endpoint} got no answer ({no_answer_reason(exc)})") from None
        if response.status_code in RETRY_STATUSES:
            raise TransientErpError(f"odoo: {what} at {self.endpoint} answered HTTP {response.status_code}")
        if response.status_code != 200:
            raise AdapterConfigError(
                f"odoo: {self.endpoint} answered HTTP {response.status_code}; check the tenant's url option"
            )
        try:
            body = response.json()
        except ValueError:
            raise MalformedSource(f"odoo: {what} at {self.endpoint} did not answer JSON-RPC") from None
        if "error" in body:
            raise self._error(what, body["error"])
        return body.get("result")

    def _error(self, what: str, error: dict[str, Any]) -> ErpError:
        data = error.get("data") or {}
        name = str(data.get("name", ""))
        message = self._scrub(str(data.get("message") or error.get("message") or "unknown error"))
        if name == "odoo.exceptions.AccessDenied":
            return AdapterConfigError(f"odoo: access denied for user '{self.username}' on database '{self.db}'")
        return odoo_error(what, name, message)

    def _scrub(self, text: str) -> str:
        return text.replace(self._password, "***") if self._password else text
