"""Meetings on the dashboard's branch page: the attendance of each meeting held in the period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import as_utc
from bot.features.meetings.models import Attendance
from bot.features.meetings.rates import _held, meeting_rate
from bot.i18n import _
from bot.services.deps import Deps


async def _attendance_series(s: AsyncSession, deps: Deps, branch_id: int, start: datetime,
                             end: datetime) -> list[tuple[str, float | int]]:
    """(meeting day, % present) of each meeting whose attendance was taken, as the report's rate counts it."""
    out: list[tuple[str, float | int]] = []
    tz = deps.settings.tz
    for m in await _held(s, branch_id, start, min(end, deps.clock.now())):
        marked = (
            await s.execute(select(func.count()).select_from(Attendance).where(Attendance.meeting_id == m.id))
        ).scalar_one()
        if not marked:
            continue
        pct = (await meeting_rate(s, m)).pct
        if pct is not None:
            day = as_utc(m.starts_at).astimezone(tz).strftime("%d/%m")
            out.append((_("Meeting {day}").format(day=day), pct))
    return out
