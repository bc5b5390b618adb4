"""One harness per adapter for the contract suite: the adapter built from the options a tenant
would have, and the means to act on its ERP directly (seed, change and remove records, look at
the orders it holds, make it fail), so that one test states a rule for every adapter.

- ``csv_files``: real export files in a temporary drop folder, written with ``devkit.samples``;
- ``tryton``: the real trytond of ``tests.tryton.server`` (one copy of the seeded database for
  this test module), changed through its own JSON-RPC, and faulted through the loopback proxy
  of ``tests.integration.test_tryton_transport`` or a port nothing listens on;
- ``odoo`` and ``odoo-json2``: the fake Odoo of ``tests.fakes.odoo_server`` with its fault
  injection, over JSON-RPC and over the JSON-2 API;
- ``holded``: the fake Holded of ``tests.fakes.holded_server`` with its fault injection.

Where an ERP cannot do something the way another does, the harness says so in data
(``look_back``, ``full_listing``, ``bad_cursor``, ``removals``) and the tests assert the
documented behaviour.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest

from devkit.samples import HEADER, product_rows, write_rows
from erp_adapters.base import ErpAdapter
from erp_adapters.errors import AdapterConfigError, ErpError, MalformedSource, TransientErpError
from erp_adapters.odoo.reading import LOOK_BACK as ODOO_LOOK_BACK
from erp_adapters.orders import order_sink
from erp_adapters.registry import create_adapter
from erp_adapters.tryton.adapter import DEFAULT_LOOK_BACK as TRYTON_LOOK_BACK
from erp_adapters.tryton.listings import LISTINGS
from records.erp import Entity
from records.orders import ShopOrder, ShopOrderLine
from tests.fakes.faulty import FaultyErp
from tests.fakes.holded_server import FakeHolded
from tests.fakes.odoo_server import FakeOdoo
from tests.integration.test_tryton_transport import Fault, FaultyProxy
from tests.tryton.server import ADMIN_PASSWORD, TrytonServer, _free_port

ENTITY = Entity.PRODUCTS  # the one entity every adapter imports
WRONG_SECRET = "Wr0ng-Contract-Secret-77"  # a wrong password must not be echoed either
PLACED_AT = dt.datetime(2026, 11, 20, 10, 30, tzinfo=dt.UTC)


class Harness(ABC):
    """An adapter and its ERP, as the contract tests see them (records keyed by their SKU)."""

    kind: ClassVar[str]  # the adapter's name
    label: ClassVar[str] = ""  # the harness's test id, when one adapter has several (else its kind)
    # None: a read to the end leaves nothing to re-read. Otherwise the adapter's documented
    # look-back: a delta re-reads the records touched that long before its cursor.
    look_back: ClassVar[dt.timedelta | None]
    # True: the ERP cannot be asked what changed, so every fetch reads every record again and
    # the pipeline's hash diff makes the unchanged ones free.
    full_listing: ClassVar[bool] = False
    # What fetch does with a stored cursor whose values it cannot read: raise this adapter error,
    # or (None) ignore it and read everything again.
    bad_cursor: ClassVar[type[ErpError] | None]
    # Ways to make the ERP (or the tenant's set-up) fail, and the adapter error each must become.
    faults: ClassVar[dict[str, type[ErpError]]]
    secret: str  # the tenant's secret, in ``options()`` as "password" (pipeline.extract.open_adapter)

    @abstractmethod
    def options(self, **overrides: Any) -> dict[str, Any]:
        """The tenant's ``erp_options`` with the secret put in, as the pipeline builds them."""

    def adapter(self, **overrides: Any) -> ErpAdapter:
        return create_adapter(self.kind, self.options(**overrides))

    @abstractmethod
    def seed(self, count: int) -> list[str]:
        """Create ``count`` new records in the ERP; their SKUs."""

    @abstractmethod
    def change(self, sku: str) -> str:
        """Rename a record in the ERP; its new name."""

    @abstractmethod
    def removals(self) -> dict[str, Callable[[str], None]]:
        """Each way this ERP can make a record go away, by name."""

    @abstractmethod
    def keys(self) -> set[str]:
        """Every SKU the ERP holds now, read from the ERP itself."""

    def touched_within(self, window: dt.timedelta) -> set[str]:
        """SKUs of the records the ERP stamped within ``window`` of now (look-back adapters)."""
        raise AssertionError(f"{self.kind} has no look-back: nothing may be re-read")

    @abstractmethod
    def order(self, number: str) -> ShopOrder:
        """A shop order this ERP can take (its customer and products exist)."""

    @abstractmethod
    def orders_in_erp(self, number: str) -> int:
        """How many orders (files, sales) the ERP holds for this shop number."""

    @abstractmethod
    def provoke(self, fault: str) -> None:
        """Make the fault happen and call the adapter so that it must raise."""

    @abstractmethod
    def failing_options(self) -> dict[str, Any]:
        """Options (the secret in them) of an adapter whose reads fail."""


