"""The migration chain: one head, no drift from the models, down to base and back with data."""

from __future__ import annotations

import uuid

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from shop import migrate
from tests.conftest import PG_SERVER


def test_single_head_and_no_drift(sqlite_url: str) -> None:
    config = migrate.alembic_config(sqlite_url)
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
    command.check(config)  # raises if the models and the migrations disagree


@pytest.fixture
def scratch_pg():  # type: ignore[no-untyped-def]
    name = f"erp_sync_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{PG_SERVER}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_down_to_base_and_back_with_data(backend: str, tmp_path, request) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'm.db'}" if backend == "sqlite" else request.getfixturevalue("scratch_pg")
    migrate.upgrade(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        plans = conn.execute(text("SELECT count(*) FROM plans")).scalar_one()
        plan_id = conn.execute(text("SELECT id FROM plans WHERE name='starter'")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO tenants (slug, plan_id, status, timezone, erp_kind, erp_options, entities, "
                "credits_used, credits_reserved, created_at, updated_at) VALUES ('m', :p, 'active', 'UTC', "
                "'csv_files', '{}', '[]', 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"p": plan_id},
        )
    assert plans == 11  # six credit tiers and five order-volume tiers
    migrate.downgrade(url, "base")
    assert migrate.current_revision(url) is None
    migrate.upgrade(url)
    assert migrate.is_current(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM plans")).scalar_one() == 11
    engine.dispose()
