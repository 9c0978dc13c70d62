"""Meetings: repeated absences without a reason, flagged to the branch's secretary (docs/year-end.md §4).

The count is the number of months of the calendar year in which the member missed the monthly (regular)
meeting without a reason ("vắng không lý do"); an excused absence ("có lý do") never counts. The secretary
is warned at ``absence_warn_at`` (2) and the member flagged at ``absence_flag_at`` (3), once per threshold,
member and year: the outbox key says so, so marking the sheet again never repeats a message. The bot only
flags: the chi bộ considers and proposes, the competent cấp uỷ decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import as_utc, to_utc
from bot.features.meetings.models import Attendance, AttendanceStatus, Meeting, MeetingKind
from bot.i18n import _
from bot.messages import Reply, esc
from bot.services.calendar import load_settings
from bot.services.deps import Deps
from bot.services.directory import manager_ids
from bot.services.notify import notify
from bot.text import branch_title
from storage.models.org import Branch
from storage.models.people import Person


async def unexcused_months(s: AsyncSession, deps: Deps, branch_id: int, person_id: int, year: int) -> list[int]:
    """The months (1–12, local) of ``year`` whose monthly meeting the member missed without a reason."""
    tz = deps.clock.tz
    start, end = to_utc(datetime(year, 1, 1), tz), to_utc(datetime(year + 1, 1, 1), tz)
    rows = await s.execute(
        select(Meeting.starts_at)
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .where(
            Meeting.branch_id == branch_id,
            Meeting.kind == MeetingKind.REGULAR.value,
            Meeting.cancelled_at.is_(None),
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
            Attendance.person_id == person_id,
            Attendance.status == AttendanceStatus.ABSENT.value,
        )
    )
    return sorted({as_utc(t).astimezone(tz).month for t in rows.scalars().all()})


def _source_note() -> str:
    return _(
        "The bot only flags this: the chi bộ considers and proposes, the competent cấp uỷ decides. Absences "
        "with a reason never count. Source: Quy định 24-QĐ/TW (2021), Điều 8, 8.1 (absent from Party meetings "
        "three months in a year without a valid reason); it has been superseded by Quy định 294-QĐ/TW (2025), "
        "whose wording is still to be verified."
    )


async def flag_absences(s: AsyncSession, deps: Deps, branch: Branch, m: Meeting, person_ids: Iterable[int]) -> int:
    """After marks of a monthly meeting: warn or flag the members who reached a threshold. Returns the number
    of messages queued (0 when each was already sent)."""
    if m.kind != MeetingKind.REGULAR.value or m.cancelled_at is not None:
        return 0
    settings = await load_settings(s, branch.id)
    warn_at, flag_at = max(1, settings.absence_warn_at), max(1, settings.absence_flag_at)
    year = as_utc(m.starts_at).astimezone(deps.clock.tz).year
    managers = await manager_ids(s, branch)
    queued = 0
    for pid in sorted(set(person_ids)):
        months = await unexcused_months(s, deps, branch.id, pid, year)
        n = len(months)
        if n >= flag_at:
            level = "flag"
        elif n >= warn_at:
            level = "warn"
        else:
            continue
        person = await s.get(Person, pid)
        if person is None:
            continue
        name, listed = person.display_name, ", ".join(f"{mo:02d}/{year}" for mo in months)

        def render(level: str = level, n: int = n, name: str = name, listed: str = listed) -> Reply:
            if level == "flag":
                head = _(
                    "🚩 <b>{branch}</b>: comrade {name} has missed {n} monthly meetings in {year} without a "
                    "reason ({months}). This reaches the threshold at which the chi bộ may consider proposing "
                    "to remove the name from the Party roll."
                )
            else:
                head = _(
                    "⚠️ <b>{branch}</b>: comrade {name} has missed {n} monthly meetings in {year} without a "
                    "reason ({months}). Please talk with the comrade before the next meeting."
                )
            text = head.format(branch=esc(branch_title(branch.name)), name=esc(name), n=n, year=year,
                               months=listed)
            return Reply(text=text + "\n\n<i>" + _source_note() + "</i>")

        for mgr in managers:
            if mgr == pid:
                continue  # a secretary is not told about themselves; the committee sees it in the records
            queued += await notify(s, deps, mgr, key=f"absence_{level}:{branch.id}:{pid}:{year}:{mgr}",
                                   kind="branch_news", render=render, priority=1, branch_id=branch.id,
                                   ref=f"absence:{branch.id}:{year}")
    return queued