class CsvHarness(Harness):
    """An ERP that drops full exports in a folder. Its "ERP" is the rows of ``products.csv``,
    rewritten whole on every change, each time with a later modification time (as a later
    export would have): the file's signature, not the clock's resolution, tells a change.

    csv_files takes no credential; the pipeline still puts the tenant's secret, if it has one,
    in the options as "password", so the secret rides along there and must not leak either."""

    kind = "csv_files"
    look_back = None
    bad_cursor = None  # adapter.py: an unusable "files"/"current" is ignored, the exports read again
    faults: ClassVar[dict[str, type[ErpError]]] = {
        "row_wider_than_header": MalformedSource,
        "empty_export": MalformedSource,
        "corrupt_xlsx": MalformedSource,
        "unreadable_export": TransientErpError,  # adapter.py: _reading(); a later run may read it
        "no_drop_folder": AdapterConfigError,
        "drop_folder_gone": AdapterConfigError,
        "mapping_names_missing_column": AdapterConfigError,
        "push_into_unusable_folder": TransientErpError,
    }
    secret = "Csv-Tenant-Secret-41"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / "drop"
        self.folder.mkdir()
        self.rows: list[list[str]] = []
        self._made = 0
        self._mtime = 1_700_000_000

    def options(self, **overrides: Any) -> dict[str, Any]:
        return {"path": str(self.folder), "password": self.secret, **overrides}

    def _export(self) -> Path:
        path = write_rows(self.folder, "products.csv", HEADER, self.rows)
        self._mtime += 60
        os.utime(path, ns=(self._mtime * 10**9, self._mtime * 10**9))
        return path

    def seed(self, count: int) -> list[str]:
        fresh = product_rows(self._made + count)[self._made :]  # a growing export only adds rows
        self._made += count
        self.rows += fresh
        self._export()
        return [row[0] for row in fresh]

    def change(self, sku: str) -> str:
        row = next(row for row in self.rows if row[0] == sku)
        row[1] = f"{row[1]} rebajado"
        self._export()
        return row[1]

    def removals(self) -> dict[str, Callable[[str], None]]:
        def rewrite_without(sku: str) -> None:
            self.rows = [row for row in self.rows if row[0] != sku]
            self._export()

        return {"export rewritten without it": rewrite_without}

    def keys(self) -> set[str]:
        return {row[0] for row in self.rows}

    def order(self, number: str) -> ShopOrder:
        return ShopOrder(
            number, "C0001", PLACED_AT, (ShopOrderLine("POL-0001-NEG-S", Decimal(2), Decimal("39.00"), "Polo"),)
        )

    def orders_in_erp(self, number: str) -> int:
        """Every entry of the orders folder naming the number: the order file, or a partial one."""
        orders = self.folder / "orders"
        return sum(number in entry.name for entry in orders.iterdir()) if orders.is_dir() else 0

    def provoke(self, fault: str) -> None:
        drop = self.folder
        if fault == "row_wider_than_header":
            (drop / "products.csv").write_bytes(b"sku;name;price\nS1;a;1\nS2;b;2;extra\n")
            list(self.adapter().fetch(ENTITY, None, 10))
        elif fault == "empty_export":
            (drop / "products.csv").write_bytes(b"")
            list(self.adapter().fetch(ENTITY, None, 10))
        elif fault == "corrupt_xlsx":
            (drop / "products.xlsx").write_bytes(b"this is not a workbook")
            list(self.adapter().fetch(ENTITY, None, 10))
        elif fault == "unreadable_export":
            # A file the OS refuses to read (EIO, as a dropped network share gives). chmod 000
            # would do as an ordinary user, but these tests run as root, who may read anything.
            (drop / "products.csv").symlink_to("/proc/self/mem")
            list(self.adapter().fetch(ENTITY, None, 10))
        elif fault == "no_drop_folder":
            create_adapter(self.kind, self.options(path=str(self.root / "never-made")))
        elif fault == "drop_folder_gone":
            adapter = self.adapter()
            drop.rmdir()
            list(adapter.fetch(ENTITY, None, 10))
        elif fault == "mapping_names_missing_column":
            self.seed(2)
            list(self.adapter(mapping={"products": {"sku": "Codigo SAP"}}).fetch(ENTITY, None, 10))
        elif fault == "push_into_unusable_folder":
            (drop / "orders").write_text("a file where the orders folder should be")
            order_sink(self.adapter()).push_order(self.order("W-9"), "W-9")
        else:
            raise AssertionError(fault)

    def failing_options(self) -> dict[str, Any]:
        broken = self.root / "broken-drop"
        broken.mkdir()
        (broken / "products.csv").write_bytes(b"sku;name\nS1;a;surplus\n")
        return self.options(path=str(broken))


