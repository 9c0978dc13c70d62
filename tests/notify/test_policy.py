"""Every proactive kind, during quiet hours, during the member's pause, and neither: held, skipped or sent
exactly as the policy table in bot/services/notify.py (and docs/NOTIFY.md) documents."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from bot.clock import as_utc
from bot.features.daily.models import DailyPref
from bot.messages import Reply
from bot.services.notify import POLICIES, notify
from storage.models.outbox import OutboxMessage
from storage.models.people import Identity
from tests.conftest import TZ, join_member

NOW, MORNING, AFTER_PAUSE, SKIPPED = "sent now", "held to 07:00", "held past the pause", "skipped"

# kind -> (during quiet hours, during the member's pause). Written out by hand: a change to the table must
# change this too. The branch's quiet hours are 21:00-07:00; the member's delivery time is 06:30.
EXPECTED: dict[str, tuple[str, str]] = {
    "daily": (NOW, SKIPPED),  # its slot is the member's own minute; a paused day is dropped
    "daily_group": (NOW, NOW),
    "pledge_checkin": (MORNING, AFTER_PAUSE),
    "pledge_midyear": (MORNING, AFTER_PAUSE),
    "pledge_yearend": (MORNING, AFTER_PAUSE),
    "pledge_reminder": (MORNING, AFTER_PAUSE),
    "pledge_to_approve": (MORNING, NOW),
    "pledge_decision": (MORNING, NOW),
    "pledge_digest": (MORNING, NOW),
    "deed_outcome": (MORNING, NOW),
    "dialogue_new": (MORNING, NOW),
    "dialogue_status": (MORNING, NOW),
    "deed_digest": (MORNING, NOW),
    "deed_stale": (MORNING, NOW),
    "deed_pack": (MORNING, NOW),
    "group_deed": (MORNING, NOW),
    "meeting_notice": (MORNING, NOW),
    "meeting_reminder": (MORNING, NOW),
    "meeting_checkin": (NOW, NOW),
    "reminder": (MORNING, NOW),
    "vote_ballot": (NOW, NOW),
    "vote_result": (NOW, NOW),
    "emulation_reminder": (MORNING, NOW),
    "emulation_news": (MORNING, NOW),
    "broadcast": (NOW, NOW),
    "broadcast_nudge": (NOW, NOW),
    "broadcast_progress": (NOW, NOW),
    "join_request": (MORNING, NOW),
    "join_decision": (NOW, NOW),
    "join_reminder": (MORNING, NOW),
    "branch_news": (MORNING, NOW),
    "zalo_quota": (MORNING, NOW),
    "classification_result": (MORNING, NOW),
    "classification_committee": (MORNING, NOW),
    "supervision_planned": (MORNING, NOW),
    "supervision_conclusions": (MORNING, NOW),
    "supervision_task_reminder": (MORNING, NOW),
    "supervision_task_reported": (MORNING, NOW),
    "supervision_task_closed": (MORNING, NOW),
    "contest_news": (MORNING, NOW),
    "bot_revoked": (NOW, NOW),  # an alarm to the system admins: a bot stopped sending
}

DAY = datetime(2026, 3, 3, 10, 0, tzinfo=TZ)  # Tuesday, not quiet, after the 06:30 delivery time
NIGHT = datetime(2026, 3, 3, 22, 30, tzinfo=TZ)
PAUSED_UNTIL = date(2026, 3, 4)  # inclusive


def test_every_kind_is_documented():
    assert sorted(EXPECTED) == sorted(POLICIES)
    assert all(p.why for p in POLICIES.values())


def _outcome(row: OutboxMessage | None, now: datetime) -> str:
    if row is None:
        return SKIPPED
    local = as_utc(row.due_at).astimezone(TZ)
    if local == now:
        return NOW
    if local == datetime(2026, 3, 4, 7, 0, tzinfo=TZ):
        return MORNING
    if local == datetime(2026, 3, 5, 7, 0, tzinfo=TZ):
        return AFTER_PAUSE
    return f"unexpected due_at {local.isoformat()}"


@pytest.mark.parametrize("case", ["neither", "quiet", "pause"])
async def test_each_kind_is_held_or_sent_as_documented(bot, fake_tg, branch, clock, case):
    await join_member(bot, fake_tg, branch, 7301, "Trần Văn An")
    assert bot.app is not None
    deps = bot.app.services.deps
    now = NIGHT if case == "quiet" else DAY
    clock.set(now)
    async with bot.app.db.session() as s:
        pid = (await s.execute(select(Identity.person_id).where(Identity.chat_id == "7301"))).scalar_one()
        if case == "pause":
            s.add(DailyPref(person_id=pid, paused_until=PAUSED_UNTIL))
    got: dict[str, str] = {}
    async with bot.app.db.session() as s:
        for kind in POLICIES:
            # not_before=now: the slot kinds (daily, digest, pack, broadcast) are queued at their moment.
            await notify(s, deps, pid, kind=kind, key=f"t:{kind}", render=lambda: Reply(text="x"),
                         branch_id=branch.branch_id, not_before=now)
    async with bot.app.db.session() as s:
        for kind in POLICIES:
            row = (await s.execute(select(OutboxMessage).where(OutboxMessage.key == f"t:{kind}"))).scalar_one_or_none()
            got[kind] = _outcome(row, now)
    column = {"neither": None, "quiet": 0, "pause": 1}[case]
    expected = {k: NOW if column is None else v[column] for k, v in EXPECTED.items()}
    assert got == expected
