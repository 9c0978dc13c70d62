"""Apply Alembic migrations programmatically (``hocbac migrate``; ``hocbac run`` calls it on start).

The history is one line after 0007_one_history (``python -m bot.devtools.new_migration``); ``heads`` is
still the target so an old database with the first release's branches upgrades the same way.

Start-up cost: importing Alembic and loading every migration script takes about a second on a busy
machine, for nothing when the database is already at the heads (every start but the first after an
upgrade). ``upgrade`` therefore first compares the database's ``alembic_version`` rows with the heads read
from the scripts' ``revision``/``down_revision`` lines, and imports Alembic only when they differ.
"""

from __future__ import annotations

import ast
import asyncio
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

_ASSIGN = re.compile(r"^(revision|down_revision)\s*(?::[^=]+)?=\s*(.+?)\s*(?:#.*)?$", re.M)


@cache
def script_heads() -> frozenset[str] | None:
    """The heads of the migration scripts, from their ``revision``/``down_revision`` lines (no import).

    None when a script cannot be read that way: then ``upgrade`` leaves the decision to Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        found = dict(_ASSIGN.findall(script.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found["down_revision"])
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        parents.update([down] if isinstance(down, str) else (down or ()))
    heads = frozenset(revisions - parents)
    return heads or None


async def at_heads(engine: AsyncEngine) -> bool:
    """True when the database's ``alembic_version`` names exactly the scripts' heads (one cheap query)."""
    heads = script_heads()
    if heads is None:
        return False
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    except DBAPIError:  # no table yet: a new database
        return False
    return frozenset(rows) == heads


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


async def upgrade(engine: AsyncEngine) -> None:
    """Upgrade the database behind ``engine`` to every head (nothing to import when it is there already)."""
    if await at_heads(engine):
        return

    def _run(connection) -> None:  # type: ignore[no-untyped-def]
        from alembic import command

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
