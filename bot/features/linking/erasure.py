"""Linking: an erased person's link codes and wrong-code records go (declared in feature.py)."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.linking.models import LinkCode, LinkFailure
from bot.services.deps import Deps


async def _erase_links(s: AsyncSession, person_id: int, deps: Deps) -> None:
    await s.execute(delete(LinkCode).where(LinkCode.person_id == person_id))
    await s.execute(delete(LinkFailure).where(LinkFailure.person_id == person_id))
