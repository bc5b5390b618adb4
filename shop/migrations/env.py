"""Alembic environment: the URL comes from the caller (``shop.migrate`` sets it for `erp-sync db upgrade`)."""

from __future__ import annotations

from alembic import context

from shop.db import create_shop_engine
from shop.models import Base

url = context.config.get_main_option("sqlalchemy.url")
if not url:
    raise SystemExit("no database URL: run the migrations with `erp-sync db upgrade`")
engine = create_shop_engine(url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
engine.dispose()
