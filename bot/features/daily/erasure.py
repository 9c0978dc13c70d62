""""Học Bác mỗi ngày": erasing a person's daily data (declared in feature.py)."""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.daily.models import BranchDaily, ContentItemRow, DailyPref, DailyRead, YearTheme
from bot.services.deps import Deps


async def _erase(session: AsyncSession, person_id: int, deps: Deps) -> None:
    await session.execute(delete(DailyPref).where(DailyPref.person_id == person_id))
    await session.execute(delete(DailyRead).where(DailyRead.person_id == person_id))
    await session.execute(update(BranchDaily).where(BranchDaily.linked_by == person_id)
                          .values(linked_by=None))
    await session.execute(update(YearTheme).where(YearTheme.set_by == person_id).values(set_by=None))
    await session.execute(update(ContentItemRow).where(ContentItemRow.created_by == person_id)
                          .values(created_by=None))
