"""Wiring for the commands: settings, the shop database and the ledger, built in one place."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.settings import Settings, get_settings
from quotas.ledger import Ledger
from records.errors import SchemaNotReady
from shop import migrate
from shop.db import session_factory, unit_of_work


@dataclass(frozen=True)
class Shop:
    settings: Settings

    @property
    def url(self) -> str:
        return self.settings.database_url

    @property
    def safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with unit_of_work(self.url) as session:
            yield session

    @property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.url)

    @property
    def ledger(self) -> Ledger:
        return Ledger(self.sessions, lease_seconds=self.settings.lease_seconds)


def open_shop(*, require_schema: bool = True) -> Shop:
    shop = Shop(get_settings())
    if require_schema and not migrate.is_current(shop.url):
        raise SchemaNotReady(
            f"the shop database {shop.safe_url} is not at the latest schema: run `erp-sync db upgrade`"
        )
    return shop
