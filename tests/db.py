"""The tests' way into a database by its URL: the composition root of that database, built on
first use and shared, as an entry point would get it (``app.root.process_root``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from app.root import Root, process_root
from app.settings import Settings


def root_for(url: str) -> Root:
    return process_root(Settings(database_url=url))


def session_factory(url: str) -> sessionmaker[Session]:
    return root_for(url).sessions


@contextmanager
def unit_of_work(url: str) -> Iterator[Session]:
    with root_for(url).session() as session:
        yield session
