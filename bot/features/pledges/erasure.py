"""Pledges: erasing what a person wrote (declared in feature.py)."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.pledges.models import (
    Pledge,
    PledgeCheckin,
    PledgeItem,
    PledgeReminder,
    PledgeReview,
    PledgeReviewVersion,
    PledgeVersion,
)
from bot.services.deps import Deps
from bot.services.erasure import Erased


async def _erase_pledges(session: AsyncSession, person_id: int, deps: Deps) -> Erased:
    """Blank what the person wrote; keep the rows (status, dates) so branch totals stay right."""
    erased = Erased()
    pledges = (await session.execute(select(Pledge).where(Pledge.person_id == person_id))).scalars().all()
    ids = [p.id for p in pledges]
    for p in pledges:
        erased.add(p.duty, p.shortcoming, p.remedy, p.commitment, p.secretary_comment)
        erased.add_json(p.draft)
    await session.execute(
        update(Pledge)
        .where(Pledge.person_id == person_id)
        .values(duty="", shortcoming="", remedy="", commitment="", secretary_comment=None, draft=None)
    )
    if ids:
        for item in (await session.execute(select(PledgeItem).where(PledgeItem.pledge_id.in_(ids)))).scalars():
            erased.add(item.what, item.criterion, item.when_text)
        for v in (await session.execute(select(PledgeVersion).where(PledgeVersion.pledge_id.in_(ids)))).scalars():
            erased.add_json(v.content)
            erased.add(v.comment)
        for c in (await session.execute(select(PledgeCheckin).where(PledgeCheckin.pledge_id.in_(ids)))).scalars():
            erased.add(c.note)
        await session.execute(
            update(PledgeItem)
            .where(PledgeItem.pledge_id.in_(ids))
            .values(what="", criterion="", when_text="")
        )
        await session.execute(
            update(PledgeVersion).where(PledgeVersion.pledge_id.in_(ids)).values(content={}, comment=None)
        )
        await session.execute(update(PledgeCheckin).where(PledgeCheckin.pledge_id.in_(ids)).values(note=None))
    for r in (await session.execute(select(PledgeReview).where(PledgeReview.person_id == person_id))).scalars():
        erased.add(r.text)
        erased.add_json(r.sections)
    await session.execute(
        update(PledgeReview).where(PledgeReview.person_id == person_id).values(text="", sections=None)
    )
    versions = select(PledgeReviewVersion).where(PledgeReviewVersion.person_id == person_id)
    for rv in (await session.execute(versions)).scalars():
        erased.add_json(rv.content)
    await session.execute(
        update(PledgeReviewVersion).where(PledgeReviewVersion.person_id == person_id).values(content={})
    )
    await session.execute(delete(PledgeReminder).where(PledgeReminder.person_id == person_id))
    return erased
