"""Seeding a meeting with members present, through the services (the chat tests use /comat too)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.features.meetings.models import Attendance
from bot.features.meetings.scheduling import MeetingScheduling

MEETING_AT = datetime(2026, 3, 2, 19, 30)  # local; the fixture's clock starts at 2026-03-02 09:00


async def schedule(bot, branch, starts_local: datetime = MEETING_AT) -> int:  # type: ignore[no-untyped-def]
    m = await bot.app.services.get(MeetingScheduling).schedule(
        branch.secretary_actor, branch.branch_id, kind="regular", starts_local=starts_local)
    return int(m.id)


async def mark_present(bot, meeting_id: int, person_ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    async with bot.app.db.session() as s:
        have = set((await s.execute(select(Attendance.person_id).where(Attendance.meeting_id == meeting_id)))
                   .scalars().all())
        for pid in person_ids:
            if pid not in have:
                s.add(Attendance(meeting_id=meeting_id, person_id=pid, present=True, source="secretary",
                                 at=bot.app.clock.now()))
