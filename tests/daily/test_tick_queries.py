"""Issue #18 (province scale): one minute of the daily tick sends a bounded number of statements to the
database, whatever the number of branches with members due in it. It once read each branch's quiet hours
with its own query (~80% of the tick at 50,000 members on PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from storage.models.outbox import OutboxMessage
from tests.daily.conftest import tick_at
from tests.querycount import count_statements, seed_branches, seed_members


async def _queued(bot) -> int:  # type: ignore[no-untyped-def]
    async with bot.app.db.session() as s:
        q = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "daily")
        return (await s.execute(q)).scalar_one()


async def test_one_tick_minute_does_not_grow_with_branches(bot, clock):
    branches = await seed_branches(bot, 40)
    await seed_members(bot, branches, 5 * 60 + 30, first_id=10_000)  # every branch's item is chosen at 05:30
    await seed_members(bot, branches[:10], 6 * 60, first_id=20_000)  # 10 branches due at 06:00
    await seed_members(bot, branches, 6 * 60 + 10, first_id=30_000)  # 40 branches due at 06:10
    await tick_at(bot, clock, datetime(2026, 3, 3, 5, 30))
    assert await _queued(bot) == 40
    await tick_at(bot, clock, datetime(2026, 3, 3, 5, 59))
    with count_statements(bot.app.db.engine) as ten:
        await tick_at(bot, clock, datetime(2026, 3, 3, 6, 0))
    assert await _queued(bot) == 50
    await tick_at(bot, clock, datetime(2026, 3, 3, 6, 9))
    with count_statements(bot.app.db.engine) as forty:
        await tick_at(bot, clock, datetime(2026, 3, 3, 6, 10))
    assert await _queued(bot) == 90
    assert any(q.startswith("INSERT INTO outbox") for q in ten)  # the counter sees the tick's statements
    assert len(forty) == len(ten), (len(ten), len(forty), forty)
    assert len(ten) <= 15, ten
