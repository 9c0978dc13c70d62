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


def test_start_up_reads_the_same_heads_as_alembic():
    """``upgrade`` skips Alembic when the database is at the heads it reads from the scripts' text."""
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config, script_heads

    alembic_heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert script_heads() == frozenset(alembic_heads)


async def test_upgrade_at_heads_skips_alembic_and_a_behind_database_is_upgraded(db_url):
    from sqlalchemy import text

    from storage.migrate import alembic_config, at_heads

    engine = create_async_engine(db_url)
    try:
        assert not await at_heads(engine)  # a new database: no alembic_version table
        await upgrade(engine)
        assert await at_heads(engine)

        def one_back(connection) -> None:  # type: ignore[no-untyped-def]
            from alembic import command

            cfg = alembic_config(db_url)
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "-1")

        async with engine.begin() as conn:  # one migration behind: Alembic must run again
            await conn.run_sync(one_back)
            assert (await conn.execute(text("SELECT count(*) FROM alembic_version"))).scalar() == 1
        assert not await at_heads(engine)
        await upgrade(engine)
        assert await at_heads(engine)
    finally:
        await engine.dispose()


def test_a_start_at_heads_never_imports_alembic(db_url):
    import subprocess
    import sys

    from storage.migrate import upgrade_sync

    upgrade_sync(db_url)
    probe = ("import sys; from storage.migrate import upgrade_sync; upgrade_sync(sys.argv[1]); "
             "print('alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe, db_url], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr
