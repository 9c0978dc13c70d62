"""Apply Alembic migrations programmatically (``hocbac migrate``; ``hocbac run`` calls it on start).

The history is one line after 0007_one_history (``python -m bot.devtools.new_migration``); ``heads`` is
still the target so an old database with the first release's branches upgrades the same way.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


async def upgrade(engine: AsyncEngine) -> None:
    """Upgrade the database behind ``engine`` to every head."""

    def _run(connection) -> None:  # type: ignore[no-untyped-def]
        cfg = alembic_config(str(engine.url))
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")

    async with engine.begin() as conn:
        await conn.run_sync(_run)


def upgrade_sync(url: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    async def _go() -> None:
        engine = create_async_engine(url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(_go())
