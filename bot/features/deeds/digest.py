"""Good deeds: the secretary's daily digest of pending deeds — its time of day and what it lists."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.deeds.access import DeedUseCase
from bot.features.deeds.models import Deed, DeedReviewPref, DeedStatus
from bot.i18n import _
from bot.services.actor import Actor
from bot.services.errors import InvalidInput
from bot.services.permissions import can_review_deeds
from bot.services.when import parse_time, read_time
from storage.models.people import Person

STALE_AFTER = timedelta(days=7)


DEFAULT_DIGEST_TIME = time(19, 0)


class DeedDigest(DeedUseCase):
    async def set_digest_time(self, actor: Actor, text: str) -> time:
        if not can_review_deeds(actor):
            raise InvalidInput(_("This command is only for branch secretaries."))
        when = read_time(text)
        async with self.deps.db.session() as s:
            pref = await s.get(DeedReviewPref, actor.person_id)
            pref = pref or DeedReviewPref(person_id=actor.person_id)
            pref.digest_time = when.strftime("%H:%M")
            s.add(pref)
        return when

    async def digest_time(self, person_id: int) -> time:
        async with self.deps.db.session() as s:
            return await digest_time(s, person_id)


async def digest_time(s: AsyncSession, person_id: int) -> time:
    pref = await s.get(DeedReviewPref, person_id)
    return (parse_time(pref.digest_time) if pref else None) or DEFAULT_DIGEST_TIME


async def pending_deeds(s: AsyncSession, branch_id: int) -> list[tuple[Deed, str]]:
    rows = (
        await s.execute(
            select(Deed, Person.display_name)
            .join(Person, Person.id == Deed.person_id)
            .where(
                Deed.branch_id == branch_id, Deed.status == DeedStatus.PENDING.value, Deed.erased.is_(False)
            )
            .order_by(Deed.id)
        )
    ).all()
    return [(d, n) for d, n in rows]
