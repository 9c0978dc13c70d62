"""Reading a branch's calendar (meeting day and time, thematic months, quiet hours, reminder time) and the
committee's lagging thresholds.

In the engine because meetings, reports, broadcasts and the notify path all read the calendar; changing
it is the ``branch_settings`` feature's (/caidat_chibo, /nguong)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.when import parse_time
from storage.models.calendar import BranchSettings, OrgThresholds


def hhmm(value: str) -> time:
    parsed = parse_time(value)
    return parsed if parsed is not None else time(0, 0)


@dataclass(frozen=True, slots=True)
class CalendarSettings:
    meeting_day: int
    meeting_time: time
    thematic_months: tuple[int, ...]
    quiet: tuple[time, time]
    reminder_time: time


def to_calendar(row: BranchSettings) -> CalendarSettings:
    return CalendarSettings(
        row.meeting_day,
        hhmm(row.meeting_time),
        tuple(sorted(row.thematic_months or [])),
        (hhmm(row.quiet_start), hhmm(row.quiet_end)),
        hhmm(row.reminder_time),
    )


async def load_settings(s: AsyncSession, branch_id: int) -> BranchSettings:
    row = await s.get(BranchSettings, branch_id)
    return row if row is not None else BranchSettings(branch_id=branch_id)


async def load_thresholds(s: AsyncSession, org_id: int) -> OrgThresholds:
    row = await s.get(OrgThresholds, org_id)
    return row if row is not None else OrgThresholds(org_id=org_id)


async def quiet_hours(s: AsyncSession, branch_id: int) -> tuple[time, time]:
    return to_calendar(await load_settings(s, branch_id)).quiet


async def quiet_hours_many(s: AsyncSession, branch_ids: list[int]) -> dict[int, tuple[time, time]]:
    """The quiet hours of those of ``branch_ids`` that have settings, in one query (the others use the
    defaults): notify_many reads all its addressees' branches at once."""
    if not branch_ids:
        return {}
    rows = await s.execute(select(BranchSettings.branch_id, BranchSettings.quiet_start, BranchSettings.quiet_end)
                           .where(BranchSettings.branch_id.in_(branch_ids)))  # type: ignore[attr-defined]
    return {b: (hhmm(start), hhmm(end)) for b, start, end in rows.all()}
