"""A fake Odoo on loopback: real HTTP, sale orders kept in memory, spoken to over JSON-RPC or
the JSON-2 API of Odoo 19.

Over JSON-RPC it answers ``common.login`` and ``object.execute_kw`` the way Odoo does (including
its error envelope); over JSON-2, ``POST /json/2/<model>/<method>`` with the API key as a bearer
token, the parameters named in the body, the value as the answer, and an error as Odoo's
``{"name", "message", "arguments", "context", "debug"}`` with the exception's own status (422 for
a ``UserError``, 403 for an ``AccessError``, 401 for a wrong key). Either way it can be told to
fail, call by call (``model.method``):

- ``timeout_after_commit``: do the work, then answer later than the client waits;
- ``commit_late``: start the work, commit it after ``slow_seconds`` and then answer (a busy Odoo:
  the client may have given up before the record exists);
- ``http_500``, ``http_502``, ``http_503``: answer that status without doing anything;
- ``reset``: close the connection without an answer (a TCP reset), without doing anything;
- ``rate_limited``: answer 429 with ``Retry-After`` without doing anything;
- ``hold_after_commit``: do the work, then hold the answer until released (a worker can be
  killed while it waits: the ERP has the order, the shop does not know yet);
- ``truncated``: announce the whole answer, send half of it and hang up;
- ``not_json``: answer 200 with an HTML page, as a proxy in front of Odoo may;
- ``result_dict``: answer the records keyed by id (a dict) where Odoo answers a list;
- ``no_ids``: answer the records without their ``id``;
- ``repeat_page``: answer the previous answer to the same call again, whatever was asked.

Every call is counted and stamped with the time it arrived, so tests can measure the waits.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any, ClassVar, Protocol

from tests.fakes.faulty import COMMON_FAULTS, HTTP_STATUS_FAULTS, FaultyErp, FaultyHandler, serving

FAULTS = (*COMMON_FAULTS, "hold_after_commit", "result_dict", "no_ids")
UID = 2


@dataclass
class SaleOrder:
    id: int
    name: str
    partner_id: int
    client_order_ref: str | None
    lines: list[dict[str, Any]]
    state: str = "draft"  # a quotation; "cancel" once cancelled


class OdooError(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name, self.message = name, message


@dataclass
class FakeOdoo(FaultyErp):
    FAULTS: ClassVar[tuple[str, ...]] = FAULTS
    db: str = "shop"
    login: str = "api"
    protocol: str = "jsonrpc"  # what the adapters a test builds for it speak; it serves both
    password: str = "odoo-api-key-1234"
    partners: dict[str, int] = field(default_factory=dict)  # companies: ref -> id
    partner_records: dict[int, dict[str, Any]] = field(default_factory=dict)  # res.partner records by id
    products: dict[str, int] = field(default_factory=dict)  # default_code -> id
    variants: dict[int, dict[str, Any]] = field(default_factory=dict)  # product.product records by id
    blocked_partners: set[str] = field(default_factory=set)  # refs whose orders Odoo refuses
    delivered: set[str] = field(default_factory=set)  # shop references of orders Odoo will not cancel
    sale_orders: list[SaleOrder] = field(default_factory=list)
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    # Other models' records by id, as search_read answers them: warehouses, quants, invoices and
    # their lines, pickings and their moves, confirmed sale orders and their lines.
    tables: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._answers: dict[str, Any] = {}  # the last answer to each call, for repeat_page
        self._product_ids = itertools.count(1000)  # like Odoo's sequences: an id is never given out twice
        self._server: ThreadingHTTPServer | None = None

    # -- set-up ----------------------------------------------------------------------------------

    def add_partner(self, ref: str, **fields: Any) -> None:
        """A company (a customer) with this internal reference."""
        self.partners[ref] = self._put_partner(
            **{"ref": ref, "name": ref, "is_company": True, "parent_id": False, **fields}
        )

    def add_person(self, parent_ref: str, name: str, **fields: Any) -> None:
        """A contact person under a company."""
        parent = [self.partners[parent_ref], self.partner_records[self.partners[parent_ref]]["name"]]
        self._put_partner(**{"ref": False, "name": name, "is_company": False, "parent_id": parent, **fields})

    def _put_partner(self, **fields: Any) -> int:
        partner_id = 100 + len(self.partner_records)
        # A person's commercial partner is their company; a company's is itself.
        company = fields["parent_id"] or [partner_id, fields["name"]]
        record = {"id": partner_id, "write_date": _now(), "commercial_partner_id": list(company), **fields}
        self.partner_records[partner_id] = record
        return partner_id

    def put(self, model: str, **fields: Any) -> int:
        """Create a record of ``model`` (stamped now; many2one fields given as ``[id, name]``)."""
        with self._lock:
            record_id = next(self._product_ids)
            self.tables.setdefault(model, {})[record_id] = {"id": record_id, "write_date": _now(), **fields}
            return record_id

    def link(self, model: str, record_id: int) -> list[Any]:
        """``[id, display name]``, as Odoo answers a many2one to the record."""
        if model == "res.partner":
            return [record_id, self.partner_records[record_id]["name"]]
        if model == "product.product":
            return [record_id, self.variants[record_id]["name"]]
        return [record_id, self.tables[model][record_id]["name"]]

    def add_product(self, default_code: str) -> None:
        self.products[default_code] = next(self._product_ids)

    def put_variant(
        self, default_code: str, name: str, price: float, template: tuple[int, str], barcode: str = ""
    ) -> None:
        """Create or change a product variant as a user would in Odoo: its write_date moves on."""
        if default_code not in self.products:
            self.add_product(default_code)
        product_id = self.products[default_code]
        self.variants[product_id] = {
            "id": product_id,
            "default_code": default_code,
            "name": name,
            "list_price": price,
            "barcode": barcode or False,
            "product_tmpl_id": list(template),
            "write_date": _now(),
        }

    def remove_variant(self, default_code: str) -> None:
        """Delete a variant, as a user would in Odoo (its id is never given out again)."""
        self.variants.pop(self.products.pop(default_code), None)

    def schedule(self, fault: str, call: str = "sale.order.create", times: int = 1, after: int = 0) -> None:
        """The ``times`` calls of ``call`` (``model.method``) that follow the next ``after`` ones
        fail with ``fault``."""
        super().schedule(fault, call, times, after)

    # -- reading back ----------------------------------------------------------------------------

    def refs(self) -> list[str | None]:
        with self._lock:
            return [order.client_order_ref for order in self.sale_orders]

    def name_of(self, reference: str) -> str | None:
        with self._lock:
            return next((o.name for o in self.sale_orders if o.client_order_ref == reference), None)

    # -- serving ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @contextmanager
    def running(self) -> Iterator[FakeOdoo]:
        fake = self

        class Handler(_Handler):
            odoo = fake

        with serving(Handler, on_stop=self.release.set) as server:
            self._server = server
            yield self

    def reshape(self, call: str, fault: str | None, answer: Any, shape: _Shape) -> Any:
        """The answer as a faulty Odoo would give it; a sound answer is kept for repeat_page."""
        records = shape.records(answer)
        with self._lock:
            if fault == "repeat_page" and call in self._answers:
                return self._answers[call]
            self._answers[call] = answer
        if fault == "result_dict" and isinstance(records, list):
            return shape.wrap({str(record["id"]): record for record in records})
        if fault == "no_ids" and isinstance(records, list):
            return shape.wrap([{k: v for k, v in record.items() if k != "id"} for record in records])
        return answer

    # -- Odoo's behaviour ------------------------------------------------------------------------

    def dispatch(self, service: str, method: str, args: list[Any]) -> Any:
        if service == "common" and method in ("login", "authenticate"):
            db, login, password = args[:3]
            return UID if (db, login, password) == (self.db, self.login, self.password) else False
        if service != "object" or method != "execute_kw":
            raise OdooError("werkzeug.exceptions.NotFound", f"no method {service}.{method}")
        db, uid, password, model, call, call_args = args[:6]
        kwargs = args[6] if len(args) > 6 else {}
        if (db, uid, password) != (self.db, UID, self.password):
            raise OdooError("odoo.exceptions.AccessDenied", "Access Denied")
        with self._lock:
            return self._execute(model, call, call_args, kwargs)

    def json2(self, key: str, database: str | None, model: str, method: str, body: dict[str, Any]) -> Any:
        """A JSON-2 call: the API key is the bearer token, the body names the parameters."""
        if key != self.password:
            raise OdooError("werkzeug.exceptions.Unauthorized", "Invalid apikey")
        if database not in (None, self.db):
            raise OdooError("werkzeug.exceptions.NotFound", f"database {database!r} not found")
        params = dict(body)
        params.pop("context", None)
        first = params.pop({"read": "ids", "create": "vals_list", "action_cancel": "ids"}.get(method, "domain"), [])
        with self._lock:
            answer = self._execute(model, method, [first], params)
        return [answer] if method == "create" else answer  # create answers the new records' ids

    def _execute(self, model: str, call: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        # Confirmed sale orders are seeded in the tables, and asked for by state; pushed ones are not.
        asks_state = call in ("search_read", "search_count") and any(term[0] == "state" for term in args[0])
        if model in self.tables and (model != "sale.order" or asks_state):
            return self._table(model, call, args, kwargs)
        if (model, call) == ("sale.order", "read") and "sale.order" in self.tables:
            pushed = [{"id": o.id, "name": o.name, "client_order_ref": o.client_order_ref} for o in self.sale_orders]
            return self._table(model, call, args, kwargs) + [o for o in pushed if o["id"] in args[0]]
        if (model, call) == ("sale.order", "search_read"):
            found = [o for o in self.sale_orders if _matches(o.__dict__, args[0])]
            return [{"id": o.id, "name": o.name, "state": o.state} for o in found[: kwargs.get("limit") or None]]
        if (model, call) == ("sale.order", "action_cancel"):
            for order in (o for o in self.sale_orders if o.id in args[0]):
                if order.client_order_ref in self.delivered:
                    raise OdooError("odoo.exceptions.UserError", "You cannot cancel an order that was delivered.")
                order.state = "cancel"
            return True
        if (model, call) == ("sale.order", "search_count"):
            return sum(_matches(o.__dict__, args[0]) for o in self.sale_orders)
        if (model, call) == ("sale.order", "read"):
            return [{"id": o.id, "name": o.name} for o in self.sale_orders if o.id in args[0]]
        if (model, call) == ("sale.order", "create"):
            return self._create(args[0])
        if (model, call) == ("res.partner", "search_read"):
            found = sorted((r for r in self.partner_records.values() if _matches(r, args[0])), key=lambda r: r["id"])
            return [{k: r.get(k, False) for k in kwargs["fields"]} for r in found][: kwargs.get("limit") or None]
        if (model, call) == ("res.partner", "read"):
            found = [self.partner_records[pid] for pid in args[0] if pid in self.partner_records]
            return [{"id": r["id"], **{k: r.get(k, False) for k in kwargs["fields"]}} for r in found]
        if (model, call) == ("res.partner", "search_count"):
            return sum(_matches(r, args[0]) for r in self.partner_records.values())
        if (model, call) == ("product.product", "search_read"):
            rows = [self.variants.get(pid, {"id": pid, "default_code": code}) for code, pid in self.products.items()]
            found = sorted((r for r in rows if _matches(r, args[0])), key=lambda r: r["id"])
            return [{k: r.get(k, False) for k in kwargs["fields"]} for r in found][: kwargs.get("limit") or None]
        if (model, call) == ("product.product", "read"):
            found = [self.variants[pid] for pid in args[0] if pid in self.variants]
            return [{"id": r["id"], **{k: r.get(k, False) for k in kwargs["fields"]}} for r in found]
        if (model, call) == ("product.product", "search_count"):
            return sum(_matches(r, args[0]) for r in self.variants.values())
        raise OdooError("builtins.AttributeError", f"The method '{call}' does not exist on the model '{model}'")

    def _table(self, model: str, call: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        rows = sorted(self.tables.get(model, {}).values(), key=lambda r: r["id"])
        found = [r for r in rows if (r["id"] in args[0] if call == "read" else _matches(r, args[0]))]
        if call == "search_count":
            return len(found)
        if call not in ("search_read", "read"):
            raise OdooError("builtins.AttributeError", f"The method '{call}' does not exist on the model '{model}'")
        fields = ["id", *kwargs.get("fields", [])]
        return [{k: r.get(k, False) for k in fields} for r in found][: kwargs.get("limit") or None]

    def _create(self, values: dict[str, Any]) -> int:
        ref = next((r for r, pid in self.partners.items() if pid == values["partner_id"]), None)
        if ref is None:
            raise OdooError("odoo.exceptions.MissingError", "Record does not exist or has been deleted.")
        if ref in self.blocked_partners:
            raise OdooError("odoo.exceptions.ValidationError", f"The customer {ref} is blocked: credit limit exceeded.")
        known = set(self.products.values())
        lines = [command[2] for command in values.get("order_line", [])]
        if not lines or any(line["product_id"] not in known for line in lines):
            raise OdooError("odoo.exceptions.UserError", "You cannot confirm an order without valid products.")
        order_id = len(self.sale_orders) + 1
        self.sale_orders.append(
            SaleOrder(order_id, f"S{order_id:05d}", values["partner_id"], values.get("client_order_ref"), lines)
        )
        return order_id


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


def _matches(row: dict[str, Any], domain: list[Any]) -> bool:
    """Odoo's domain for the leaves the adapter uses: (field, operator, value), all ANDed. A
    many2one compares by its id; a dotted field (``location_id.usage``) is stored flat."""
    tests = {
        "=": lambda have, want: have == want,
        "!=": lambda have, want: have != want,
        "in": lambda have, want: have in want,
        ">": lambda have, want: have is not None and have > want,
        ">=": lambda have, want: have is not None and have >= want,
    }
    return all(tests[operator](_value(row.get(name)), value) for name, operator, value in domain)


def _value(field_value: Any) -> Any:
    if isinstance(field_value, list) and len(field_value) == 2 and isinstance(field_value[0], int):
        return field_value[0]
    return field_value


JSON2 = "/json/2/"
# odoo.exceptions' http_status, which the JSON-2 API answers an error with (500 for the others).
JSON2_STATUSES = {
    "odoo.exceptions.UserError": 422,
    "odoo.exceptions.ValidationError": 422,
    "odoo.exceptions.AccessError": 403,
    "odoo.exceptions.MissingError": 404,
    "werkzeug.exceptions.Unauthorized": 401,
    "werkzeug.exceptions.NotFound": 404,
}


class _Shape(Protocol):
    """How a protocol wraps a method's value, and an error."""

    def result(self, value: Any) -> Any: ...

    def error(self, exc: OdooError) -> tuple[int, Any]: ...

    def records(self, answer: Any) -> Any: ...

    def wrap(self, records: Any) -> Any: ...


