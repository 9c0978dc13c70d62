"""Meetings: erasing a person's answers and uploads (declared in feature.py)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.meetings.models import Attendance, Meeting, MeetingRsvp
from bot.services.deps import Deps
from bot.services.erasure import Erased
from bot.services.media import MediaStore


async def _erase_meetings(s: AsyncSession, person_id: int, deps: Deps) -> Erased:
    """An absence reason (often about health: the RSVP's, and the one the secretary marked) goes; the answer
    and the attendance stay, anonymously, so the branch's attendance rates stay right. Documents the person
    attached to meetings they scheduled go too."""
    erased = Erased()
    for rsvp in (await s.execute(select(MeetingRsvp).where(MeetingRsvp.person_id == person_id))).scalars():
        erased.add(rsvp.reason)
    await s.execute(update(MeetingRsvp).where(MeetingRsvp.person_id == person_id).values(reason=None))
    for why in (await s.execute(select(Attendance.reason).where(Attendance.person_id == person_id,
                                                                Attendance.reason.is_not(None)))).scalars():
        erased.add(why)
    await s.execute(update(Attendance).where(Attendance.person_id == person_id).values(reason=None))
    meetings = (await s.execute(select(Meeting).where(Meeting.created_by == person_id))).scalars().all()
    keys: set[str] = set()
    for m in meetings:
        for doc in m.documents or []:
            if doc.get("media_key"):
                keys.add(doc["media_key"])
            erased.add(doc.get("file_name"))
        if m.documents:
            m.documents = None
            s.add(m)
    await s.flush()
    erased.media = keys
    if keys:
        others = (await s.execute(select(Meeting.documents).where(Meeting.documents.is_not(None)))).scalars().all()
        still_used = {d.get("media_key") for docs in others for d in docs or []}
        store = MediaStore(deps)
        for key in keys - still_used:
            await store.delete(key)
    return erased
