"""Extract: open the tenant's ERP adapter and stream pages from the saved cursor.

Pages are produced by a generator in the flow's process (the adapter keeps its file or HTTP
session open between pages); each page then goes through the transform and load tasks. A
generator cannot be a Prefect task that retries, so a transient ERP fault is retried here, with
the load task's policy: the stream resumes from the cursor of the last page handed over.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from erp_adapters.base import ErpAdapter
from erp_adapters.errors import AdapterConfigError, TransientErpError
from erp_adapters.registry import create_adapter
from pipeline.retry import RETRY_DELAYS, pause_before
from records.erp import Cursor, Entity, Page
from shop.cursors import read_cursor
from shop.models import Tenant


@dataclass(frozen=True)
class Source:
    adapter: ErpAdapter
    cursor: Cursor | None

    def pages(self, entity: str, page_size: int, sleep: Callable[[float], None] = time.sleep) -> Iterator[Page]:
        cursor = self.cursor
        for attempt in range(len(RETRY_DELAYS) + 1):
            try:
                for page in self.adapter.fetch(Entity(entity), cursor, page_size):
                    yield page
                    cursor = page.cursor  # the caller has loaded it by the time it asks for the next
                return
            except TransientErpError:
                if attempt == len(RETRY_DELAYS):
                    raise
                sleep(pause_before(attempt))

    def estimate(self, entity: str) -> int | None:
        return self.adapter.estimate(Entity(entity), self.cursor)


Secrets = Callable[[str], str]  # a secret's name -> its value


def from_environment(name: str) -> str:
    """A secret from the environment only: the composition root's ``secrets`` also asks Prefect."""
    try:
        return os.environ[name]
    except KeyError:
        raise AdapterConfigError(f"secret '{name}' is not an environment variable") from None


def open_adapter(sessions: sessionmaker[Session], tenant_id: int, secrets: Secrets = from_environment) -> ErpAdapter:
    """The tenant's adapter, built from its options and, if it has one, its secret."""
    with sessions() as session:
        tenant = session.get_one(Tenant, tenant_id)
        options: dict[str, Any] = dict(tenant.erp_options)
        secret_name, kind = tenant.erp_secret_name, tenant.erp_kind
    if secret_name:
        options["password"] = secrets(secret_name)
    return create_adapter(kind, options)


def open_source(
    sessions: sessionmaker[Session], tenant_id: int, entity: str, secrets: Secrets = from_environment
) -> Source:
    with sessions() as session:
        cursor = read_cursor(session, tenant_id, entity)
    return Source(open_adapter(sessions, tenant_id, secrets), cursor)
