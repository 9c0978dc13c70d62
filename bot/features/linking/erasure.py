"""Linking: an erased person's link codes go (declared in feature.py). Wrong-code records stay: they hold only
the chat account and a time, and deleting them would hand a guesser fresh attempts."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.linking.models import LinkCode
from bot.services.deps import Deps


async def _erase_links(s: AsyncSession, person_id: int, deps: Deps) -> None:
    await s.execute(delete(LinkCode).where(LinkCode.person_id == person_id))
