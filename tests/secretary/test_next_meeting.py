"""The next_meeting provider answers an aware moment; the calendar's default is read in local time."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.features.meetings.models import MeetingKind
from bot.features.meetings.scheduling import MeetingScheduling
from tests.conftest import TZ


async def test_next_meeting_calendar_then_scheduled(bot, branch, clock):
    provider = bot.app.services.deps.ext.providers.next_meeting
    assert provider is not None
    async with bot.app.db.session() as s:  # no meeting scheduled: the calendar's 5th at 19:30, local
        found = await provider(s, branch.branch_id, clock.now().astimezone(TZ))
    assert found is not None and found.astimezone(TZ) == datetime(2026, 3, 5, 19, 30, tzinfo=TZ)

    await bot.app.services.get(MeetingScheduling).schedule(
        branch.secretary_actor, branch.branch_id, kind=MeetingKind.REGULAR.value,
        starts_local=datetime(2026, 3, 4, 18, 0))
    async with bot.app.db.session() as s:  # the scheduled one comes first, aware even on SQLite
        found = await provider(s, branch.branch_id, clock.now().astimezone(TZ))
    assert found is not None and found.tzinfo is not None
    assert found == datetime(2026, 3, 4, 11, 0, tzinfo=UTC)
