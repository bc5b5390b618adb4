"""A fake Holded (REST API v1, invoicing) on loopback: real HTTP, Holded's JSON, records kept in memory.

It answers what an adapter reads and writes under ``/api/invoicing/v1``: contacts, products, warehouses and
their stock, and documents (list and create). Records are shaped like the examples in Holded's API reference.
Holded's failure envelope ``{"status": 0, "info": ...}`` mostly comes with HTTP 200. Any other path or method
gets Holded's HTML "page not found", also with HTTP 200, as the live API does. Every request must carry the
header ``key``. A list is a bare JSON array paged with ``?page=N``: pages start at 1, hold ``page_size``
records in creation order, and an empty array comes back past the end. ``limit`` sets the page size on
``/documents/*`` only. ``on_page`` runs after a page is computed and before it is sent, so a test can delete
records there and shift the offsets of the next page.

It can be told to fail, per call (``"GET /contacts"``, ``"GET /contacts/{id}"``, ``"GET /warehouses/stock"``,
``"GET /documents/invoice"``, ``"POST /documents/salesorder"``, ...):

- ``timeout_after_commit``: do the work, then answer ``slow_seconds`` later (later than the client waits);
- ``commit_late``: wait ``slow_seconds``, then do the work and answer (the client may have given up already);
- ``http_500``, ``http_502``, ``http_503``: answer that status without doing anything;
- ``reset``: close the connection without an answer (a TCP reset), without doing anything;
- ``rate_limited``: answer 429 with ``Retry-After`` without doing anything;
- ``truncated``: do the work, announce the whole answer, send half of it and hang up;
- ``not_json``: answer 200 with Holded's HTML page without doing anything (what a wrong path also gets);
- ``status_zero``: answer 200 ``{"status": 0, "info": "Temporary error, try again later"}`` without doing anything;
- ``repeat_page``: answer the previous answer to the same call again, whatever was asked.

Every call is counted and stamped with the time it arrived, so tests can measure the waits.

Where this fake guesses:

- a missing or wrong ``key`` gets HTTP 401 ``{"status": 0, "info": "Unauthorized"}`` (v1 documents neither);
- every list pages the same way: 500 records a page by default (the Team and Accounting docs say 500; the invoicing
  page size was never probed), and products and warehouses are paged too. ``limit`` (any positive value) is honoured
  on ``/documents/*`` only, where it was seen working live; it is ignored elsewhere;
- an unknown id on a valid route gets HTTP 404 ``{"status": 0, "info": "Contact not found"}`` (or ``Product``,
  ``Warehouse``); the real body is undocumented;
- warehouse stock lists products under ``product_id``, as live consumers read it (the spec says ``_id``). A product
  without variants has ``"variants": {}``; the stock answer is not paged. A product's and a variant's own ``stock``
  is the sum over warehouses;
- ``starttmp``/``endtmp`` filter on ``date``, start included and end excluded (live, ``purchase`` may filter on
  ``accountingDate``); ``paid`` is 1 when nothing is pending, 2 when part is paid, 0 when nothing is;
- on create, a ``date`` that is not an int gets 200 ``{"status": 0, "info": "date needed"}``. An unknown ``contactId``,
  or a ``contactCode`` that matches no contact's ``code`` without a ``contactName`` to create one, gets 200
  ``{"status": 0, "info": "Contact not found"}``;
- on create, a line is linked by its ``sku`` to a product (``productId`` ``"<pid>"``) or a variant (``"<pid>#<vid>"``);
  a line without ``tax`` pays 21 %; no stock moves; ``dueDate`` defaults to ``date``, ``language`` to ``"es"``;
  ``approveDoc`` sets ``approvedAt`` to now, otherwise it stays null; a new document always gets a number;
- ``customFields`` on create are mangled as live: each key/value pair of each object becomes its own
  ``{"field", "value"}`` row, so ``[{"field": "a", "value": "b"}]`` comes back as two rows and ``[{"a": "b"}]`` as one;
- document numbers count per type: ``F`` (invoice), ``SO`` (salesorder), ``ALB`` (waybill), ``R`` (creditnote), else the
  type's first three letters in capitals, then 5 digits (``SO00001``); ids are 24 hex digits from a counter;
- the 429 follows v2 (``Retry-After`` in seconds, ``{"status": 0, "info": "Too Many Requests"}``); v1's is unknown. The
  5xx body ``{"status": 0, "info": "Internal Server Error"}`` and the ``status_zero`` message are invented too.
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from tests.fakes.faulty import COMMON_FAULTS, HTTP_STATUS_FAULTS, FaultyErp, FaultyHandler, serving

FAULTS = (*COMMON_FAULTS, "status_zero")
SALES_DOCS = ("invoice", "salesreceipt", "creditnote", "salesorder", "proform", "waybill", "estimate")
DOC_TYPES = (*SALES_DOCS, "purchase", "purchaseorder", "purchaserefund")  # as documented; "receiptnote" is not
NUMBER_PREFIXES = {"invoice": "F", "salesorder": "SO", "waybill": "ALB", "creditnote": "R"}
BASE = "/api/invoicing/v1"
NOT_FOUND_PAGE = (
    b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Holded</title></head>'
    b"<body><h1>Page not found</h1><p>The page you are looking for does not exist.</p></body></html>"
)
HTML_NOT_FOUND = (200, NOT_FOUND_PAGE, "text/html; charset=utf-8")
EMPTY_ADDRESS = {"address": "", "city": "", "postalCode": "", "province": "", "country": "", "countryCode": ""}
# Records carry every key of the examples in Holded's reference, in their order; the set-up helpers fill them in
CONTACT = (
    '{"id": "", "customId": "", "name": "", "code": "", "tradeName": "", "email": "", "mobile": "", "phone": "",'
    ' "type": "client", "iban": "", "swift": "", "clientRecord": 0, "supplierRecord": 0, "billAddress": {},'
    ' "defaults": {"salesChannel": 0, "expensesAccount": 0, "dueDays": 0, "paymentMethod": 0, "discount": 0,'
    ' "language": "es", "currency": "eur", "tax": "default", "retention": "default"},'
    ' "socialNetworks": {"website": ""}, "tags": [], "notes": [], "contactPersons": [], "shippingAddresses": [],'
    ' "customFields": []}'
)
PRODUCT = (  # unset ids are "0" as in the spec's example
    '{"id": "", "kind": "simple", "name": "", "desc": "", "typeId": "", "contactId": "", "contactName": "", "price": 0,'
    ' "tax": 21, "total": 0, "rates": [], "hasStock": 1, "stock": 0, "barcode": "", "sku": "", "cost": 0,'
    ' "purchasePrice": 0, "weight": 0, "tags": [], "categoryId": "", "factoryCode": "", "attributes": [], "forSale": 1,'
    ' "forPurchase": 1, "salesChannelId": "0", "expAccountId": "0", "warehouseId": "0", "variants": []}'
)
WAREHOUSE = (
    '{"id": "", "userId": "", "name": "", "email": "", "phone": "", "mobile": "", "address": {}, "default": false,'
    ' "warehouseRecord": null}'
)
DOCUMENT = (
    '{"id": "", "contact": "", "contactName": "", "desc": "", "date": 0, "dueDate": 0, "notes": "", "products": [],'
    ' "tax": 0, "subtotal": 0, "discount": 0, "total": 0, "language": "es", "status": 0, "customFields": [],'
    ' "docNumber": "", "currency": "eur", "currencyChange": 1, "paymentsTotal": 0, "paymentsPending": 0,'
    ' "paymentsRefunds": 0, "salesChannelId": null, "approvedAt": null, "from": null}'
)

Answer = tuple[int, bytes, str]  # HTTP status, body, content type
Record = dict[str, Any]


@dataclass
class FakeHolded(FaultyErp):
    FAULTS: ClassVar[tuple[str, ...]] = FAULTS
    api_key: str = "holded-api-key-0000000000000000"
    page_size: int = 500  # Holded's own page size for every list
    contacts: dict[str, Record] = field(default_factory=dict)  # id -> record as GET /contacts answers it
    products: dict[str, Record] = field(default_factory=dict)
    warehouses: dict[str, Record] = field(default_factory=dict)
    stock: dict[str, dict[str, Record]] = field(default_factory=dict)  # warehouse -> product -> stock
    documents: dict[str, dict[str, Record]] = field(default_factory=lambda: {t: {} for t in DOC_TYPES})
    on_page: Callable[[str, int], None] | None = None  # (call, page) between computing a page and sending it

    def __post_init__(self) -> None:
        super().__post_init__()
        self._answers: dict[str, Answer] = {}  # the last answer to each call, for repeat_page
        self._ids = itertools.count(1)  # like Mongo's ObjectIds: an id is never given out twice
        self._numbers: Counter[str] = Counter()
        self._server: ThreadingHTTPServer | None = None

    def _new_id(self) -> str:
        return f"5f3c{next(self._ids):020x}"

    # -- set-up ----------------------------------------------------------------------------------

    def add_contact(
        self,
        name: str,
        *,
        custom_id: str = "",
        code: str = "",
        type: str = "client",
        email: str = "",
        phone: str = "",
        mobile: str = "",
        bill_address: Record | None = None,
        **fields: Any,
    ) -> str:
        with self._lock:
            contact_id = self._new_id()
            record = json.loads(CONTACT) | {"id": contact_id, "customId": custom_id, "name": name, "code": code}
            record |= {"email": email, "mobile": mobile, "phone": phone, "type": type}
            self.contacts[contact_id] = record | {"billAddress": {**EMPTY_ADDRESS, **(bill_address or {})}, **fields}
            return contact_id

    def add_person(self, contact_id: str, name: str, *, email: str = "", phone: str = "") -> str:
        with self._lock:
            person_id = self._new_id()
            person = {"personId": person_id, "name": name, "job": "", "phone": phone, "email": email}
            self.contacts[contact_id]["contactPersons"].append({**person, "sendDocumentsByDefault": False})
            return person_id

    def change_contact(self, contact_id: str, **fields: Any) -> None:
        with self._lock:
            self.contacts[contact_id].update(fields)

    def remove_contact(self, contact_id: str) -> None:
        with self._lock:
            del self.contacts[contact_id]

    def put_product(
        self,
        sku: str,
        name: str,
        price: float,
        *,
        barcode: str = "",
        variants: list[Record] | None = None,
        kind: str | None = None,
        tax: int = 21,
    ) -> str:
        """Create the product with this sku, or change it (its id, its variants' ids and the stock stay)."""
        with self._lock:
            old = next((p for p in self.products.values() if p["sku"] == sku), {})
            product_id = old.get("id") or self._new_id()
            kept = {v["sku"]: v for v in old.get("variants", [])}
            rows = []
            for variant in variants or []:
                was = kept.get(variant["sku"], {})
                row = {"id": was.get("id") or self._new_id(), "barcode": variant.get("barcode", "")}
                row |= {"sku": variant["sku"], "price": variant["price"], "cost": 0, "purchasePrice": 0}
                row |= {"stock": was.get("stock", 0)} | ({"name": variant["name"]} if "name" in variant else {})
                rows.append(row)
            record = json.loads(PRODUCT) | {"id": product_id, "kind": kind or ("variants" if variants else "simple")}
            record |= {"name": name, "price": price, "tax": tax, "total": round(price * (1 + tax / 100), 2)}
            record |= {"stock": old.get("stock", 0), "barcode": barcode, "sku": sku, "variants": rows}
            self.products[product_id] = record
            return str(product_id)

    def product_id(self, sku: str) -> str:
        with self._lock:
            return next(p["id"] for p in self.products.values() if p["sku"] == sku)

    def variant_id(self, sku: str) -> tuple[str, str]:
        with self._lock:
            return next((p["id"], v["id"]) for p in self.products.values() for v in p["variants"] if v["sku"] == sku)

    def remove_product(self, sku: str) -> None:
        with self._lock:
            product_id = self.product_id(sku)
            del self.products[product_id]
            for held in self.stock.values():
                held.pop(product_id, None)

    def add_warehouse(self, name: str, *, default: bool = False) -> str:
        with self._lock:
            warehouse_id = self._new_id()
            record = {"id": warehouse_id, "name": name, "address": dict(EMPTY_ADDRESS), "default": default}
            self.warehouses[warehouse_id] = json.loads(WAREHOUSE) | record
            self.stock[warehouse_id] = {}
            return warehouse_id

    def set_stock(self, warehouse_id: str, product_id: str, quantity: float, variant_id: str | None = None) -> None:
        with self._lock:
            entry = self.stock[warehouse_id].setdefault(product_id, {"stock": 0, "variants": {}})
            if variant_id is None:
                entry["stock"] = quantity
            else:
                entry["variants"][variant_id] = quantity
                entry["stock"] = sum(entry["variants"].values())
            held = [w[product_id] for w in self.stock.values() if product_id in w]
            product = self.products[product_id]
            product["stock"] = sum(e["stock"] for e in held)
            for variant in product["variants"]:
                variant["stock"] = sum(e["variants"].get(variant["id"], 0) for e in held)

    def add_document(
        self,
        doc_type: str,
        contact_id: str,
        *,
        number: str,
        date: int,
        lines: list[Record],
        total: float | None = None,
        status: int = 0,
        **fields: Any,
    ) -> str:
        with self._lock:
            known = {"contact": contact_id, "docNumber": number, "date": date, "status": status}
            return self._put_document(doc_type, [_line(x) for x in lines], total, known | fields)

    def remove_document(self, doc_type: str, document_id: str) -> None:
        with self._lock:
            del self.documents[doc_type][document_id]

    def schedule(self, fault: str, call: str = "POST /documents/salesorder", times: int = 1, after: int = 0) -> None:
        """The ``times`` calls of ``call`` (``"GET /products"``) that follow the next ``after``
        ones fail with ``fault``."""
        super().schedule(fault, call, times, after)

    # -- reading back ----------------------------------------------------------------------------

    def documents_where(self, doc_type: str, **equal: Any) -> list[Record]:
        with self._lock:
            found = self.documents.get(doc_type, {}).values()
            return [copy.deepcopy(d) for d in found if all(d.get(k) == v for k, v in equal.items())]

    # -- serving ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/api"

    @contextmanager
    def running(self) -> Iterator[FakeHolded]:
        fake = self

        class Handler(_Handler):
            holded = fake

        with serving(Handler) as server:
            self._server = server
            yield self

    def reshape(self, call: str, fault: str | None, answer: Answer) -> Answer:
        """The answer, or for repeat_page the previous one; a sound answer is kept for the next repeat."""
        with self._lock:
            if fault == "repeat_page" and call in self._answers:
                return self._answers[call]
            self._answers[call] = answer
        return answer

    # -- Holded's behaviour ----------------------------------------------------------------------

    def answer(self, method: str, path: str, query: dict[str, str], raw: bytes, key: str | None) -> Answer:
        if key != self.api_key:
            return _json(401, {"status": 0, "info": "Unauthorized"})
        with self._lock:
            match method, _parts(path):
                case "GET", ["contacts"]:
                    return self._list(self._contacts_matching(query), query, self.page_size)
                case "GET", ["contacts", contact_id]:
                    return _one(self.contacts.get(contact_id), "Contact not found")
                case "GET", ["products"]:
                    return self._list(list(self.products.values()), query, self.page_size)
                case "GET", ["products", product_id]:
                    return _one(self.products.get(product_id), "Product not found")
                case "GET", ["warehouses"]:
                    return self._list(list(self.warehouses.values()), query, self.page_size)
                case "GET", ["warehouses", warehouse_id, "stock"]:
                    return self._stock_of(warehouse_id)
                case "GET" | "POST", ["documents", doc_type] if doc_type not in DOC_TYPES:
                    return _json(200, {"status": 0, "info": f"Undefined type {doc_type}"})
                case "GET", ["documents", doc_type]:
                    limit = _int(query.get("limit"), self.page_size)  # seen honoured live on documents only
                    size = limit if limit > 0 else self.page_size
                    return self._list(self._documents_matching(doc_type, query), query, size)
                case "POST", ["documents", doc_type]:
                    return self._create(doc_type, _body(raw))
        return HTML_NOT_FOUND

    def _list(self, rows: list[Record], query: dict[str, str], size: int) -> Answer:
        page = max(_int(query.get("page"), 1), 1)
        return _json(200, rows[(page - 1) * size : page * size])

    def _contacts_matching(self, query: dict[str, str]) -> list[Record]:
        wanted = [v for v in query.get("customId", "").split(",") if v]
        exact = {k: query[k] for k in ("phone", "mobile") if k in query}
        found = (c for c in self.contacts.values() if not wanted or c["customId"] in wanted)
        return [c for c in found if all(c[k] == v for k, v in exact.items())]

    def _documents_matching(self, doc_type: str, query: dict[str, str]) -> list[Record]:
        start, end = _int(query.get("starttmp"), 0), _int(query.get("endtmp"), 2**62)
        found = [
            d
            for d in self.documents[doc_type].values()
            if start <= d["date"] < end
            and query.get("contactid", d["contact"]) == d["contact"]
            and query.get("paid", _paid(d)) == _paid(d)
        ]
        return found[::-1] if query.get("sort") == "created-desc" else found

    def _stock_of(self, warehouse_id: str) -> Answer:
        warehouse = self.warehouses.get(warehouse_id)
        if warehouse is None:
            return _json(404, {"status": 0, "info": "Warehouse not found"})
        held = self.stock.get(warehouse_id, {}).items()
        products = [{"product_id": pid, "stock": e["stock"], "variants": dict(e["variants"])} for pid, e in held]
        answer = {"id": warehouse_id, "name": warehouse["name"], "color": "", "products": products}
        return _json(200, {"warehouse": answer})

    def _create(self, doc_type: str, body: Record) -> Answer:
        date = body.get("date")
        if not isinstance(date, int) or isinstance(date, bool):
            return _json(200, {"status": 0, "info": "date needed"})
        contact_id = self._contact_for(body)
        if contact_id is None:
            return _json(200, {"status": 0, "info": "Contact not found"})
        lines = [
            _line({**item, "price": item.get("subtotal", 0), "productId": self._link(str(item.get("sku") or ""))})
            for item in body.get("items") or []
        ]
        self._numbers[doc_type] += 1
        prefix = NUMBER_PREFIXES.get(doc_type, doc_type[:3].upper())
        number = str(body.get("invoiceNum") or f"{prefix}{self._numbers[doc_type]:05d}")
        kept = ("desc", "notes", "dueDate", "language", "currency", "currencyChange", "tags", "warehouseId")
        fields = {"contact": contact_id, "docNumber": number, "date": date} | {k: body[k] for k in kept if k in body}
        # Holded splits every {field, value} object into a row per key; [{"key": "value"}] round-trips
        custom = body.get("customFields") or []
        fields["customFields"] = [{"field": k, "value": v} for pairs in custom for k, v in pairs.items()]
        if body.get("approveDoc"):
            fields["approvedAt"] = int(time.time())
        document_id = self._put_document(doc_type, lines, None, fields)
        return _json(201, {"status": 1, "id": document_id, "invoiceNum": number, "contactId": contact_id})

    def _contact_for(self, body: Record) -> str | None:
        if body.get("contactId"):
            return str(body["contactId"]) if body["contactId"] in self.contacts else None
        code = body.get("contactCode")
        found = next((c["id"] for c in self.contacts.values() if code and c["code"] == code), None)
        if found is None and body.get("contactName"):  # Holded creates the contact inline
            found = self.add_contact(body["contactName"], code=code or "", email=body.get("contactEmail", ""))
        return None if found is None else str(found)

    def _link(self, sku: str) -> str:
        for product in self.products.values() if sku else ():
            if product["sku"] == sku:
                return str(product["id"])
            for variant in product["variants"]:
                if variant["sku"] == sku:
                    return f"{product['id']}#{variant['id']}"
        return ""

    def _put_document(self, doc_type: str, lines: list[Record], total: float | None, fields: Record) -> str:
        gross = [line["units"] * line["price"] for line in lines]
        discount = sum(g * line["discount"] / 100 for g, line in zip(gross, lines, strict=True))
        net = [g * (1 - line["discount"] / 100) for g, line in zip(gross, lines, strict=True)]
        tax = round(sum(n * line["tax"] / 100 for n, line in zip(net, lines, strict=True)), 2)
        subtotal = round(sum(net), 2)
        total = round(subtotal + tax, 2) if total is None else total
        document_id = self._new_id()
        record = json.loads(DOCUMENT) | {"id": document_id, "dueDate": fields["date"], "products": lines}
        record |= {"contactName": self.contacts.get(fields["contact"], {}).get("name", "")}
        record |= {"tax": tax, "subtotal": subtotal, "discount": round(discount, 2), "total": total, **fields}
        if "paymentsPending" not in fields:
            record["paymentsPending"] = round(total - record["paymentsTotal"], 2)
        self.documents.setdefault(doc_type, {})[document_id] = record
        return document_id


def _parts(path: str) -> list[str]:
    return path.removeprefix(BASE).strip("/").split("/") if path.startswith(f"{BASE}/") else []


def call_name(method: str, path: str) -> str:
    """How ``calls``, ``schedule`` and ``on_page`` name a request: ids are left out."""
    match method, _parts(path):
        case "GET", ["contacts" | "products" | "warehouses" as what]:
            return f"GET /{what}"
        case "GET", ["contacts" | "products" as what, _]:
            return f"GET /{what}/{{id}}"
        case "GET", ["warehouses", _, "stock"]:
            return "GET /warehouses/stock"
        case "GET" | "POST", ["documents", doc_type]:
            return f"{method} /documents/{doc_type}"
    return f"{method} {path}"


def _is_list(call: str) -> bool:
    listed = ("GET /contacts", "GET /products", "GET /warehouses")
    return call in listed or call.removeprefix("GET /documents/") in DOC_TYPES


def _line(line: Record) -> Record:
    row = {"name": line.get("name", ""), "desc": line.get("desc", ""), "price": line.get("price", 0)}
    row |= {"units": line.get("units", 1), "tax": line.get("tax", 21), "discount": line.get("discount", 0)}
    row |= {"retention": 0, "sku": line.get("sku", "")}
    return row | ({"productId": line["productId"]} if line.get("productId") else {})


def _paid(document: Record) -> str:
    if document["paymentsPending"] <= 0:
        return "1"
    return "2" if document["paymentsTotal"] > 0 else "0"


def _one(record: Record | None, missing: str) -> Answer:
    return _json(404, {"status": 0, "info": missing}) if record is None else _json(200, record)


def _json(status: int, body: Any) -> Answer:
    return status, json.dumps(body).encode(), "application/json; charset=utf-8"


def _int(value: str | None, default: int) -> int:
    try:
        return int(float(value)) if value is not None else default
    except ValueError:
        return default


def _body(raw: bytes) -> Record:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


EARLY_ANSWERS: dict[str, Answer] = {
    **{
        fault: _json(status, {"status": 0, "info": "Internal Server Error"})
        for fault, status in HTTP_STATUS_FAULTS.items()
    },
    "rate_limited": _json(429, {"status": 0, "info": "Too Many Requests"}),
    "not_json": HTML_NOT_FOUND,
    "status_zero": _json(200, {"status": 0, "info": "Temporary error, try again later"}),
}


class _Handler(FaultyHandler):
    holded: FakeHolded

    def _handle(self) -> None:
        holded, method, url = self.holded, self.command, urlsplit(self.path)
        query = {name: values[-1] for name, values in parse_qs(url.query).items()}
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        call = call_name(method, url.path)
        holded.arrived(call)
        fault = holded.fault_for(call)
        if fault == "reset":
            self.reset()
            return
        if fault in EARLY_ANSWERS:  # nothing is done
            self._send(
                EARLY_ANSWERS[fault], {"Retry-After": str(holded.retry_after)} if fault == "rate_limited" else {}
            )
            return
        if fault == "commit_late":
            time.sleep(holded.slow_seconds)
        answer = holded.reshape(call, fault, holded.answer(method, url.path, query, raw, self.headers.get("key")))
        if holded.on_page is not None and _is_list(call) and answer[0] == 200:
            holded.on_page(call, max(_int(query.get("page"), 1), 1))  # outside the lock: it may remove records
        if fault == "timeout_after_commit":
            time.sleep(holded.slow_seconds)
        self._send(answer, truncated=fault == "truncated")

    def _send(self, answer: Answer, headers: dict[str, str] | None = None, *, truncated: bool = False) -> None:
        status, payload, content_type = answer
        self.send_bytes(status, payload, content_type, headers, truncated=truncated)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle  # any other route or method gets the HTML page
