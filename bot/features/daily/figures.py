""""Học Bác mỗi ngày": what feature.py declares — providers (delivery time, pause, year theme) and figures."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.daily.delivery import DAILY_KIND
from bot.features.daily.models import DEFAULT_MINUTE, DailyPref, DailyRead, YearTheme
from bot.services.deps import Deps
from storage.models.outbox import OutboxMessage, OutboxStatus


async def _delivery_time(session: AsyncSession, person_id: int) -> time:
    row = await session.get(DailyPref, person_id)
    minute = row.minute if row else DEFAULT_MINUTE
    return time(minute // 60, minute % 60)


async def _delivery_time_many(session: AsyncSession, person_ids: list[int]) -> dict[int, time]:
    """Those of ``person_ids`` who chose a time, in one query (notify_many fills in the default)."""
    rows = await session.execute(select(DailyPref.person_id, DailyPref.minute).where(
        DailyPref.person_id.in_(person_ids)))  # type: ignore[attr-defined]
    return {pid: time(minute // 60, minute % 60) for pid, minute in rows.all()}


async def _paused_until(session: AsyncSession, person_ids: list[int]) -> dict[int, date]:
    rows = await session.execute(select(DailyPref.person_id, DailyPref.paused_until).where(
        DailyPref.person_id.in_(person_ids), DailyPref.paused_until.is_not(None)))
    return {pid: until for pid, until in rows.all()}


async def _year_theme(session: AsyncSession, org_id: int, year: int) -> tuple[str, list[str]] | None:
    row = await session.get(YearTheme, (org_id, year))
    return (row.title, list(row.themes or ())) if row else None


async def _figures(session: AsyncSession, deps: Deps, branch_id: int, start: datetime, end: datetime
                   ) -> dict[str, float | int]:
    sent = (await session.execute(
        select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.branch_id == branch_id, OutboxMessage.kind == DAILY_KIND,
            OutboxMessage.status == OutboxStatus.SENT.value, OutboxMessage.sent_at >= start,
            OutboxMessage.sent_at < end))
    ).scalar_one()
    # A receipt counts in the period in which the member pressed the button.
    # daily_read: reading days (one per member per day); daily_readers: members who read at least once.
    read, readers = (await session.execute(
        select(func.count(), func.count(func.distinct(DailyRead.person_id))).where(
            DailyRead.branch_id == branch_id, DailyRead.at >= start, DailyRead.at < end))
    ).one()
    return {"daily_sent": int(sent), "daily_read": int(read), "daily_readers": int(readers)}
