"""Pledges: the member answers a check-in (a mark per deed, a note)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.pledges.access import PledgeUseCase
from bot.features.pledges.models import PledgeCheckin, PledgeCheckinAnswer, PledgeCheckinRound, PledgeItem
from bot.features.pledges.reads import active_items
from bot.features.pledges.texts import CHECKIN_MARKS
from bot.features.pledges.validation import check_field
from bot.i18n import _
from bot.kernel.callbacks import StaleButton
from bot.services.actor import Actor
from bot.services.errors import PermissionDenied

log = logging.getLogger("hocbac.pledges")


@dataclass
class CheckinView:
    checkin_id: int
    period: str
    items: list[tuple[int, str]]
    answers: dict[int, str]
    note: str | None


async def checkin_view(s: AsyncSession, c: PledgeCheckin) -> CheckinView:
    rnd = await s.get(PledgeCheckinRound, c.round_id)
    items = [(it.id or 0, it.what) for it in await active_items(s, c.pledge_id)]
    answers = {
        int(i): st
        for i, st in (
            await s.execute(
                select(PledgeCheckinAnswer.item_id, PledgeCheckinAnswer.status).where(
                    PledgeCheckinAnswer.checkin_id == c.id
                )
            )
        ).all()
    }
    return CheckinView(c.id or 0, rnd.period if rnd else "", items, answers, c.note)


class PledgeCheckins(PledgeUseCase):
    async def _own_checkin(self, s: AsyncSession, actor: Actor, checkin_id: int) -> PledgeCheckin:
        c = await s.get(PledgeCheckin, checkin_id)
        if c is None or c.person_id != actor.person_id:
            log.warning("check-in button of someone else: person=%s checkin=%s", actor.person_id, checkin_id)
            raise PermissionDenied(_("Sorry, you are not allowed to do that."))
        return c

    async def answer_checkin(self, actor: Actor, checkin_id: int, item_id: int, status: str) -> CheckinView:
        if status not in CHECKIN_MARKS:
            raise StaleButton(f"unknown check-in mark {status!r}")
        now = self.now()
        async with self.deps.db.session() as s:
            c = await self._own_checkin(s, actor, checkin_id)
            item = await s.get(PledgeItem, item_id)
            if item is None or item.pledge_id != c.pledge_id:
                raise StaleButton(f"item {item_id} is not in this check-in")
            row = (
                await s.execute(
                    select(PledgeCheckinAnswer).where(
                        PledgeCheckinAnswer.checkin_id == c.id, PledgeCheckinAnswer.item_id == item_id
                    )
                )
            ).scalar_one_or_none() or PledgeCheckinAnswer(checkin_id=c.id, item_id=item_id, status=status)
            row.status, row.answered_at = status, now
            s.add(row)
            c.answered_at = c.answered_at or now
            s.add(c)
            await s.flush()
            return await checkin_view(s, c)

    async def checkin(self, actor: Actor, checkin_id: int) -> CheckinView:
        async with self.deps.db.session() as s:
            return await checkin_view(s, await self._own_checkin(s, actor, checkin_id))

    async def note_checkin(self, actor: Actor, checkin_id: int, note: str) -> CheckinView:
        note = check_field(note)
        async with self.deps.db.session() as s:
            c = await self._own_checkin(s, actor, checkin_id)
            c.note = note
            c.answered_at = c.answered_at or self.now()
            s.add(c)
            await s.flush()
            return await checkin_view(s, c)
