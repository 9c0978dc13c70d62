"""The meetings section of a member's year file (/namcuatoi): meetings held while they were a member,
attended, excused absences (with the reason) and absences without a reason.

Attendance in three states (present / excused / absent, with a reason) is read from ``Attendance.status`` and
``Attendance.reason`` where the model has them; before that, "excused" is an RSVP "not attending" that gave a
reason and the member was not marked present.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import as_utc, to_utc
from bot.features.meetings.models import Attendance, Meeting, MeetingRsvp
from bot.features.meetings.scheduling import kind_label
from bot.i18n import _
from bot.services.deps import Deps
from bot.services.extensions import YearFigure, YearRow, YearSection
from storage.models.people import Membership


def _status(att: Attendance | None, rsvp: MeetingRsvp | None) -> tuple[str, str | None]:
    """(present | excused | absent, reason) of one member at one held meeting."""
    rsvp_reason = (rsvp.reason or "").strip() if rsvp is not None and not rsvp.attending else ""
    if att is not None:  # the secretary's mark (or a check-in) wins; an excused mark keeps the RSVP's reason
        return att.status, att.reason or (rsvp_reason if att.status == "excused" else None) or None
    # Not marked: an RSVP "not attending" that gave a reason counts as excused.
    return ("excused", rsvp_reason) if rsvp_reason else ("absent", None)


async def _year_file_section(
    s: AsyncSession, deps: Deps, person_id: int, branch_id: int, year: int, tz: ZoneInfo
) -> YearSection:
    start = to_utc(datetime(year, 1, 1), tz)
    end = min(to_utc(datetime(year + 1, 1, 1), tz), deps.clock.now())  # held: started before now
    seat = (
        await s.execute(
            select(Membership).where(Membership.person_id == person_id, Membership.branch_id == branch_id)
        )
    ).scalar_one_or_none()
    if seat is not None:  # only meetings while a member count (joined mid-year, or left)
        joined = as_utc(seat.decided_at or seat.requested_at)
        start = max(start, joined.replace(hour=0, minute=0, second=0, microsecond=0))
        if seat.left_at is not None:
            end = min(end, as_utc(seat.left_at))
    meetings = list(
        (
            await s.execute(
                select(Meeting)
                .where(Meeting.branch_id == branch_id, Meeting.cancelled_at.is_(None),
                       Meeting.starts_at >= start, Meeting.starts_at < end)
                .order_by(Meeting.starts_at)
            )
        ).scalars()
    ) if start < end else []
    ids = [m.id for m in meetings]
    atts = {a.meeting_id: a for a in (await s.execute(
        select(Attendance).where(Attendance.person_id == person_id, Attendance.meeting_id.in_(ids)))).scalars()}
    rsvps = {r.meeting_id: r for r in (await s.execute(
        select(MeetingRsvp).where(MeetingRsvp.person_id == person_id, MeetingRsvp.meeting_id.in_(ids)))).scalars()}
    held: list[YearRow] = []
    present: list[YearRow] = []
    excused: list[YearRow] = []
    absent: list[YearRow] = []
    for m in meetings:
        day = as_utc(m.starts_at).astimezone(tz).date()
        what = kind_label(m.kind).capitalize() + (f": {m.topic}" if m.topic else "")
        held.append(YearRow(day, what + (f" — {m.place}" if m.place else "")))
        status, reason = _status(atts.get(m.id), rsvps.get(m.id))  # type: ignore[arg-type]
        if status == "present":
            present.append(YearRow(day, what + " " + _("(present)")))
        elif status == "excused":
            excused.append(YearRow(day, what + " " + _("(excused: {reason})").format(
                reason=reason or _("reason not given"))))
        else:
            absent.append(YearRow(day, what + " " + _("(absent without a reason)")))
    return YearSection(
        key="meetings",
        title=_("Branch meetings"),
        order=30,
        figures=(
            YearFigure("held", _("Meetings held"), len(held), held),
            YearFigure("present", _("Attended"), len(present), present),
            YearFigure("excused", _("Excused absences"), len(excused), excused),
            YearFigure("absent", _("Absences without a reason"), len(absent), absent),
        ),
    )
