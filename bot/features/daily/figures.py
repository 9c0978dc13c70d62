""""Học Bác mỗi ngày": what feature.py declares — providers (delivery time, pause, year theme) and figures."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.daily.delivery import DAILY_KIND
from bot.features.daily.models import DEFAULT_MINUTE, DailyPref, DailyRead, YearTheme
from bot.services.deps import Deps
from bot.services.extensions import BranchScope
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


# Two providers, so a view that shows only the reading (the committee's) skips counting the daily items sent,
# the outbox's biggest share.
async def _sent_figures(session: AsyncSession, deps: Deps, branch_id: int, start: datetime, end: datetime
                        ) -> dict[str, float | int]:
    sent = (await session.execute(
        select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.branch_id == branch_id, OutboxMessage.kind == DAILY_KIND,
            OutboxMessage.status == OutboxStatus.SENT.value, OutboxMessage.sent_at >= start,
            OutboxMessage.sent_at < end))
    ).scalar_one()
    return {"daily_sent": int(sent)}


async def _sent_figures_bulk(session: AsyncSession, deps: Deps, branch_ids: BranchScope, start: datetime,
                             end: datetime) -> dict[int, dict[str, float | int]]:
    """``_sent_figures`` for many branches in one GROUP BY query."""
    out: dict[int, dict[str, float | int]] = {b: {"daily_sent": 0} for b in branch_ids}
    sent = await session.execute(
        select(OutboxMessage.branch_id, func.count()).where(
            branch_ids.where(OutboxMessage.branch_id), OutboxMessage.kind == DAILY_KIND,
            OutboxMessage.status == OutboxStatus.SENT.value, OutboxMessage.sent_at >= start,
            OutboxMessage.sent_at < end).group_by(OutboxMessage.branch_id))
    for branch_id, n in sent.all():
        out[branch_id]["daily_sent"] = int(n)
    return out


async def _read_figures(session: AsyncSession, deps: Deps, branch_id: int, start: datetime, end: datetime
                        ) -> dict[str, float | int]:
    # A receipt counts in the period in which the member pressed the button.
    # daily_read: reading days (one per member per day); daily_readers: members who read at least once.
    read, readers = (await session.execute(
        select(func.count(), func.count(func.distinct(DailyRead.person_id))).where(
            DailyRead.branch_id == branch_id, DailyRead.at >= start, DailyRead.at < end))
    ).one()
    return {"daily_read": int(read), "daily_readers": int(readers)}


async def _read_figures_bulk(session: AsyncSession, deps: Deps, branch_ids: BranchScope, start: datetime,
                             end: datetime) -> dict[int, dict[str, float | int]]:
    """``_read_figures`` for many branches in one GROUP BY query (on the index by branch and time)."""
    out: dict[int, dict[str, float | int]] = {b: {"daily_read": 0, "daily_readers": 0} for b in branch_ids}
    reads = await session.execute(
        select(DailyRead.branch_id, func.count(), func.count(func.distinct(DailyRead.person_id))).where(
            branch_ids.where(DailyRead.branch_id), DailyRead.at >= start, DailyRead.at < end)
        .group_by(DailyRead.branch_id))
    for branch_id, read, readers in reads.all():
        out[branch_id].update(daily_read=int(read), daily_readers=int(readers))
    return out
