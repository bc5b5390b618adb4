"""Alembic environment: the URL comes from the caller (``shop.migrate``) or from settings."""

from __future__ import annotations

from alembic import context

from app.settings import get_settings
from shop.db import get_engine
from shop.models import Base

url = context.config.get_main_option("sqlalchemy.url") or get_settings().database_url

with get_engine(url).connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