class TrytonHarness(Harness):
    """The real Tryton, with the production defaults (a 5-minute look-back). Records are product
    variants created through Tryton's JSON-RPC under SKUs no other test uses: the database is
    this module's copy, shared by its tests, so every check is against what Tryton holds now."""

    kind = "tryton"
    look_back = TRYTON_LOOK_BACK
    bad_cursor = AdapterConfigError  # window.py: a stored id or date it cannot read
    faults: ClassVar[dict[str, type[ErpError]]] = {
        "wrong_password": AdapterConfigError,
        "unknown_database": AdapterConfigError,
        "no_password": AdapterConfigError,
        "stopped_port": TransientErpError,
        "http_503": TransientErpError,
        "http_429": TransientErpError,
        "timeout": TransientErpError,
        "push_to_stopped_port": TransientErpError,
    }
    secret = ADMIN_PASSWORD

    def __init__(self, server: TrytonServer) -> None:
        self.server = server
        self.client = server.client()
        self._unit: int | None = None

    def options(self, **overrides: Any) -> dict[str, Any]:
        return {**self.server.options(), "password": self.secret, **overrides}

    def _template_of(self, sku: str) -> int:
        [found] = self.client.search_read("product.product", [["code", "=", sku]], 1, ["template"])
        return int(found["template"])

    def seed(self, count: int) -> list[str]:
        if self._unit is None:
            self._unit = int(self.client.search_read("product.uom", [["symbol", "=", "u"]], 1, ["id"])[0]["id"])
        prefix = f"CT{uuid.uuid4().hex[:6].upper()}"
        templates = [
            {
                "name": f"Contrato {prefix} {n}",
                "code": f"{prefix}{n:02d}",
                "type": "goods",
                "default_uom": self._unit,
                "list_price": Decimal("12.50") + n,
                "products": [["create", [{"suffix_code": "-1"}]]],
            }
            for n in range(count)
        ]
        self.client.model("product.template", "create", templates, write=True)
        return [f"{prefix}{n:02d}-1" for n in range(count)]

    def change(self, sku: str) -> str:
        name = f"Contrato {sku} rebajado"
        self.client.model("product.template", "write", [self._template_of(sku)], {"name": name}, write=True)
        return name

    def removals(self) -> dict[str, Callable[[str], None]]:
        def delete(sku: str) -> None:
            self.client.model("product.template", "delete", [self._template_of(sku)], write=True)

        def archive(sku: str) -> None:
            [found] = self.client.search_read("product.product", [["code", "=", sku]], 1, ["id"])
            self.client.model("product.product", "write", [found["id"]], {"active": False}, write=True)

        return {"deleted": delete, "archived": archive}

    def keys(self) -> set[str]:
        return {str(r["code"]) for r in self.client.search_read("product.product", [], None, ["code"])}

    def touched_within(self, window: dt.timedelta) -> set[str]:
        since = dt.datetime.now(dt.UTC).replace(tzinfo=None) - window  # Tryton stamps in naive UTC
        stamps = LISTINGS[ENTITY].stamps  # the stamps the adapter documents as marking a change
        domain = [["OR", *([stamp, ">=", since] for stamp in stamps)]]
        return {str(r["code"]) for r in self.client.search_read("product.product", domain, None, ["code"])}

    def order(self, number: str) -> ShopOrder:
        return ShopOrder(number, "C0007", PLACED_AT, (ShopOrderLine("T0004-1", Decimal(2), Decimal("12.50")),))

    def orders_in_erp(self, number: str) -> int:
        return len(self.client.search_read("sale.sale", [["reference", "=", number]], None, ["id"]))

    def _stopped_url(self) -> str:
        return f"http://127.0.0.1:{_free_port()}"  # free a moment ago: nothing listens there

    def provoke(self, fault: str) -> None:
        if fault == "wrong_password":
            list(self.adapter(password=WRONG_SECRET).fetch(ENTITY, None, 10))
        elif fault == "unknown_database":
            self.adapter(database="nope").estimate(ENTITY, None)
        elif fault == "no_password":
            create_adapter(self.kind, self.server.options())
        elif fault == "stopped_port":
            list(self.adapter(url=self._stopped_url(), retries=1).fetch(ENTITY, None, 10))
        elif fault == "push_to_stopped_port":
            order_sink(self.adapter(url=self._stopped_url(), retries=1)).push_order(self.order("W-9"), "W-9")
        elif fault in ("http_503", "http_429", "timeout"):
            with FaultyProxy(self.server.url) as proxy:
                options: dict[str, Any] = {"url": proxy.url, "retries": 1}
                if fault == "timeout":  # held longer than the client waits, then answered 503
                    proxy.faults = [Fault(status=503, delay=1.0)] * 2
                    options["timeout_seconds"] = 0.3
                else:
                    status = 503 if fault == "http_503" else 429
                    proxy.faults = [Fault(status=status, retry_after=0 if status == 429 else None)] * 2
                try:
                    list(self.adapter(**options).fetch(ENTITY, None, 10))
                finally:
                    time.sleep(1.0 if fault == "timeout" else 0)  # the proxy's held answers go out first
        else:
            raise AssertionError(fault)

    def failing_options(self) -> dict[str, Any]:
        return self.options(url=self._stopped_url(), retries=0)


