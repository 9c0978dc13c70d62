"""notify_many reads the quiet hours, delivery times and pauses of all its addressees in a bounded number of
statements, whatever the number of branches and people (issue #18: one query per branch once dominated the
daily tick)."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy import select

from bot.messages import ChatRef, Reply
from bot.services import outbox
from bot.services.notify import Addressee, notify_many
from storage.models.calendar import BranchSettings
from storage.models.outbox import OutboxMessage
from tests.conftest import TZ
from tests.querycount import count_statements, seed_branches, seed_members


async def _notify(bot, people: list[int], branches: list[int], tag: str) -> int:  # type: ignore[no-untyped-def]
    addressees = [Addressee(key=f"{tag}:{p}", locale="vi", branch_id=b,
                            to=outbox.Recipient(ChatRef("telegram", str(80_000_000 + p), ""), p, p))
                  for p, b in zip(people, branches, strict=True)]
    async with bot.app.db.session() as s:
        return await notify_many(s, bot.app.services.deps, addressees, kind="pledge_checkin",
                                 render=lambda _b: Reply(text="Đồng chí tự kiểm tra việc thực hiện cam kết."))


async def test_quiet_hours_and_delivery_times_in_bounded_statements(bot, clock):
    clock.set(datetime(2026, 3, 3, 5, 0, tzinfo=TZ))
    branches = await seed_branches(bot, 40)
    few = await seed_members(bot, branches[:10], 6 * 60 + 40, first_id=10_000)
    many = await seed_members(bot, branches, 6 * 60 + 40, first_id=20_000)
    async with bot.app.db.session() as s:  # one branch's quiet hours end at 08:00
        s.add(BranchSettings(branch_id=branches[3], quiet_start="22:00", quiet_end="08:00"))
    with count_statements(bot.app.db.engine) as ten:
        assert await _notify(bot, few, branches[:10], "few") == 10
    with count_statements(bot.app.db.engine) as forty:
        assert await _notify(bot, many, branches, "many") == 40
    assert any(q.startswith("INSERT INTO outbox") for q in ten)  # the counter sees notify_many's statements
    assert len(forty) == len(ten), (len(ten), len(forty), forty)
    # Same outcome as one by one: the member's 06:40 moved to the end of their branch's quiet hours.
    async with bot.app.db.session() as s:
        due = dict((await s.execute(select(OutboxMessage.key, OutboxMessage.due_at))).all())
    local = {k: (d if d.tzinfo else d.replace(tzinfo=UTC)).astimezone(TZ).time() for k, d in due.items()}
    late = {f"few:{few[3]}", f"many:{many[3]}"}
    assert len(local) == 50
    assert {k for k, t in local.items() if t == time(8, 0)} == late
    assert all(t == time(7, 0) for k, t in local.items() if k not in late)
