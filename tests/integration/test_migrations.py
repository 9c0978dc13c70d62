"""Migrations create exactly the tables the models declare, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

import bot.installed  # noqa: F401  (every feature's models join the metadata)
from storage.migrate import upgrade
from storage.models import metadata


async def _diff(url: str) -> list[object]:
    engine = create_async_engine(url)
    try:
        await upgrade(engine)
        await upgrade(engine)  # a second run is a no-op

        def compare(conn):  # type: ignore[no-untyped-def]
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(ctx, metadata)

        async with engine.connect() as conn:
            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


async def test_models_match_migrations_sqlite(db_url):
    assert await _diff(db_url) == []


@pytest.mark.postgres
async def test_models_match_migrations_postgres(pg_db_url):
    assert await _diff(pg_db_url) == []


def test_the_history_has_one_head():
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config

    assert ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads() == ["0027_dash_indexes"]