class FakeErpHarness(Harness):
    """An ERP faked over HTTP (``tests/fakes``): the faults every such harness provokes the same
    way, through the fake's fault plan; ``READ`` is the call reading the records, ``LOOKUP`` the
    look-up a push makes first, ``URL_PATH`` what follows the host in the adapter's url."""

    fake: FaultyErp
    READ: ClassVar[str]
    LOOKUP: ClassVar[str]
    URL_PATH: ClassVar[str] = ""
    SHARED_FAULTS: ClassVar[dict[str, type[ErpError]]] = {
        "wrong_secret": AdapterConfigError,
        "no_secret": AdapterConfigError,
        "entity_not_offered": AdapterConfigError,
        "stopped_port": TransientErpError,
        "http_500": TransientErpError,
        "http_503": TransientErpError,
        "rate_limited": TransientErpError,
        "timeout": TransientErpError,
        "reset": TransientErpError,
        "push_while_failing": TransientErpError,
    }

    def provoke(self, fault: str) -> None:
        fake = self.fake
        try:
            if fault == "wrong_secret":
                list(self.adapter(password=WRONG_SECRET).fetch(ENTITY, None, 10))
            elif fault == "no_secret":
                create_adapter(self.kind, {k: v for k, v in self.options().items() if k != "password"})
            elif fault == "entity_not_offered":
                list(self.adapter().fetch(Entity.SALES_REPS, None, 10))
            elif fault == "stopped_port":
                url = f"http://127.0.0.1:{_free_port()}{self.URL_PATH}"
                list(self.adapter(url=url, retries=1).fetch(ENTITY, None, 10))
            elif fault == "push_while_failing":
                fake.schedule("http_500", call=self.LOOKUP, times=100)
                order_sink(self.adapter(retries=1)).push_order(self.order("W-9"), "W-9")
            else:
                self.provoke_more(fault)
        finally:
            fake.calm()

    def provoke_more(self, fault: str) -> None:
        """A fault of the fake's own, scheduled on every read; a time-out outlasts a short wait."""
        fake = self.fake
        fake.retry_after = 0
        fake.slow_seconds = 2.0
        fake.schedule("timeout_after_commit" if fault == "timeout" else fault, call=self.READ, times=100)
        timeout = 0.3 if fault == "timeout" else 10
        list(self.adapter(retries=1, timeout=timeout).fetch(ENTITY, None, 10))

    def failing_options(self) -> dict[str, Any]:
        self.fake.schedule("http_500", call=self.READ, times=100)
        return self.options(retries=0)


