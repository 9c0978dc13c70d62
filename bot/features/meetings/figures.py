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


def status_label(status: str) -> str:
    """The attendance mark in words, for the export sheet."""
    return {
        AttendanceStatus.PRESENT.value: _("present"),
        AttendanceStatus.EXCUSED.value: _("absent with a reason"),
        AttendanceStatus.ABSENT.value: _("absent without a reason"),
    }.get(status, "")


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
        _("Attendance mark"),
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
        marks = {a.person_id: a for a in (
            await s.execute(select(Attendance).where(Attendance.meeting_id == m.id))).scalars().all()}
        present = {pid for pid, a in marks.items() if a.status == AttendanceStatus.PRESENT.value}
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
            r, a = rsvps.get(p.id), marks.get(p.id)
            answer = "" if r is None else (_("will attend") if r.attending else _("apologised"))
            # An excused absence's reason as the secretary recorded it, else the one given with the answer.
            reason = (a.reason if a is not None and a.reason else None) or ((r.reason or "") if r else "")
            out.append(
                [
                    when,
                    kind_label(m.kind),
                    m.topic,
                    m.place,
                    p.display_name,
                    answer,
                    reason,
                    status_label(a.status) if a is not None else "",
                    _("yes") if p.id in present else _("no"),
                ]
            )
    return header, out
