"""Meetings: attendance — the secretary's roster and marks, and members checking in with the meeting's code."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.meetings.access import MeetingUseCase
from bot.features.meetings.models import Attendance, Meeting, MeetingRsvp
from bot.features.meetings.rates import expected_members
from bot.i18n import _
from bot.services.actor import Actor
from bot.services.errors import InvalidInput, NotFound, PermissionDenied
from storage.models.people import Person

CHECKIN_BEFORE = timedelta(hours=1)  # members may check in from an hour before the start...


CHECKIN_AFTER = timedelta(hours=6)  # ...until six hours after it


class MeetingAttendance(MeetingUseCase):
    async def roster(
        self, actor: Actor, meeting_id: int
    ) -> tuple[Meeting, list[tuple[Person, bool | None, bool]]]:
        """(meeting, [(member, rsvp attending or None, present)]) for the attendance sheet."""
        async with self.deps.db.session() as s:
            m, _branch = await self._meeting(s, actor, meeting_id, "meeting.attendance")
            expected = await expected_members(s, m)
            people = await s.execute(
                select(Person).where(Person.id.in_(expected)).order_by(Person.display_name)
            )
            rsvps = {
                r.person_id: r.attending
                for r in (await s.execute(select(MeetingRsvp).where(MeetingRsvp.meeting_id == m.id)))
                .scalars()
                .all()
            }
            present = {
                a.person_id: a.present
                for a in (await s.execute(select(Attendance).where(Attendance.meeting_id == m.id)))
                .scalars()
                .all()
            }
            return m, [(p, rsvps.get(p.id), bool(present.get(p.id))) for p in people.scalars().all()]

    async def _mark(self, s: AsyncSession, m: Meeting, person_id: int, present: bool, source: str) -> None:
        row = (
            await s.execute(
                select(Attendance).where(Attendance.meeting_id == m.id, Attendance.person_id == person_id)
            )
        ).scalar_one_or_none()
        row = row or Attendance(meeting_id=m.id, person_id=person_id)
        row.present, row.source, row.at = present, source, self.deps.clock.now()
        s.add(row)

    async def toggle(self, actor: Actor, meeting_id: int, person_id: int) -> bool:
        async with self.deps.db.session() as s:
            m, _branch = await self._meeting(s, actor, meeting_id, "meeting.attendance")
            if person_id not in await expected_members(s, m):
                raise NotFound(_("That person is not a member of this branch."))
            row = (
                await s.execute(
                    select(Attendance).where(Attendance.meeting_id == m.id, Attendance.person_id == person_id)
                )
            ).scalar_one_or_none()
            present = not (row is not None and row.present)
            await self._mark(s, m, person_id, present, "secretary")
            return present

    async def mark_all_yes(self, actor: Actor, meeting_id: int) -> int:
        """Everyone who said they would come is marked present; corrections follow one tap each."""
        async with self.deps.db.session() as s:
            m, _branch = await self._meeting(s, actor, meeting_id, "meeting.attendance")
            yes = (
                (
                    await s.execute(
                        select(MeetingRsvp.person_id).where(
                            MeetingRsvp.meeting_id == m.id, MeetingRsvp.attending.is_(True)
                        )
                    )
                )
                .scalars()
                .all()
            )
            for pid in yes:
                await self._mark(s, m, pid, True, "secretary")
            return len(yes)

    async def check_in(self, actor: Actor, code: str) -> Meeting:
        """A member types the code the secretary reads out at the meeting."""
        now = self.deps.clock.now()
        code = "".join(ch for ch in code if ch.isdigit())
        branch_ids = [seat.branch_id for seat in actor.active_seats()]
        if not branch_ids:
            raise PermissionDenied(_("Sorry, you are not allowed to do that."))
        async with self.deps.db.session() as s:
            m = (
                (
                    await s.execute(
                        select(Meeting).where(
                            Meeting.branch_id.in_(branch_ids),
                            Meeting.checkin_code == code,
                            Meeting.cancelled_at.is_(None),
                            Meeting.starts_at <= now + CHECKIN_BEFORE,
                            Meeting.starts_at >= now - CHECKIN_AFTER,
                        )
                    )
                )
                .scalars()
                .first()
            )
            if m is None:
                raise InvalidInput(
                    _(
                        "That check-in code does not match a meeting happening now. "
                        "Please check the code with the secretary."
                    )
                )
            await self._mark(s, m, actor.person_id, True, "code")
            return m
