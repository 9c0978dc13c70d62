"""Classification: erasing what was written about a person (declared in feature.py)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.classification.models import ClassificationProposal
from bot.services.deps import Deps
from bot.services.erasure import Erased


async def _erase_classification(session: AsyncSession, person_id: int, deps: Deps) -> Erased:
    """Blank the comment and the reason about the person; keep level and counts so branch totals stay right."""
    erased = Erased()
    rows = (await session.execute(select(ClassificationProposal).where(ClassificationProposal.person_id == person_id))
            ).scalars().all()
    for p in rows:
        erased.add(p.comment, p.cap_reason)
    await session.execute(update(ClassificationProposal).where(ClassificationProposal.person_id == person_id)
                          .values(comment="", cap_reason=None))
    return erased
