"""Meetings: scheduling a meeting (kind, default time, odd hours) and finding recent or same-day ones."""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta
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
