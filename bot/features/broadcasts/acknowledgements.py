"""Broadcasts: members acknowledge a notice; the author sees who has not and nudges them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.broadcasts.models import Broadcast, BroadcastAck
from bot.features.broadcasts.notices import PRIORITY, BroadcastUseCase, _header, _reachable, notice_reply
from bot.i18n import _
from bot.messages import Reply
from bot.services import audit
from bot.services.actor import Actor
from bot.services.errors import Conflict, InvalidInput, PermissionDenied
from bot.services.notify import Addressee, notify_many
from storage.models.outbox import OutboxMessage, OutboxStatus
from storage.models.people import Person


class BroadcastAcks(BroadcastUseCase):
    async def acknowledge(self, actor: Actor, broadcast_id: int) -> bool:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            row = (
                await s.execute(
                    select(OutboxMessage.id).where(
                        OutboxMessage.key == f"broadcast:{broadcast_id}:{actor.person_id}"
                    )
                )
            ).scalar_one_or_none()
            if row is None:
                raise PermissionDenied(_("This notice was not sent to you."))
            exists = await s.execute(
                select(BroadcastAck.id).where(
                    BroadcastAck.broadcast_id == broadcast_id, BroadcastAck.person_id == actor.person_id
                )
            )
            if exists.scalar_one_or_none() is not None:
                return False
            s.add(BroadcastAck(broadcast_id=broadcast_id, person_id=actor.person_id, at=now))
            return True

    async def _not_acked(self, s: AsyncSession, b: Broadcast) -> list[Person]:
        delivered = select(OutboxMessage.person_id).where(
            OutboxMessage.ref == f"broadcast:{b.id}", OutboxMessage.status == OutboxStatus.SENT.value
        )
        acked = select(BroadcastAck.person_id).where(BroadcastAck.broadcast_id == b.id)
        rows = await s.execute(
            select(Person)
            .where(Person.id.in_(delivered), Person.id.not_in(acked))
            .order_by(Person.display_name)
        )
        return list(rows.scalars().all())

    async def not_acknowledged(self, actor: Actor, broadcast_id: int) -> tuple[Broadcast, list[Person], int]:
        async with self.deps.db.session() as s:
            b = await self._own(s, actor, broadcast_id)
            acked = (
                await s.execute(
                    select(func.count()).select_from(BroadcastAck).where(BroadcastAck.broadcast_id == b.id)
                )
            ).scalar_one()
            return b, await self._not_acked(s, b), int(acked)

    async def nudge(self, actor: Actor, broadcast_id: int) -> int:
        """Remind only those who have not confirmed, once per notice."""
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            b = await self._own(s, actor, broadcast_id)
            if not b.ack_requested:
                raise InvalidInput(_("This notice did not ask for confirmation."))
            if b.nudged_at is not None:
                raise Conflict(_("You have already reminded them once."))
            people = await self._not_acked(s, b)
            reachable = await _reachable(s, {p.id for p in people if p.id is not None})
            addressees = [Addressee(key=f"nudge:{b.id}:{pid}", to=to, locale=locale, branch_id=b.branch_id)
                          for pid, (to, locale) in sorted(reachable.items())]

            async def render(_branch_id: int | None) -> Reply:
                reply = notice_reply(b, await _header(s, b))
                reply.text = _("🔔 Reminder: please confirm you have received this notice.") + "\n\n" + reply.text
                return reply

            await notify_many(s, self.deps, addressees, kind="broadcast_nudge", render=render,
                              ref=f"nudge:{b.id}", priority=PRIORITY)
            b.nudged_at = now
            s.add(b)
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="broadcast.nudge",
                org_id=b.org_id,
                branch_id=b.branch_id,
                target=f"broadcast:{b.id}",
                details={"size": len(reachable)},
            )
            return len(reachable)
