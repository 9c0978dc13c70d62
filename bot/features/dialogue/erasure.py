"""Dialogue: what /xoadulieu removes. The person's words go (named and anonymous items alike) and the sealed
links are broken; the rows stay with their number and status, so nothing disappears from the committee's
counts. An open item of theirs becomes withdrawn: nobody is left to answer."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.dialogue import sealed
from bot.features.dialogue.models import OPEN_STATUSES, DialogueItem, ItemStatus
from bot.services.deps import Deps
from bot.services.erasure import Erased
from bot.services.media import MediaStore


async def _erase_dialogue(s: AsyncSession, person_id: int, deps: Deps) -> Erased:
    erased = Erased()
    ids = await sealed.sealed_item_ids(s, person_id)
    cond = DialogueItem.person_id == person_id
    if ids:
        cond = cond | DialogueItem.id.in_(ids)  # type: ignore[union-attr]
    keys: set[str] = set()
    now = deps.clock.now()
    for item in (await s.execute(select(DialogueItem).where(cond))).scalars().all():
        erased.add(item.text)
        if item.photo_key:
            keys.add(item.photo_key)
        item.text, item.photo_key, item.erased = "", None, True
        if item.status in OPEN_STATUSES:
            item.status, item.withdrawn_at = ItemStatus.WITHDRAWN.value, now
        s.add(item)
    await sealed.break_seals(s, person_id)
    await s.flush()
    erased.media = keys
    if keys:
        others = (await s.execute(select(DialogueItem.photo_key).where(DialogueItem.photo_key.in_(keys))  # type: ignore[union-attr]
                                  )).scalars().all()
        store = MediaStore(deps)
        for key in keys - set(others):
            await store.delete(key)
    return erased
