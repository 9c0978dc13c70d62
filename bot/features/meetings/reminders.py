"""Scheduled reminders to the secretary: the monthly meeting (7 days and 1 day before), the quarter's
thematic meeting, the mid-year and year-end reviews; and RSVP reminders to members before a meeting.

Each reminder is one outbox row keyed (kind, branch, period, person), so a restart or a second tick never
repeats it. Nothing is sent in the branch's quiet hours; before the secretary's reminder time of day, the
tick waits for a later run.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import to_utc
from bot.features.meetings.callbacks import MeetingFromReminder, OneTapNotice
from bot.features.meetings.models import Meeting, MeetingKind
from bot.features.meetings.notices import MeetingNotices
from bot.features.reports.callbacks import ShowReport
from bot.i18n import _
from bot.messages import Button, Reply, esc
from bot.services.branch_report import BranchReport, report_text
from bot.services.calendar import CalendarSettings, load_settings, to_calendar
from bot.services.deps import Deps, Services
from bot.services.directory import manager_ids
from bot.services.extensions import in_quiet_hours
from bot.services.notify import notify
from storage.models.org import Branch

RSVP_REMINDER_BEFORE = timedelta(days=1)
RSVP_REMINDER_AFTER_NOTICE = timedelta(hours=3)


def meeting_date(cal: CalendarSettings, year: int, month: int) -> date:
    return date(year, month, cal.meeting_day)


def next_regular_meeting(cal: CalendarSettings, today: date) -> date:
    this = meeting_date(cal, today.year, today.month)
    if this >= today:
        return this
    y, m = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return meeting_date(cal, y, m)


async def _thematic_in_window(s: AsyncSession, branch_id: int, start: datetime, end: datetime) -> bool:
    row = (
        await s.execute(
            select(Meeting.id)
            .where(
                Meeting.branch_id == branch_id,
                Meeting.kind == MeetingKind.THEMATIC.value,
                Meeting.cancelled_at.is_(None),
                Meeting.starts_at >= start,
                Meeting.starts_at < end,
            )
            .limit(1)
        )
    ).scalar_one_or_none()
    return row is not None


def thematic_period(today: date) -> str:
    """The outbox period of the thematic reminder; "2026Q1" for a quarter's last month, as before the months
    were configurable, so a reminder already sent is not sent again."""
    return f"{today.year}Q{today.month // 3}" if today.month % 3 == 0 else f"{today.year}-{today.month:02d}"


def thematic_window(cal: CalendarSettings, today: date) -> tuple[date, date]:
    """[start, end) local dates a thematic meeting counts for the thematic month of ``today``: from the month
    after the previous thematic month to the end of this one (months 3, 6, 9, 12: the quarter)."""
    months = sorted(cal.thematic_months) or [today.month]
    earlier = [m for m in months if m < today.month]
    prev_year, prev = (today.year, earlier[-1]) if earlier else (today.year - 1, months[-1])
    start = date(prev_year + (prev == 12), prev % 12 + 1, 1)
    end = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    return start, end


async def _changed_away(s: AsyncSession, branch_id: int, day: date, tz: ZoneInfo) -> bool:
    """Whether a meeting of the branch was moved away from ``day`` or cancelled on it (changes.py)."""
    start = to_utc(datetime.combine(day, datetime.min.time()), tz)
    end = start + timedelta(days=1)
    row = (
        await s.execute(
            select(Meeting.id)
            .where(
                Meeting.branch_id == branch_id,
                ((Meeting.moved_from >= start) & (Meeting.moved_from < end))
                | (Meeting.cancelled_at.is_not(None) & (Meeting.starts_at >= start) & (Meeting.starts_at < end)),
            )
            .limit(1)
        )
    ).scalar_one_or_none()
    return row is not None


def due_reminders(cal: CalendarSettings, today: date) -> list[tuple[str, str, date]]:
    """(kind, period, subject date) due on ``today`` by the calendar alone."""
    out: list[tuple[str, str, date]] = []
    nxt = next_regular_meeting(cal, today)
    days = (nxt - today).days
    if days == 7:
        out.append(("meeting7", nxt.strftime("%Y-%m"), nxt))
    if days == 1:
        out.append(("meeting1", nxt.strftime("%Y-%m"), nxt))
    if today.month in cal.thematic_months:  # a thematic month of the branch (/caidat_chibo)
        out.append(("thematic", thematic_period(today), today))
    if today.month == 6 and today.day >= 25:
        out.append(("midyear", str(today.year), today))
    if today.month == 12 and today.day >= 15:
        out.append(("yearend", str(today.year), today))
    return out


async def secretary_reminders(services: Services, now: datetime, since: datetime | None) -> None:
    tz = services.deps.clock.tz
    local = now.astimezone(tz)
    meetings = services.get(MeetingNotices)
    async with services.deps.db.session() as s:
        branches = (await s.execute(select(Branch).order_by(Branch.id))).scalars().all()
        for branch in branches:
            cal = to_calendar(await load_settings(s, branch.id))
            if in_quiet_hours(local.time(), cal.quiet):
                continue
            await _member_rsvp_reminders(s, meetings, branch, now)
            if local.time() < cal.reminder_time:
                continue
            managers = await manager_ids(s, branch)
            for kind, period, subject in due_reminders(cal, local.date()):
                if kind in ("meeting7", "meeting1") and await _changed_away(s, branch.id, subject, tz):
                    continue  # the usual day's meeting was moved or cancelled: no reminder for the old time
                if kind == "thematic":
                    w_start, w_end = thematic_window(cal, local.date())
                    if await _thematic_in_window(s, branch.id, to_utc(datetime.combine(w_start, time()), tz),
                                                 to_utc(datetime.combine(w_end, time()), tz)):
                        continue
                for pid in managers:
                    await notify(
                        s,
                        services.deps,
                        pid,
                        key=f"remind:{kind}:{branch.id}:{period}:{pid}",
                        kind="reminder",
                        render=partial(_reminder, s, services.deps, kind, branch, cal, subject, tz),
                        priority=1,
                        branch_id=branch.id,
                        expires_at=now + timedelta(days=2),
                    )


async def _member_rsvp_reminders(
    s: AsyncSession, meetings: MeetingNotices, branch: Branch, now: datetime
) -> None:
    """A day before a meeting, members who have not answered its notice are reminded once."""
    rows = (
        (
            await s.execute(
                select(Meeting).where(
                    Meeting.branch_id == branch.id,
                    Meeting.cancelled_at.is_(None),
                    Meeting.notice_sent_at.is_not(None),
                    Meeting.starts_at > now,
                    Meeting.starts_at <= now + RSVP_REMINDER_BEFORE,
                    Meeting.notice_sent_at <= now - RSVP_REMINDER_AFTER_NOTICE,
                )
            )
        )
        .scalars()
        .all()
    )
    for m in rows:
        await meetings.remind_unanswered(s, m, branch, now)


async def _month_materials(s: AsyncSession, deps: Deps, branch_id: int, month: date) -> tuple[str, list[list[Button]]]:
    """The library's materials for the month, suggested under the thematic reminder (a line and open buttons;
    nothing without the library feature or without materials)."""
    providers = deps.ext.providers
    if providers.library_items_for is None or providers.library_buttons is None:
        return "", []
    items = await providers.library_items_for(s, branch_id, month)
    if not items:
        return "", []
    return "\n\n" + _("📎 Materials for month {month} from the library:").format(month=month.month), \
        providers.library_buttons(items)


async def _reminder(
    s: AsyncSession,
    deps: Deps, kind: str, branch: Branch, cal: CalendarSettings, subject: date, tz: ZoneInfo
) -> Reply:
    name = esc(branch.name)
    when = f"{cal.meeting_time.strftime('%H:%M')} {subject.strftime('%d/%m/%Y')}"
    if kind == "meeting7":
        return Reply(
            text=_(
                "📅 <b>{branch}: the monthly meeting is in 7 days</b> ({when}).\n"
                "Please prepare the agenda and documents, then post the date and topic to members."
            ).format(branch=name, when=when),
            buttons=[[Button(_("📅 Schedule the meeting"), MeetingFromReminder(branch.id, "regular", subject).pack())]],
        )
    if kind == "meeting1":
        return Reply(
            text=_(
                "⏰ <b>{branch}: the monthly meeting is tomorrow</b> ({when}).\n"
                "One tap sends members the meeting notice and asks who will attend."
            ).format(branch=name, when=when),
            buttons=[[Button(_("📨 Send members the notice"), OneTapNotice(branch.id, subject).pack())]],
        )
    if kind == "thematic":
        text, materials = await _month_materials(s, deps, branch.id, subject)
        return Reply(
            text=_(
                "📚 <b>{branch}: no thematic meeting is scheduled for month {month}.</b>\n"
                "The branch holds its thematic meetings in months {months} (changed with /caidat_chibo); "
                "please schedule it."
            ).format(branch=name, month=subject.month, months=", ".join(map(str, cal.thematic_months))) + text,
            buttons=[[Button(_("📅 Schedule a thematic meeting"),
                             MeetingFromReminder(branch.id, "thematic", None).pack())], *materials],
        )
    # Review reminders carry the branch's figures for the half-year or the year.
    year = subject.year
    start = to_utc(datetime(year, 1, 1), tz)
    end = to_utc(datetime(year, 7, 1) if kind == "midyear" else datetime(year + 1, 1, 1), tz)
    label = _("first half of {y}").format(y=year) if kind == "midyear" else _("year {y}").format(y=year)
    figures = await deps.ext.branch_figures(s, deps, branch.id, start, end)
    report = BranchReport(branch.id, branch.name, "y", label, figures)
    title = (
        _("📝 <b>Mid-year review</b>: time to review the first half of the year with the branch.")
        if kind == "midyear"
        else _("📝 <b>Year-end review</b>: time to review the year and assess members.")
    )
    return Reply(
        text=title + "\n\n" + report_text(report),
        buttons=[[Button(_("📊 Full report and Excel"), ShowReport("y", branch.id).pack())]],
    )
