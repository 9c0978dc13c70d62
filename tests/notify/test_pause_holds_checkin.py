"""A member who paused with /caidat ("Tạm dừng") gets the pledge check-in only after the pause ends."""

from __future__ import annotations

from datetime import datetime

from tests.conftest import TZ, join_member
from tests.pledges.conftest import PLEDGE_TICKS, pledge_and_approve

TITLE = "Kiểm tra việc làm theo — tháng 3/2026"


def checkins(user) -> int:
    """Check-ins this user has received so far (read or not: a tick delivers before we look)."""
    return sum(TITLE in e.text for e in user.bot_events(user.chat_key))


async def _tick_at(bot, clock, *args: int) -> None:
    clock.set(datetime(*args, tzinfo=TZ))
    await bot.tick(only=PLEDGE_TICKS)


async def test_paused_member_gets_the_checkin_after_the_pause(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 7401, "Trần Văn An")
    binh = await join_member(bot, fake_tg, branch, 7402, "Lê Bình")
    await pledge_and_approve(an, branch.secretary)
    await pledge_and_approve(binh, branch.secretary)
    clock.set(datetime(2026, 3, 31, 20, 0, tzinfo=TZ))
    await an.send("/caidat")
    await an.expect("Cài đặt Học Bác mỗi ngày")
    await an.press("Tạm dừng")
    await an.expect("Tạm dừng đến hết ngày nào")
    await an.send("03/04")
    await an.expect("Đã tạm dừng đến hết ngày 03/04/2026")
    # The April round: Bình gets it at his 06:30 (moved out of the quiet hours to 07:00); An is paused.
    await _tick_at(bot, clock, 2026, 4, 1, 7, 1)
    await binh.expect(TITLE)
    await an.expect_nothing(0.3)
    assert checkins(an) == 0
    await _tick_at(bot, clock, 2026, 4, 2, 9, 0)
    await _tick_at(bot, clock, 2026, 4, 3, 21, 0)
    await an.expect_nothing(0.3)
    assert checkins(an) == 0
    # The pause ended with 3 April: the check-in comes on the 4th at the member's time.
    await _tick_at(bot, clock, 2026, 4, 4, 7, 1)
    await an.expect(TITLE)
    assert (checkins(an), checkins(binh)) == (1, 1)