class OdooHarness(FakeErpHarness):
    """The fake Odoo over real HTTP, its products as variants (``put_variant``), five of them last
    changed a day ago, and the customer C0001; the adapter's own 30-second look-back, and
    generous time-outs (only the time-out fault uses a short one)."""

    kind = "odoo"
    look_back = ODOO_LOOK_BACK
    bad_cursor = AdapterConfigError  # reading.py: a stored id or date it cannot read
    faults: ClassVar[dict[str, type[ErpError]]] = {
        **FakeErpHarness.SHARED_FAULTS,
        "not_json": MalformedSource,
        "result_dict": MalformedSource,
        "push_while_failing": TransientErpError,
    }
    secret = "Odoo-Api-Key-Contract-5150"
    READ = "product.product.search_read"
    LOOKUP = "sale.order.search_read"

    fake: FakeOdoo

    def __init__(self, fake: FakeOdoo) -> None:
        self.fake = fake
        fake.add_partner("C0001")
        # Records last changed a day ago, as any Odoo holds: a delta must not read them again.
        yesterday = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
        for n in range(5):
            fake.put_variant(f"OLD-{n}", f"Polo antiguo {n}", 29.0 + n, (9, "Polo antiguo"))
            fake.variants[fake.products[f"OLD-{n}"]]["write_date"] = yesterday

    def options(self, **overrides: Any) -> dict[str, Any]:
        fake = self.fake
        settings = {"url": fake.url, "db": fake.db, "username": fake.login, "password": self.secret}
        return {**settings, "timeout": 10, "retries": 2, "backoff": 0.01, **overrides}

    def seed(self, count: int) -> list[str]:
        prefix = f"OC{uuid.uuid4().hex[:6].upper()}"
        skus = [f"{prefix}-{n}" for n in range(count)]
        for n, sku in enumerate(skus):
            self.fake.put_variant(sku, f"Polo {sku}", 39.0 + n, (10, "Polo"))
        return skus

    def change(self, sku: str) -> str:
        variant = self.fake.variants[self.fake.products[sku]]
        name = f"{variant['name']} rebajado"
        self.fake.put_variant(sku, name, variant["list_price"], tuple(variant["product_tmpl_id"]))
        return name

    def removals(self) -> dict[str, Callable[[str], None]]:
        return {"deleted": self.fake.remove_variant}

    def keys(self) -> set[str]:
        return {str(v["default_code"]) for v in self.fake.variants.values()}

    def touched_within(self, window: dt.timedelta) -> set[str]:
        since = (dt.datetime.now(dt.UTC) - window).strftime("%Y-%m-%d %H:%M:%S")  # Odoo: naive UTC
        return {str(v["default_code"]) for v in self.fake.variants.values() if v["write_date"] >= since}

    def order(self, number: str) -> ShopOrder:
        skus = sorted(self.keys()) or self.seed(1)
        return ShopOrder(number, "C0001", PLACED_AT, (ShopOrderLine(skus[0], Decimal(2), Decimal("9.95"), "Polo"),))

    def orders_in_erp(self, number: str) -> int:
        return self.fake.refs().count(number)


