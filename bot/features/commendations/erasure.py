"""Commendations: erasing a member (/xoadulieu) blanks the proposals and awards about them; counts stay."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.commendations.models import CommendAward, CommendProposal
from bot.i18n import _
from bot.services.deps import Deps
from bot.services.erasure import Erased


async def _erase_commendations(s: AsyncSession, person_id: int, deps: Deps) -> Erased:
    erased = Erased()
    for prop in (await s.execute(select(CommendProposal).where(CommendProposal.person_id == person_id))).scalars():
        erased.add(prop.name, prop.reason)
        erased.add_json(prop.evidence)
        prop.name, prop.reason, prop.evidence = _("(a former member)"), "", []
        s.add(prop)
    for award in (await s.execute(select(CommendAward).where(CommendAward.person_id == person_id))).scalars():
        erased.add(award.name)
        award.name = _("(a former member)")
        s.add(award)
    await s.flush()
    return erased
