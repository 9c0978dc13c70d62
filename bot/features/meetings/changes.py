"""Meetings: cancelling or moving a scheduled meeting, and telling everyone invited once.

Invited means: the notice went out (``notice_sent_at``); then every active member of the branch is told once
through the one notify path. The outbox keys carry the meeting and, for a move, its move count, so a retry
(a double tap, a restart) never sends twice, and the new time gets its own notice and reminder. Notices and
RSVP reminders still waiting for the old time (ref ``meeting:<id>``) are withdrawn first. RSVPs stay: a
member who answered keeps the answer and is asked to confirm again with the notice's buttons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import as_utc, to_utc
from bot.features.meetings.access import MeetingUseCase
from bot.features.meetings.callbacks import Rsvp
from bot.features.meetings.models import Meeting
from bot.features.meetings.notices import notice_version
from bot.features.meetings.scheduling import is_odd_hour, kind_label
from bot.i18n import _
from bot.messages import Button, Reply, esc
from bot.services import audit, outbox
from bot.services.actor import Actor
from bot.services.errors import Conflict, InvalidInput
from bot.services.notify import Render, notify
from bot.services.when import show_time, show_with_weekday
from bot.text import branch_title
from storage.models.org import Branch
from storage.models.people import Membership, MembershipStatus


def notice_ref(m: Meeting) -> str:
    """The outbox group of a meeting's notice and RSVP reminders (withdrawn when it is cancelled or moved)."""
    return f"meeting:{m.id}"


@dataclass(frozen=True, slots=True)
class Change:
    meeting: Meeting
    told: int  # members queued a message (0 when no notice had gone out yet)


class MeetingChanges(MeetingUseCase):
    def when(self, at: datetime) -> str:
        """"19:30, Thứ năm, 05/03/2026": the weekday name says which day it is (when.py)."""
        local = as_utc(at).astimezone(self.deps.clock.tz)
        return _("{time}, {day}").format(time=show_time(local.time()), day=show_with_weekday(local.date()))

    async def upcoming(self, actor: Actor, meeting_id: int) -> Meeting:
        """The meeting the secretary is about to cancel or move: theirs, not cancelled, not over."""
        async with self.deps.db.session() as s:
            m, _branch = await self._meeting(s, actor, meeting_id, "meeting.change")
            self._changeable(m)
            return m

    def _changeable(self, m: Meeting) -> None:
        if m.cancelled_at is not None:
            raise Conflict(_("That meeting was cancelled."))
        if as_utc(m.starts_at) <= self.deps.clock.now():
            raise Conflict(_("That meeting has already started; it can no longer be cancelled or moved."))

    async def cancel(self, actor: Actor, meeting_id: int) -> Change:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            m, branch = await self._meeting(s, actor, meeting_id, "meeting.cancel")
            self._changeable(m)
            m.cancelled_at = now
            s.add(m)
            await outbox.cancel_ref(s, notice_ref(m))

            def render() -> Reply:
                return Reply(text=_(
                    "❌ <b>Meeting cancelled — {branch}</b>\nThe {kind} of {when} will not take place. "
                    "The secretary will send the new date."
                ).format(branch=esc(branch_title(branch.name)), kind=kind_label(m.kind), when=self.when(m.starts_at)))

            told = await self._tell(s, m, branch, f"meeting_cancelled:{m.id}", render)
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="meeting.cancel",
                               org_id=branch.org_id, branch_id=branch.id, target=f"meeting:{m.id}",
                               details={"told": told})
            return Change(m, told)

    def check_new_time(self, m: Meeting, starts_local: datetime, confirmed_odd_hour: bool) -> datetime:
        starts_at = to_utc(starts_local, self.deps.clock.tz)
        if starts_at <= self.deps.clock.now():
            raise InvalidInput(_("That date and time are in the past. Please choose a later one."))
        if starts_at == as_utc(m.starts_at):
            raise InvalidInput(_("That is the meeting's current time. Please choose another one."))
        if is_odd_hour(starts_local.time()) and not confirmed_odd_hour:
            raise InvalidInput(_("A meeting at {time} is unusual; please confirm the time.").format(
                time=starts_local.strftime("%H:%M")))
        return starts_at

    async def move(self, actor: Actor, meeting_id: int, starts_local: datetime, *,
                   confirmed_odd_hour: bool = False) -> Change:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            m, branch = await self._meeting(s, actor, meeting_id, "meeting.move")
            self._changeable(m)
            starts_at = self.check_new_time(m, starts_local, confirmed_odd_hour)
            old = m.starts_at
            await outbox.cancel_ref(s, notice_ref(m))  # the old time's notice and reminders, if still waiting
            m.moved_from, m.starts_at, m.moves = old, starts_at, m.moves + 1
            m.checkin_failures, m.checkin_disabled_at = 0, None  # a new window: the meeting's count starts again
            s.add(m)

            def render() -> Reply:
                lines = [
                    _("🔁 <b>Meeting moved — {branch}</b>").format(branch=esc(branch_title(branch.name))),
                    _("The {kind} is moved from {old} to <b>{new}</b>.").format(
                        kind=kind_label(m.kind), old=self.when(old), new=self.when(starts_at)),
                ]
                if m.place:
                    lines.append(_("Place: {place}").format(place=esc(m.place)))
                lines += ["", _("Please confirm whether you will come at the new time.")]
                return Reply(text="\n".join(lines), buttons=[[
                    Button(_("✅ I will attend"), Rsvp(True, m.id).pack()),
                    Button(_("🙏 Apologise"), Rsvp(False, m.id).pack())]])

            told = await self._tell(s, m, branch, f"meeting_moved:{m.id}{notice_version(m)}", render)
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="meeting.move",
                               org_id=branch.org_id, branch_id=branch.id, target=f"meeting:{m.id}",
                               details={"from": as_utc(old).isoformat(), "to": starts_at.isoformat(), "told": told})
            return Change(m, told)

    async def _tell(self, s: AsyncSession, m: Meeting, branch: Branch, key: str, render: Render) -> int:
        """Every active member, once each (the key), when the notice had gone out; nobody otherwise."""
        if m.notice_sent_at is None:
            return 0
        members = (await s.execute(select(Membership.person_id).where(
            Membership.branch_id == branch.id, Membership.status == MembershipStatus.ACTIVE.value))).scalars().all()
        told = 0
        for pid in sorted(set(members)):
            told += await notify(s, self.deps, pid, key=f"{key}:{pid}", kind="meeting_notice", render=render,
                                 priority=1, ref=f"meeting_change:{m.id}", branch_id=branch.id,
                                 expires_at=None if m.cancelled_at is not None else as_utc(m.starts_at))
        return told
