"""Pledges: erasing what a person wrote (declared in feature.py)."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.pledges.models import Pledge, PledgeCheckin, PledgeItem, PledgeReminder, PledgeReview, PledgeVersion
from bot.services.deps import Deps


async def _erase_pledges(session: AsyncSession, person_id: int, deps: Deps) -> None:
    """Blank what the person wrote; keep the rows (status, dates) so branch totals stay right."""
    ids = list(
        (await session.execute(select(Pledge.id).where(Pledge.person_id == person_id))).scalars().all()
    )
    await session.execute(
        update(Pledge)
        .where(Pledge.person_id == person_id)
        .values(duty="", shortcoming="", remedy="", commitment="", secretary_comment=None, draft=None)
    )
    if ids:
        await session.execute(
            update(PledgeItem)
            .where(PledgeItem.pledge_id.in_(ids))
            .values(what="", criterion="", when_text="")
        )
        await session.execute(
            update(PledgeVersion).where(PledgeVersion.pledge_id.in_(ids)).values(content={}, comment=None)
        )
        await session.execute(update(PledgeCheckin).where(PledgeCheckin.pledge_id.in_(ids)).values(note=None))
    await session.execute(update(PledgeReview).where(PledgeReview.person_id == person_id).values(text=""))
    await session.execute(delete(PledgeReminder).where(PledgeReminder.person_id == person_id))
