"""Odoo's JSON-2 API (Odoo 19 and later): ``POST /json/2/<model>/<method>``, the API key as a
bearer token, the database in ``X-Odoo-Database``; the body names the method's parameters
(``{"domain": […], "fields": […]}``), the answer is the method's value, and an error is a 4xx or
5xx with ``{"name", "message", "arguments", "context", "debug"}``.

It takes the same ``execute_kw`` calls as JSON-RPC (``OdooClient``), so the readers and the
order push run unchanged on either: positional arguments become the named parameters below.
"""

from __future__ import annotations

from typing import Any

import requests

from erp_adapters.errors import AdapterConfigError, ErpError, MalformedSource, NoAnswer, TransientErpError
from erp_adapters.http import no_answer_reason
from erp_adapters.odoo.client import RETRY_STATUSES, odoo_error, sessions

# The first positional parameter of each ORM method the adapter calls.
FIRST_PARAMETER = {
    "search_read": "domain",
    "search_count": "domain",
    "read": "ids",
    "create": "vals_list",
    "action_cancel": "ids",
}
# Odoo's own statuses for a refusal in the data (odoo.exceptions: UserError and ValidationError
# 422, AccessError 403, MissingError 404): the body names the exception.
REFUSED_STATUSES = (403, 404, 422)


class Json2Client:
    def __init__(
        self, url: str, db: str, api_key: str, *, timeout: float = 30.0, retries: int = 5, backoff: float = 0.5
    ) -> None:
        self.base = url.rstrip("/") + "/json/2"
        self.db = db
        self._key = api_key
        self._timeout = timeout
        self._reads, self._writes = sessions(retries, backoff)
        headers = {"Authorization": f"bearer {api_key}", **({"X-Odoo-Database": db} if db else {})}
        for session in (self._reads, self._writes):
            session.headers.update(headers)

    def __repr__(self) -> str:
        return f"Json2Client({self.base!r}, db={self.db!r})"

    @property
    def timeout(self) -> float:
        return self._timeout

    def execute_kw(
        self, model: str, method: str, args: list[Any], kwargs: dict[str, Any] | None = None, *, write: bool = False
    ) -> Any:
        body = dict(kwargs or {})
        if args:
            body[FIRST_PARAMETER[method]] = args[0]
        what = f"{model}.{method}"
        session = self._writes if write else self._reads
        try:
            response = session.post(f"{self.base}/{model}/{method}", json=body, timeout=self._timeout)
            answer = response.content
        except requests.RequestException as exc:
            raise NoAnswer(f"odoo: {what} at {self.base} got no answer ({no_answer_reason(exc)})") from None
        if response.status_code != 200:
            raise self._error(what, response)
        try:
            result = response.json()
        except ValueError:
            raise MalformedSource(f"odoo: {what} at {self.base} did not answer JSON ({len(answer)} bytes)") from None
        # create() answers the new records' ids; the JSON-RPC call it stands for answers the id.
        return result[0] if method == "create" and isinstance(result, list) and len(result) == 1 else result

    def _error(self, what: str, response: requests.Response) -> ErpError:
        status = response.status_code
        try:
            error = response.json()
        except ValueError:
            error = None
        name = str(error.get("name", "")) if isinstance(error, dict) else ""
        message = str(error.get("message", "")) if isinstance(error, dict) else ""
        message = message.replace(self._key, "***")
        if status == 401:
            return AdapterConfigError(f"odoo: the API key was refused on database '{self.db}' at {self.base}")
        if status in REFUSED_STATUSES and name:
            return odoo_error(what, name, message)
        if status in RETRY_STATUSES:
            return TransientErpError(f"odoo: {what} at {self.base} answered HTTP {status}")
        return AdapterConfigError(f"odoo: {self.base} answered HTTP {status} to {what}; is it Odoo 19 or later?")