@dataclass(frozen=True)
class _JsonRpc:
    request_id: Any

    def result(self, value: Any) -> Any:
        return {"jsonrpc": "2.0", "id": self.request_id, "result": value}

    def error(self, exc: OdooError) -> tuple[int, Any]:
        debug = f"Traceback ...\n{exc.name}: {exc}"
        data = {"name": exc.name, "message": exc.message, "debug": debug}
        return 200, {
            "jsonrpc": "2.0",
            "id": self.request_id,
            "error": {"code": 200, "message": "Odoo Server Error", "data": data},
        }

    def records(self, answer: Any) -> Any:
        return answer.get("result") if isinstance(answer, dict) else None

    def wrap(self, records: Any) -> Any:
        return self.result(records)


class _Json2:
    def result(self, value: Any) -> Any:
        return value

    def error(self, exc: OdooError) -> tuple[int, Any]:
        body = {"name": exc.name, "message": exc.message, "arguments": [exc.message], "context": {}}
        return JSON2_STATUSES.get(exc.name, 500), {**body, "debug": f"Traceback ...\n{exc.name}: {exc}"}

    def records(self, answer: Any) -> Any:
        return answer

    def wrap(self, records: Any) -> Any:
        return records


class _Handler(FaultyHandler):
    odoo: FakeOdoo

    def do_POST(self) -> None:
        if self.path == "/jsonrpc":
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            params = request["params"]
            service, method, args = params["service"], params["method"], params["args"]
            call = f"{args[3]}.{args[4]}" if service == "object" else f"{service}.{method}"
            self._serve(call, lambda: self.odoo.dispatch(service, method, args), _JsonRpc(request.get("id")))
        elif self.path.startswith(JSON2):
            model, _, method = self.path.removeprefix(JSON2).partition("/")
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            key = self.headers.get("Authorization", "").removeprefix("bearer ")
            database = self.headers.get("X-Odoo-Database")
            self._serve(f"{model}.{method}", lambda: self.odoo.json2(key, database, model, method, body), _Json2())
        else:
            self._send(404, {"error": "not found"})

    def _serve(self, call: str, run: Callable[[], Any], shape: _Shape) -> None:
        """Answer one call, or fail it the way it was told to; ``shape`` wraps an answer or an
        error the way the protocol does."""
        self.odoo.arrived(call)
        fault = self.odoo.fault_for(call)
        if fault == "reset":
            self.reset()
            return
        if fault in HTTP_STATUS_FAULTS:
            self._send(HTTP_STATUS_FAULTS[fault], {"message": "Server Error"})
            return
        if fault == "not_json":
            self.send_bytes(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
            return
        if fault == "rate_limited":
            self._send(429, {"message": "Too Many Requests"}, {"Retry-After": str(self.odoo.retry_after)})
            return
        if fault == "commit_late":
            time.sleep(self.odoo.slow_seconds)
        try:
            status, answer = 200, shape.result(run())
        except OdooError as exc:
            status, answer = shape.error(exc)
        answer = self.odoo.reshape(call, fault, answer, shape)
        if fault == "truncated":
            self.send_bytes(status, json.dumps(answer).encode(), "application/json", truncated=True)
            return
        if fault == "timeout_after_commit":
            time.sleep(self.odoo.slow_seconds)
        if fault == "hold_after_commit":
            self.odoo.held.set()
            self.odoo.release.wait(30)
        self._send(status, answer)

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.send_bytes(status, json.dumps(body).encode(), "application/json", headers)