class OdooJson2Harness(OdooHarness):
    """The same fake Odoo spoken to over the JSON-2 API (Odoo 19): the API key as a bearer token."""

    label = "odoo-json2"

    def options(self, **overrides: Any) -> dict[str, Any]:
        fake = self.fake
        settings = {"url": fake.url, "db": fake.db, "protocol": "json2", "password": self.secret}
        return {**settings, "timeout": 10, "retries": 2, "backoff": 0.01, **overrides}


class HoldedHarness(FakeErpHarness):
    """The fake Holded over real HTTP, four records a Holded page (so offsets matter), and the
    customer C0001 (its ``customId``); generous time-outs (only the time-out fault uses a short
    one). Holded lists cannot be asked what changed: every fetch reads everything."""

    kind = "holded"
    look_back = None
    full_listing = True
    bad_cursor = AdapterConfigError  # listing.py: a stored page or skip it cannot read
    faults: ClassVar[dict[str, type[ErpError]]] = {
        **FakeErpHarness.SHARED_FAULTS,
        "truncated": TransientErpError,
        "status_zero": TransientErpError,
        "not_json": MalformedSource,
        "repeat_page": MalformedSource,
        "push_while_failing": TransientErpError,
    }
    secret = "Holded-Api-Key-Contract-6160"
    READ = "GET /products"
    LOOKUP = "GET /documents/salesorder"
    URL_PATH = "/api"

    fake: FakeHolded

    def __init__(self, fake: FakeHolded) -> None:
        self.fake = fake
        fake.add_contact("Moda Levante SL", custom_id="C0001", code="B00000018")

    def options(self, **overrides: Any) -> dict[str, Any]:
        return {
            "url": self.fake.url,
            "password": self.secret,
            "timeout": 10,
            "retries": 2,
            "backoff": 0.01,
            **overrides,
        }

    def seed(self, count: int) -> list[str]:
        prefix = f"HC{uuid.uuid4().hex[:6].upper()}"
        skus = [f"{prefix}-{n}" for n in range(count)]
        for n, sku in enumerate(skus):
            self.fake.put_product(sku, f"Polo {sku}", 39.0 + n)
        return skus

    def change(self, sku: str) -> str:
        product = self.fake.products[self.fake.product_id(sku)]
        name = f"{product['name']} rebajado"
        self.fake.put_product(sku, name, product["price"])
        return name

    def removals(self) -> dict[str, Callable[[str], None]]:
        return {"deleted": self.fake.remove_product}

    def keys(self) -> set[str]:
        return {str(p["sku"]) for p in self.fake.products.values()}

    def order(self, number: str) -> ShopOrder:
        skus = sorted(self.keys()) or self.seed(1)
        return ShopOrder(number, "C0001", PLACED_AT, (ShopOrderLine(skus[0], Decimal(2), Decimal("9.95"), "Polo"),))

    def orders_in_erp(self, number: str) -> int:
        return len(self.fake.documents_where("salesorder", desc=f"Shop order {number}"))

    def provoke_more(self, fault: str) -> None:
        if fault != "repeat_page":
            super().provoke_more(fault)
            return
        self.seed(2 * self.fake.page_size)  # the second page answered with the first
        self.fake.schedule("repeat_page", call=self.READ, after=1)
        list(self.adapter().fetch(ENTITY, None, 10))


HARNESSES: dict[str, type[Harness]] = {
    h.label or h.kind: h for h in (CsvHarness, TrytonHarness, OdooHarness, OdooJson2Harness, HoldedHarness)
}


@pytest.fixture(params=sorted(HARNESSES))
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    label = request.param
    if label == "csv_files":
        yield CsvHarness(tmp_path)
    elif label == "tryton":
        yield TrytonHarness(request.getfixturevalue("tryton_server"))
    elif label == "holded":
        holded = FakeHolded(api_key=HoldedHarness.secret, page_size=4)
        with holded.running():
            yield HoldedHarness(holded)
    else:
        odoo_harness = OdooJson2Harness if label == OdooJson2Harness.label else OdooHarness
        fake = FakeOdoo(password=OdooHarness.secret)
        with fake.running():
            yield odoo_harness(fake)
