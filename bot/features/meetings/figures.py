"""Meetings: what feature.py declares for reports — the next-meeting provider and the export sheet (the
figures are counted in rates.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import as_utc
from bot.features.meetings.models import Attendance, AttendanceStatus, Meeting, MeetingKind, MeetingRsvp
from bot.features.meetings.rates import _held, expected_members
from bot.features.meetings.scheduling import kind_label
from bot.i18n import _
from bot.services.calendar import load_settings, to_calendar
from bot.services.deps import Deps
from storage.models.people import Person


async def _present_at_meeting(s: AsyncSession, meeting_id: int) -> set[int]:
    """The people counted present at a meeting: checked in by code or marked present by the secretary."""
    rows = await s.execute(
        select(Attendance.person_id).where(
            Attendance.meeting_id == meeting_id, Attendance.status == AttendanceStatus.PRESENT.value
        )
    )
    return set(rows.scalars().all())


async def _next_meeting(s: AsyncSession, branch_id: int, after: datetime) -> datetime | None:
    """The next scheduled regular meeting, or the next one the branch's calendar setting implies.

    Always aware. The calendar's day and time are local: pass ``after`` in local time (as the hook says)
    to get them right; a UTC ``after`` would read "19:30" as 19:30 UTC."""
    tz = after.tzinfo
    local = after
    after = as_utc(after)  # SQLite compares stored naive UTC as text: query in UTC
    row = (
        await s.execute(
            select(Meeting.starts_at)
            .where(
                Meeting.branch_id == branch_id,
                Meeting.kind == MeetingKind.REGULAR.value,
                Meeting.cancelled_at.is_(None),
                Meeting.starts_at > after,
            )
            .order_by(Meeting.starts_at)
            .limit(1)
        )
    ).scalar_one_or_none()
    if row is not None:
        return as_utc(row)  # aware UTC, whatever the driver hands back
    cal = to_calendar(await load_settings(s, branch_id))
    for months_ahead in range(2):
        y, mo = local.year + (local.month - 1 + months_ahead) // 12, (local.month - 1 + months_ahead) % 12 + 1
        candidate = datetime(
            y, mo, cal.meeting_day, cal.meeting_time.hour, cal.meeting_time.minute, tzinfo=tz
        )
        if candidate > after:
            return candidate
    return None


async def _meeting_sheet(
    s: AsyncSession, deps: Deps, branch_id: int, start: datetime, end: datetime
) -> tuple[list[str], list[list[Any]]]:
    header = [
        _("Date"),
        _("Type"),
        _("Topic"),
        _("Place"),
        _("Member"),
        _("Answer"),
        _("Reason"),
        _("Present"),
    ]
    out: list[list[Any]] = []
    for m in await _held(s, branch_id, start, end):
        expected = await expected_members(s, m)
        rsvps = {
            r.person_id: r
            for r in (await s.execute(select(MeetingRsvp).where(MeetingRsvp.meeting_id == m.id)))
            .scalars()
            .all()
        }
        present = {
            a.person_id
            for a in (
                await s.execute(
                    select(Attendance).where(Attendance.meeting_id == m.id, Attendance.present.is_(True))
                )
            )
            .scalars()
            .all()
        }
        people = (
            (
                await s.execute(
                    select(Person).where(Person.id.in_(expected | present)).order_by(Person.display_name)
                )
            )
            .scalars()
            .all()
        )
        when = m.starts_at.replace(tzinfo=None)
        for p in people:
            r = rsvps.get(p.id)
            answer = "" if r is None else (_("will attend") if r.attending else _("apologised"))
            out.append(
                [
                    when,
                    kind_label(m.kind),
                    m.topic,
                    m.place,
                    p.display_name,
                    answer,
                    (r.reason or "") if r else "",
                    _("yes") if p.id in present else _("no"),
                ]
            )
    return header, out
