"""Notices: erasing what ties a person's account to them (declared in feature.py)."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.broadcasts.models import Broadcast
from bot.services.deps import Deps
from bot.services.erasure import Erased
from bot.services.media import MediaStore


async def _erase_broadcasts(s: AsyncSession, person_id: int, deps: Deps) -> Erased:
    """A notice is the branch's, so its text stays; the author's chat (where its progress went) and the
    attachment they uploaded go. Acknowledgements and hand-picked lists keep the anonymised person's id."""
    erased = Erased()
    keys: set[str] = set()
    for b in (await s.execute(select(Broadcast).where(Broadcast.author_person_id == person_id))).scalars():
        if b.media and b.media.get("media_key"):
            keys.add(b.media["media_key"])
            erased.add(b.media.get("file_name"))
        b.media = None
        b.progress_chat_id, b.progress_bot, b.progress_message_id = "", "", None
        s.add(b)
    await s.flush()
    erased.media = keys
    if keys:
        others = (await s.execute(select(Broadcast.media).where(Broadcast.media.is_not(None)))).scalars().all()
        still_used = {m.get("media_key") for m in others if m}
        store = MediaStore(deps)
        for key in keys - still_used:
            await store.delete(key)
    return erased
