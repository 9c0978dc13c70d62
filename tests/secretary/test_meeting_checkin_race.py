"""Wrong check-in codes tried in parallel never count past the limits (hardening item 8), on SQLite and on
PostgreSQL (where the tries really overlap: several sessions, row locks)."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.devtools.harness import TEST_TOKEN, BotHarness
from bot.features.meetings.attendance import MEETING_FAILURE_LIMIT, PERSON_FAILURE_LIMIT, MeetingAttendance
from bot.features.meetings.models import Attendance, CheckinAttempt, Meeting
from bot.features.meetings.scheduling import MeetingScheduling
from bot.services.errors import DomainError
from bot.services.identity import IdentityService
from storage.models.outbox import OutboxMessage
from tests.conftest import ADMIN_TG_ID, TZ, seed_branch
from tests.secretary.helpers import seed_members


async def _race(harness: BotHarness, fake_tg, clock) -> None:
    assert harness.app is not None
    branch = await seed_branch(harness, fake_tg)
    services = harness.app.services
    m = await services.get(MeetingScheduling).schedule(
        branch.secretary_actor, branch.branch_id, kind="regular", starts_local=datetime(2026, 3, 2, 19, 30)
    )
    wrong = [f"{(int(m.checkin_code) + k) % 10**6:06d}" for k in range(1, 41)]
    svc = services.get(MeetingAttendance)
    ids = services.get(IdentityService)
    people = await seed_members(harness, fake_tg, branch.branch_id, 7100, 12)
    actors = [await ids.actor_for_person(pid) for pid in people]
    clock.set(datetime(2026, 3, 2, 19, 40, tzinfo=TZ))

    async def attempt(actor, code: str) -> str:
        try:
            await svc.check_in(actor, code)
        except DomainError as exc:
            return exc.message
        return "present"

    # One person, many wrong codes at once, the right one among them: at most the limit is ever counted,
    # so at most PERSON_FAILURE_LIMIT codes are compared.
    first = actors[0]
    answers = await asyncio.gather(*(attempt(first, c) for c in [*wrong[:11], m.checkin_code]))
    async with harness.app.db.session() as s:
        mine = (
            await s.execute(
                select(CheckinAttempt.failures).where(
                    CheckinAttempt.meeting_id == m.id, CheckinAttempt.person_id == first.person_id
                )
            )
        ).scalar_one()
        present = (
            await s.execute(select(func.count()).select_from(Attendance).where(Attendance.meeting_id == m.id))
        ).scalar_one()
    # 11 wrong codes for a limit of 5: exactly the limit is counted, whatever order the tries ran in.
    assert mine == PERSON_FAILURE_LIMIT
    assert "present" not in answers[:11]  # no wrong code got in
    assert present == (1 if answers[-1] == "present" else 0)

    # Everyone else at once, five wrong codes each (55 tries): the meeting counts exactly its limit,
    # the code is turned off once, and each manager is told once.
    rest = actors[1:]
    await asyncio.gather(*(attempt(a, c) for a in rest for c in wrong[:PERSON_FAILURE_LIMIT]))
    async with harness.app.db.session() as s:
        meeting = await s.get(Meeting, m.id)
        per_person = (
            await s.execute(select(CheckinAttempt.failures).where(CheckinAttempt.meeting_id == m.id))
        ).scalars().all()
        alerts = (
            await s.execute(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.kind == "meeting_checkin"))
        ).scalar_one()
    assert meeting is not None
    assert meeting.checkin_failures == MEETING_FAILURE_LIMIT
    assert meeting.checkin_disabled_at is not None
    assert max(per_person) <= PERSON_FAILURE_LIMIT
    assert sum(per_person) == MEETING_FAILURE_LIMIT
    assert alerts == 1  # the one secretary
    # Off means off: the right code is refused for everyone now.
    late = await ids.actor_for_person((await seed_members(harness, fake_tg, branch.branch_id, 7200, 1))[0])
    assert await attempt(late, m.checkin_code) != "present"


async def test_parallel_wrong_codes_stay_within_the_limits_sqlite(bot, fake_tg, clock):
    await _race(bot, fake_tg, clock)


@pytest.mark.postgres
async def test_parallel_wrong_codes_stay_within_the_limits_postgres(tmp_path, fake_tg, clock, pg_db_url):
    settings = Settings(_env_file=None, bot_token=TEST_TOKEN, telegram_api_url=fake_tg.base_url,  # type: ignore[call-arg]
                        database_url=pg_db_url, admin_ids=[f"telegram:{ADMIN_TG_ID}"], media_dir=tmp_path / "media")
    harness = BotHarness(settings, clock)
    await harness.start()
    try:
        assert harness.app is not None and harness.app.db.dialect == "postgresql"
        await _race(harness, fake_tg, clock)
    finally:
        await harness.stop()
