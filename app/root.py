"""The composition root: settings, the shop database's engine and sessions, the ledger and the
way to the tenants' ERPs, built in one place and handed down.

Nothing below this module reads settings or builds an engine of its own. Each entry point (a
command, a flow run, the console) asks for ``process_root()``; the tests build their own
``Root`` for their database.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from app.secrets import resolve_secret
from app.settings import Settings
from erp_adapters.base import ErpAdapter
from quotas.ledger import Ledger
from records.errors import SchemaNotReady
from shop import migrate
from shop.db import create_shop_engine, session_factory, unit_of_work

if TYPE_CHECKING:
    from pipeline.extract import Secrets
    from pipeline.send_orders import SendTarget


@dataclass(frozen=True)
class Root:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session] = field(init=False)
    secrets: Secrets = resolve_secret

    def __post_init__(self) -> None:
        object.__setattr__(self, "sessions", session_factory(self.engine))

    @classmethod
    def build(cls, settings: Settings) -> Root:
        return cls(settings, create_shop_engine(settings.database_url))

    @property
    def url(self) -> str:
        return self.settings.database_url

    @property
    def safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def ledger(self) -> Ledger:
        return Ledger(self.sessions, lease_seconds=self.settings.lease_seconds)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends normally, rolled back otherwise."""
        with unit_of_work(self.sessions) as session:
            yield session

    def adapter(self, tenant_id: int) -> ErpAdapter:
        # Imported here: the extract chain loads pandas, which commands that reach no ERP skip.
        from pipeline.extract import open_adapter

        return open_adapter(self.sessions, tenant_id, self.secrets)

    def send_target(self, tenant_id: int, tenant: str, flow_run_id: str | None = None) -> SendTarget:
        """Whose orders go out (or are cancelled), on the tenant's plan and this process's leases."""
        from pipeline.send_orders import SendTarget  # with the adapters' chain, as ``adapter`` above

        return SendTarget(
            self.sessions,
            tenant_id,
            tenant,
            meters_orders=self.ledger.usage(tenant_id).meters_orders,
            flow_run_id=flow_run_id,
            lease_seconds=self.settings.lease_seconds,
            order_lease_seconds=self.settings.order_lease_seconds,
        )

    def require_schema(self) -> Root:
        if not migrate.is_current(self.url):
            raise SchemaNotReady(
                f"the shop database {self.safe_url} is not at the latest schema: run `erp-sync db upgrade`"
            )
        return self

    def close(self) -> None:
        self.engine.dispose()


_roots: dict[str, Root] = {}
_roots_lock = threading.Lock()


def process_root(settings: Settings | None = None) -> Root:
    """This process's root for the settings in force (read from the environment unless given):
    built on first use, then shared, so every run in a process uses one engine and one pool per
    database. Settings that change (another database, another batch size) get a root of their own."""
    settings = settings or Settings()
    key = settings.model_dump_json()
    with _roots_lock:
        if key not in _roots:
            _roots[key] = Root.build(settings)
        return _roots[key]
