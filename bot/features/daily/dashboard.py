"""The daily study on the dashboard's branch page: reading days ("Đã đọc ✓") per week."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.daily.models import DailyRead
from bot.services.deps import Deps
from bot.services.timeline import buckets, count_days


async def _reading_series(s: AsyncSession, deps: Deps, branch_id: int, start: datetime,
                          end: datetime) -> list[tuple[str, float | int]]:
    # Selected as the report's figure selects them (by when the button was pressed), placed by the day read.
    days = (
        await s.execute(
            select(DailyRead.day).where(DailyRead.branch_id == branch_id, DailyRead.at >= start, DailyRead.at < end)
        )
    ).scalars().all()
    return list(count_days(buckets(start, end, deps.settings.tz, deps.clock.now()), days))
