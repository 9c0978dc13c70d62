"""Meetings: schedule, RSVP, attendance and check-in, and the secretary's calendar reminders."""

from datetime import datetime

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import as_utc
from bot.features.meetings import (
    handlers_attendance,
    handlers_changes,
    handlers_minutes,
    handlers_rsvp,
    handlers_schedule,
    models,
)
from bot.features.meetings.dashboard import _attendance_series
from bot.features.meetings.erasure import _erase_meetings
from bot.features.meetings.figures import _meeting_sheet, _next_meeting, _present_at_meeting
from bot.features.meetings.minutes_tasks import minutes_tick
from bot.features.meetings.rates import (
    _meeting_counts,
    _meeting_counts_bulk,
    _meeting_figures,
    _meeting_figures_bulk,
)
from bot.features.meetings.reminders import secretary_reminders
from bot.features.meetings.yearfile import _year_file_section
from bot.i18n import _
from bot.kernel.feature import Feature
from bot.kernel.help import HelpLine
from bot.services.extensions import ExportSheet, Figures, PersonalData, Series, Tick


# Read by the votes feature (which reads meetings only through providers).
async def _meeting_brief(s: AsyncSession, meeting_id: int) -> tuple[int, datetime] | None:
    m = await s.get(models.Meeting, meeting_id)
    if m is None or m.cancelled_at is not None:
        return None
    return m.branch_id, as_utc(m.starts_at)


async def _recent_meetings(s: AsyncSession, branch_id: int, until: datetime) -> list[tuple[int, datetime]]:
    rows = await s.execute(
        select(models.Meeting.id, models.Meeting.starts_at)
        .where(
            models.Meeting.branch_id == branch_id,
            models.Meeting.cancelled_at.is_(None),
            models.Meeting.starts_at <= until,
        )
        .order_by(models.Meeting.starts_at.desc(), models.Meeting.id.desc())
        .limit(5)
    )
    return [(int(mid), as_utc(at)) for mid, at in rows.all()]


FEATURE = Feature(
    name="meetings",
    routers=(handlers_schedule.router, handlers_changes.router, handlers_rsvp.router, handlers_attendance.router,
             handlers_minutes.router),
    ticks=(Tick("secretary_reminders", secretary_reminders), Tick("minutes_tasks", minutes_tick)),
    models=(models.Meeting, models.MeetingRsvp, models.Attendance, models.CheckinAttempt, models.MeetingMinutes,
            models.MinutesTask),
    figures=(Figures("meetings", ("meetings_regular", "meetings_thematic"), _meeting_counts,
                     bulk=_meeting_counts_bulk),
             Figures("attendance", ("attendance_expected", "attendance_present"), _meeting_figures,
                     bulk=_meeting_figures_bulk)),
    export_sheets=(ExportSheet("meetings", lambda: _("Meetings and attendance"), _meeting_sheet),),
    erasers=(_erase_meetings,),
    personal_data=PersonalData(erased=(models.Meeting, models.MeetingRsvp),
                               by_reference=(models.Attendance, models.CheckinAttempt, models.MeetingMinutes,
                                             models.MinutesTask)),
    year_file_sections=(_year_file_section,),
    providers={"next_meeting": _next_meeting, "present_at_meeting": _present_at_meeting,
               "meeting_brief": _meeting_brief, "recent_meetings": _recent_meetings},
    help=(
        HelpLine("hop", "meetings", main=("secretary",)),
        HelpLine("doihop", "meetings"),
        HelpLine("comat", "meetings", main=("member",)),
        HelpLine("diemdanh", "meetings"),
        HelpLine("bienban", "meetings"),
        HelpLine("viec", "meetings"),
        HelpLine("chuyencan", "reports"),
    ),
    catalog="secretary",
    # dash-branch: the dashboard's branch page
    series=(Series("attendance_per_meeting", lambda: _("Attendance at each meeting (%)"), _attendance_series),),
)
