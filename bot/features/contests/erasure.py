"""Contests: erasing what a person sent (declared in feature.py). The entry row stays, empty, so the
contest's numbers and per-branch counts stay right; the judges' points stay with it."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.contests.models import Contest, ContestEntry
from bot.services.deps import Deps
from bot.services.erasure import Erased
from bot.services.media import MediaStore


async def _erase_contests(s: AsyncSession, person_id: int, deps: Deps) -> Erased:
    erased = Erased()
    keys: set[str] = set()
    for entry in (await s.execute(select(ContestEntry).where(ContestEntry.person_id == person_id))).scalars():
        erased.add(entry.text, entry.url, entry.file_name)
        if entry.media_key:
            keys.add(entry.media_key)
        entry.text, entry.url, entry.file_name, entry.media_key = "", "", "", None
        s.add(entry)
    # A judge named by the committee is no longer one.
    for contest in (await s.execute(select(Contest))).scalars():
        if person_id in (contest.judge_ids or []):
            contest.judge_ids = [p for p in contest.judge_ids if p != person_id]
            s.add(contest)
    await s.flush()
    erased.media = keys
    if keys:
        # Media are keyed by content: the same file may be someone else's entry too.
        others = (await s.execute(select(ContestEntry.media_key).where(ContestEntry.person_id != person_id))
                  ).scalars().all()
        store = MediaStore(deps)
        for key in keys - {k for k in others if k}:
            await store.delete(key)
    return erased
