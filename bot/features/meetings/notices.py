"""Meetings: the notice to members with RSVP buttons, their answers, and reminding those who have not answered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.meetings.access import MeetingUseCase
from bot.features.meetings.callbacks import Rsvp
from bot.features.meetings.models import Meeting, MeetingRsvp
from bot.features.meetings.scheduling import kind_label
from bot.i18n import _
from bot.messages import Button, MediaRef, Reply, esc
from bot.services import audit
from bot.services.actor import Actor
from bot.services.errors import Conflict, PermissionDenied
from bot.services.notify import notify
from bot.text import branch_title
from storage.models.org import Branch
from storage.models.people import Membership, MembershipStatus, Person


def notice_version(m: Meeting) -> str:
    """After a move the new time has its own once-only notice and reminder (changes.py withdraws the old)."""
    return f".{m.moves}" if m.moves else ""


class MeetingNotices(MeetingUseCase):
    def notice(self, m: Meeting, branch: Branch, materials: list[list[Button]] | None = None) -> Reply:
        """``materials``: open buttons of the library items attached to the meeting (``_materials``)."""
        local = m.starts_at.astimezone(self.deps.clock.tz)
        lines = [
            _("📅 <b>Meeting notice — {branch}</b>").format(branch=esc(branch_title(branch.name))),
            _("Type: {kind}").format(kind=kind_label(m.kind)),
            _("Time: {time}, {date}").format(time=local.strftime("%H:%M"), date=local.strftime("%d/%m/%Y")),
        ]
        if m.place:
            lines.append(_("Place: {place}").format(place=esc(m.place)))
        if m.topic:
            lines.append(_("Topic: {topic}").format(topic=esc(m.topic)))
        lines.append("")
        lines.append(_("Please tell the secretary whether you will come."))
        docs = m.documents or []
        return Reply(
            text="\n".join(lines),
            buttons=[
                [Button(_("✅ I will attend"), Rsvp(True, m.id).pack()),
                 Button(_("🙏 Apologise"), Rsvp(False, m.id).pack())],
                *(materials or []),
            ],
            media=MediaRef.from_dict(docs[0]) if docs else None,
        )

    async def send_notice(self, actor: Actor, meeting_id: int) -> int:
        """Queue the notice with RSVP buttons to every active member (once per member)."""
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            m, branch = await self._meeting(s, actor, meeting_id, "meeting.notice")
            if m.cancelled_at is not None:
                raise Conflict(_("That meeting was cancelled."))
            members = (
                await s.execute(
                    select(Membership.person_id, Person.locale)
                    .join(Person, Person.id == Membership.person_id)
                    .where(
                        Membership.branch_id == branch.id, Membership.status == MembershipStatus.ACTIVE.value
                    )
                )
            ).all()
            materials = await self._materials(s, m.id)
            count = 0
            for pid, _locale in members:
                if await notify(
                    s,
                    self.deps,
                    pid,
                    key=f"meeting:{m.id}{notice_version(m)}:{pid}",
                    kind="meeting_notice",
                    render=lambda: self.notice(m, branch, materials),
                    priority=1,
                    ref=f"meeting:{m.id}",
                    branch_id=branch.id,
                    expires_at=m.starts_at,
                ):
                    count += 1
            m.notice_sent_at = m.notice_sent_at or now
            s.add(m)
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="meeting.notice",
                org_id=branch.org_id,
                branch_id=branch.id,
                target=f"meeting:{m.id}",
                details={"size": len(members)},
            )
            return count

    async def _materials(self, s: AsyncSession, meeting_id: int) -> list[list[Button]]:
        """Open buttons of the library items attached to the meeting (none without the library feature)."""
        providers = self.deps.ext.providers
        if providers.library_attached is None or providers.library_buttons is None:
            return []
        return providers.library_buttons(await providers.library_attached(s, meeting_id))

    async def rsvp(
        self, actor: Actor, meeting_id: int, attending: bool, reason: str | None = None
    ) -> Meeting:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            m = await s.get(Meeting, meeting_id)
            if m is None or actor.seat(m.branch_id) is None:
                raise PermissionDenied(_("Sorry, you are not allowed to do that."))
            if m.cancelled_at is not None:
                raise Conflict(_("That meeting was cancelled."))
            row = await s.execute(
                select(MeetingRsvp).where(
                    MeetingRsvp.meeting_id == m.id, MeetingRsvp.person_id == actor.person_id
                )
            )
            rsvp = row.scalar_one_or_none() or MeetingRsvp(meeting_id=m.id, person_id=actor.person_id)
            rsvp.attending, rsvp.reason, rsvp.at = attending, (reason or "").strip()[:500] or None, now
            s.add(rsvp)
            return m

    async def remind_unanswered(self, s: AsyncSession, m: Meeting, branch: Branch, now: datetime) -> int:
        answered = select(MeetingRsvp.person_id).where(MeetingRsvp.meeting_id == m.id)
        rows = (
            await s.execute(
                select(Membership.person_id, Person.locale)
                .join(Person, Person.id == Membership.person_id)
                .where(
                    Membership.branch_id == branch.id,
                    Membership.status == MembershipStatus.ACTIVE.value,
                    Membership.person_id.not_in(answered),
                )
            )
        ).all()
        n = 0

        def render() -> Reply:
            reply = self.notice(m, branch)
            reply.text = _("⏰ Reminder: you have not yet said whether you will attend.") + "\n\n" + reply.text
            return reply

        for pid, _locale in rows:
            n += await notify(
                s,
                self.deps,
                pid,
                key=f"meeting_rsvp_reminder:{m.id}{notice_version(m)}:{pid}",
                kind="meeting_reminder",
                render=render,
                priority=1,
                ref=f"meeting:{m.id}",
                branch_id=branch.id,
                expires_at=m.starts_at,
            )
        return n
