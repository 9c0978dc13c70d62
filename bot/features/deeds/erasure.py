"""Good deeds: erasing what a person reported (declared in feature.py)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.deeds.models import Deed, DeedReviewPref, DeedStatus, Nomination
from bot.services.deps import Deps
from bot.services.erasure import Erased
from bot.services.media import MediaStore


async def _erase_deeds(s: AsyncSession, person_id: int, deps: Deps) -> Erased:
    """Remove the person's words and media; keep an empty row so branch totals stay right."""
    erased = Erased()
    deeds = (await s.execute(select(Deed).where(Deed.person_id == person_id))).scalars().all()
    keys: set[str] = set()
    for deed in deeds:
        erased.add(deed.text, deed.return_reason)
        keys.update(deed.photo_keys or [])
        if deed.voice_key:
            keys.add(deed.voice_key)
        deed.text, deed.voice_key, deed.photo_keys = "", None, []
        deed.return_reason, deed.pledge_item_id, deed.erased = None, None, True
        if deed.status == DeedStatus.PENDING.value:
            deed.status = DeedStatus.WITHDRAWN.value
        s.add(deed)
    # A nomination names a third person (and often their phone): it goes with the one who wrote it.
    # One that names the erased member (linked by person_id) goes too: it is about them.
    about = (Nomination.nominated_by == person_id) | (Nomination.person_id == person_id)
    for nom in (await s.execute(select(Nomination).where(about))).scalars():
        erased.add(nom.name, nom.what, nom.contact, nom.comment)
    await s.execute(delete(Nomination).where(about))
    await s.execute(delete(DeedReviewPref).where(DeedReviewPref.person_id == person_id))
    await s.flush()
    erased.media = keys
    if not keys:
        return erased
    # The same photo may belong to someone else's deed (media are keyed by content): keep those files.
    others = (
        await s.execute(
            select(Deed.photo_keys, Deed.voice_key).where(Deed.person_id != person_id, Deed.erased.is_(False))
        )
    ).all()
    still_used = {k for photos, voice in others for k in [*(photos or []), voice] if k}
    store = MediaStore(deps)
    for key in keys - still_used:
        await store.delete(key)
    return erased
