"""Meetings: scheduling a meeting (kind, default time, odd hours) and finding recent or same-day ones."""

from __future__ import annotations

import calendar
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from bot.clock import to_utc
from bot.features.meetings.access import MeetingUseCase
from bot.features.meetings.models import Meeting, MeetingKind
from bot.features.meetings.rates import _held
from bot.i18n import _
from bot.services import audit
from bot.services.actor import Actor
from bot.services.calendar import load_settings, to_calendar
from bot.services.directory import load_branch, managed_branch
from bot.services.errors import InvalidInput, PermissionDenied
from bot.services.permissions import can_schedule_meeting

ODD_HOURS = (0, 5)  # a start in [00:00, 05:00) asks "are you sure?"
CODE_DIGITS = 6  # check-in codes of new meetings; meetings scheduled earlier keep their 4 digits and they work


def new_checkin_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def kind_label(kind: str) -> str:
    return _("thematic meeting") if kind == MeetingKind.THEMATIC else _("regular meeting")


def is_odd_hour(t: time) -> bool:
    return ODD_HOURS[0] <= t.hour < ODD_HOURS[1]


@dataclass(frozen=True, slots=True)
class MeetingProposal:
    """What /hop proposes: the branch's next usual meeting day, and the time and place of its last meeting
    (the calendar's meeting time when there was none)."""

    day: date
    time: time
    place: str


def next_usual_day(meeting_day: int, time_of_day: time, now_local: datetime) -> date:
    """The next day-of-month ``meeting_day`` (the month's last day in shorter months) still ahead of now."""
    year, month = now_local.year, now_local.month
    for _step in range(3):
        last = calendar.monthrange(year, month)[1]
        day = date(year, month, min(max(meeting_day, 1), last))
        if datetime.combine(day, time_of_day) > now_local.replace(tzinfo=None):
            return day
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return now_local.date() + timedelta(days=1)


class MeetingScheduling(MeetingUseCase):
    async def default_time(self, branch_id: int) -> time:
        async with self.deps.db.session() as s:
            return to_calendar(await load_settings(s, branch_id)).meeting_time

    async def form_defaults(self, actor: Actor, branch_id: int) -> time:
        """Before the meeting form opens: may the actor schedule here (``PermissionDenied`` otherwise, so no
        form state and no upload ever exist for them)? Returns the branch's usual meeting time."""
        async with self.deps.db.session() as s:
            branch = await load_branch(s, branch_id)
            if not can_schedule_meeting(actor, branch.id, branch.org_id):
                raise PermissionDenied(_("Sorry, only the branch's secretary can schedule its meetings."))
            return to_calendar(await load_settings(s, branch.id)).meeting_time

    async def proposal(self, actor: Actor, branch_id: int) -> MeetingProposal:
        """Before the meeting form opens (the same check as ``form_defaults``): the usual day, time and place."""
        time_of_day = await self.form_defaults(actor, branch_id)
        async with self.deps.db.session() as s:
            settings = to_calendar(await load_settings(s, branch_id))
            last = (await s.execute(
                select(Meeting).where(Meeting.branch_id == branch_id, Meeting.cancelled_at.is_(None))  # type: ignore[union-attr]
                .order_by(Meeting.starts_at.desc()).limit(1))).scalars().first()  # type: ignore[attr-defined]
        place = ""
        if last is not None:
            starts = last.starts_at if last.starts_at.tzinfo else last.starts_at.replace(tzinfo=UTC)
            time_of_day = starts.astimezone(self.deps.clock.tz).time().replace(second=0, microsecond=0)
            place = last.place or ""
        now_local = self.deps.clock.now().astimezone(self.deps.clock.tz)
        return MeetingProposal(next_usual_day(settings.meeting_day, time_of_day, now_local), time_of_day, place)

    async def schedule(
        self,
        actor: Actor,
        branch_id: int,
        *,
        kind: str,
        starts_local: datetime,
        place: str = "",
        topic: str = "",
        documents: list[dict[str, Any]] | None = None,
        confirmed_odd_hour: bool = False,
    ) -> Meeting:
        now = self.deps.clock.now()
        if kind not in (MeetingKind.REGULAR, MeetingKind.THEMATIC):
            raise InvalidInput(_("Unknown meeting type."))
        starts_at = to_utc(starts_local, self.deps.clock.tz)
        if starts_at <= now:
            raise InvalidInput(_("That date and time are in the past. Please choose a later one."))
        if is_odd_hour(starts_local.time()) and not confirmed_odd_hour:
            raise InvalidInput(
                _("A meeting at {time} is unusual; please confirm the time.").format(
                    time=starts_local.strftime("%H:%M")
                )
            )
        async with self.deps.db.session() as s:
            branch = await managed_branch(s, actor, branch_id, "meeting.schedule")
            m = Meeting(
                branch_id=branch.id,
                kind=kind,
                starts_at=starts_at,
                place=place.strip()[:300],
                topic=topic.strip()[:500],
                documents=documents or None,
                checkin_code=new_checkin_code(),
                created_by=actor.person_id,
                created_at=now,
            )
            s.add(m)
            await s.flush()
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="meeting.schedule",
                org_id=branch.org_id,
                branch_id=branch.id,
                target=f"meeting:{m.id}",
            )
            return m

    async def for_date(self, actor: Actor, branch_id: int, day_local: datetime) -> Meeting | None:
        """A scheduled meeting of the branch on that local day, if any."""
        start = to_utc(datetime.combine(day_local.date(), time(0)), self.deps.clock.tz)
        async with self.deps.db.session() as s:
            await managed_branch(s, actor, branch_id, "meeting.read")
            meetings = await _held(s, branch_id, start, start + timedelta(days=1))
            return meetings[0] if meetings else None

    async def recent(self, actor: Actor, branch_id: int, limit: int = 5) -> list[Meeting]:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            await managed_branch(s, actor, branch_id, "meeting.read")
            return list(
                (
                    await s.execute(
                        select(Meeting)
                        .where(
                            Meeting.branch_id == branch_id,
                            Meeting.cancelled_at.is_(None),
                            Meeting.starts_at <= now + timedelta(days=60),
                        )
                        .order_by(Meeting.starts_at.desc())
                        .limit(limit)
                    )
                )
                .scalars()
                .all()
            )
