"""Counting SQL statements (tests that a bulk path does not grow with the number of branches) and seeding
many branches straight into the database (the chat flow would be far slower for 40 branches)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.devtools.harness import BotHarness
from bot.features.daily.models import DailyPref
from storage.models.org import Branch, Organization
from storage.models.people import Identity, Membership, Person

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@contextmanager
def count_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every statement the current task sends to the database inside the block (an executemany counts once).
    Only this task's: the harness's sender works on the outbox in the background meanwhile."""
    seen: list[str] = []
    me = asyncio.current_task()

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # SQLAlchemy's async layer runs the driver calls in a greenlet inside the awaiting task.
        if asyncio.current_task() is me:
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", on_execute)


async def seed_branches(bot: BotHarness, branches: int, *, first_id: int = 7000) -> list[int]:
    """One đảng bộ with ``branches`` chi bộ; returns their ids."""
    assert bot.app is not None
    ids = list(range(first_id, first_id + branches))
    async with bot.app.db.session() as s:
        conn = await s.connection()
        await conn.execute(insert(Organization), [{"id": first_id, "name": "Đảng bộ thử tải", "created_at": NOW}])
        await conn.execute(insert(Branch), [{"id": b, "org_id": first_id, "name": f"Chi bộ {b}",
                                             "created_at": NOW, "group_bot": ""} for b in ids])
    return ids


async def seed_members(bot: BotHarness, branch_ids: list[int], minute: int, *, first_id: int) -> list[int]:
    """One active member per branch, on Telegram, with the daily item at ``minute`` (local minute of the day);
    returns their person ids."""
    assert bot.app is not None
    people = list(range(first_id, first_id + len(branch_ids)))
    async with bot.app.db.session() as s:
        conn = await s.connection()
        await conn.execute(insert(Person), [{"id": p, "display_name": f"Đảng viên {p}", "locale": "vi",
                                             "created_at": NOW} for p in people])
        await conn.execute(insert(Identity), [{"id": p, "person_id": p, "channel": "telegram", "bot": "",
                                               "external_id": str(80_000_000 + p), "chat_id": str(80_000_000 + p),
                                               "display_name": "", "username": "", "reachable": True,
                                               "created_at": NOW} for p in people])
        await conn.execute(insert(Membership), [{"id": p, "person_id": p, "branch_id": b, "role": "member",
                                                 "status": "active", "requested_at": NOW}
                                                for p, b in zip(people, branch_ids, strict=True)])
        await conn.execute(insert(DailyPref), [{"person_id": p, "days": "all", "group_only": False,
                                                "minute": minute, "updated_at": NOW} for p in people])
    return people
