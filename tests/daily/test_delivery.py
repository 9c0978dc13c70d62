"""Delivery through the fake Bot API: the member's time, days, pause/resume, the catch-up policy, the
branch group, "Đã đọc ✓" and the streak, /caidat bad input and the secretary's weekly count."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime

from sqlalchemy import select

from bot.features.daily.callbacks import MarkRead
from bot.features.daily.delivery import DailyDelivery
from bot.features.daily.library import DailyLibrary
from bot.features.daily.preferences import DailyPrefs
from storage.models.outbox import OutboxMessage
from tests.conftest import join_member
from tests.daily.conftest import tick_at

TITLE = "Học Bác mỗi ngày"


async def _rows(bot, kind: str = "daily") -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    async with bot.app.db.session() as s:
        return list((await s.execute(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                     .order_by(OutboxMessage.id))).scalars().all())


async def test_arrives_at_default_time_once_with_read_button(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5201, "Trần Văn An")
    await tick_at(bot, clock, datetime(2026, 3, 3, 6, 29))
    await an.expect_nothing(0.3)
    await tick_at(bot, clock, datetime(2026, 3, 3, 6, 30))
    msg = await an.expect(TITLE, "— Hồ Chí Minh")
    assert msg.buttons == ["Đã đọc ✓"]
    await tick_at(bot, clock, datetime(2026, 3, 3, 6, 31))  # running again never sends twice
    await an.expect_nothing(0.3)
    keys = [r.key for r in await _rows(bot)]
    assert keys.count(f"daily:{(await _person(bot, 5201))}:2026-03-03") == 1


async def _settled(bot, kind: str = "daily") -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    """All rows once the sender has recorded their outcome (the fake may show a message first)."""
    for _ in range(150):
        rows = await _rows(bot, kind)
        if rows and all(r.status not in ("pending", "sending") for r in rows):
            return rows
        await asyncio.sleep(0.02)
    raise AssertionError(f"outbox rows not settled: {[r.status for r in await _rows(bot, kind)]}")


async def _person(bot, tg_id: int) -> int:  # type: ignore[no-untyped-def]
    from storage.models.people import Identity

    async with bot.app.db.session() as s:
        q = select(Identity.person_id).where(Identity.external_id == str(tg_id))
        return (await s.execute(q)).scalar_one()


async def test_chosen_time_weekdays_pause_and_resume(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5202, "Trần Văn An")
    await an.send("/caidat")
    await an.expect("Cài đặt Học Bác mỗi ngày", "06:30", "mỗi ngày")
    await an.press("Đổi giờ nhận")
    await an.expect("mấy giờ")
    await an.send("7h15")
    await an.expect("Đã lưu", "07:15")
    await an.press("Chỉ ngày thường")
    await an.expect("chỉ ngày thường")
    # Tuesday 06:30: not yet; 07:15: yes.
    await tick_at(bot, clock, datetime(2026, 3, 3, 6, 30))
    await an.expect_nothing(0.2)
    await tick_at(bot, clock, datetime(2026, 3, 3, 7, 15))
    await an.expect(TITLE)
    # Saturday 7 March: weekdays only, so nothing.
    await tick_at(bot, clock, datetime(2026, 3, 7, 7, 15))
    await an.expect_nothing(0.2)
    # Pause until Tuesday 10 March (inclusive).
    clock.set(datetime(2026, 3, 8, 20, 0, tzinfo=clock.tz))
    await an.send("/caidat")
    await an.expect("Cài đặt Học Bác mỗi ngày")
    await an.press("Tạm dừng")
    await an.expect("Tạm dừng đến hết ngày nào")
    await an.send("10/03")
    await an.expect("Đã tạm dừng đến hết ngày 10/03/2026")
    await tick_at(bot, clock, datetime(2026, 3, 9, 7, 15))
    await tick_at(bot, clock, datetime(2026, 3, 10, 7, 15))
    await an.expect_nothing(0.2)
    await tick_at(bot, clock, datetime(2026, 3, 11, 7, 15))
    await an.expect(TITLE)
    # Pause again, then resume at once: the next day comes as usual.
    await an.send("/caidat")
    await an.expect("Cài đặt Học Bác mỗi ngày")
    await an.press("Tạm dừng")
    await an.send("20/03")
    await an.expect("Đã tạm dừng")
    await an.press("Nhận lại")
    await an.expect("Đã lưu")
    await tick_at(bot, clock, datetime(2026, 3, 12, 7, 15))
    await an.expect(TITLE)


async def test_bad_time_input_is_reasked(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5203, "Trần Văn An")
    await an.send("/caidat 25:99")
    await an.expect("Giờ phải từ 0 đến 23. Ví dụ: 06:30.")
    await an.send("/caidat")
    await an.expect("Cài đặt Học Bác mỗi ngày")
    await an.press("Đổi giờ nhận")
    await an.send("sáng mai")
    await an.expect("Tôi chưa đọc được giờ này. Đồng chí gõ giờ như 06:30 hoặc 19h.")
    await an.send("6:99")
    await an.expect("Phút phải từ 0 đến 59. Ví dụ: 06:30.")
    await an.send("06:45")
    await an.expect("Đã lưu", "06:45")
    assert bot.app is not None
    prefs = await bot.app.services.get(DailyPrefs).prefs(await _person(bot, 5203))
    assert prefs.minute == 6 * 60 + 45


async def test_catch_up_sends_when_less_than_n_hours_late(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5204, "Trần Văn An")
    await tick_at(bot, clock, datetime(2026, 3, 3, 6, 0))
    # The bot was down from 06:00 to 11:00: 06:30 is 4.5 h late (< 6 h), so it still goes out.
    await tick_at(bot, clock, datetime(2026, 3, 3, 11, 0))
    await an.expect(TITLE)
    rows = await _settled(bot)
    assert [r.status for r in rows] == ["sent", "sent"]  # the member and the secretary
    for row in rows:
        assert row.expires_at is not None
        assert (row.expires_at - row.due_at).total_seconds() == bot.settings.daily_catchup_hours * 3600


async def test_catch_up_skips_and_logs_when_too_late(bot, fake_tg, branch, clock, caplog):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5205, "Trần Văn An")
    await tick_at(bot, clock, datetime(2026, 3, 3, 6, 0))
    with caplog.at_level(logging.WARNING, logger="hocbac.daily"):
        await tick_at(bot, clock, datetime(2026, 3, 3, 12, 45))  # 6 h 15 late
    await an.expect_nothing(0.3)
    assert not await _rows(bot)
    assert any("more than 6 h late" in r.getMessage() for r in caplog.records)


async def test_queued_row_expires_in_the_outbox(bot, fake_tg, branch, clock):
    """A row queued on time but still unsent N hours later is skipped by the sender, not sent late."""
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5206, "Trần Văn An")
    assert bot.app is not None
    clock.set(datetime(2026, 3, 3, 13, 0, tzinfo=clock.tz))
    # Queue as if the tick had run at 06:30 while the sender was down until 13:00.
    since = datetime(2026, 3, 3, 6, 29, tzinfo=clock.tz)
    await bot.app.services.get(DailyDelivery).queue_due(datetime(2026, 3, 3, 6, 30, tzinfo=clock.tz), since)
    await bot.drain()
    await an.expect_nothing(0.3)
    # The secretary is a member too: both rows expired unsent.
    assert [r.status for r in await _rows(bot)] == ["skipped", "skipped"]


async def test_read_button_streak_profile_and_weekly_count(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5207, "Trần Văn An")
    binh = await join_member(bot, fake_tg, branch, 5208, "Lê Bình")
    for day in (3, 4):
        await tick_at(bot, clock, datetime(2026, 3, day, 6, 30))
        await an.expect(TITLE)
        await an.press("Đã đọc")
        await an.expect("Đã ghi nhận", f"Chuỗi ngày đọc: {day - 2} ngày")
        await binh.expect(TITLE)
    await an.press("Đã đọc")  # pressing again the same day changes nothing
    await an.expect("Chuỗi ngày đọc: 2 ngày")
    await an.send("/toi")
    await an.expect("Chuỗi ngày đọc: 2 ngày")
    await an.send("/homnay")
    await an.expect(TITLE)
    await branch.secretary.send("/dadoc")
    week = await branch.secretary.expect("Tuần này")
    assert "1/3 đảng viên" in week.text and "2 lượt" in week.text  # secretary + 2 members; a count only
    assert "Trần Văn An" not in week.text
    # A forged, stale read button is refused.
    await an.press_data(MarkRead(date(2025, 1, 1)).pack(), an.last)
    await an.expect("không còn hiệu lực")


async def test_blocked_member_is_unreachable_and_counted(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5209, "Trần Văn An")
    fake_tg.block(an.id)
    await tick_at(bot, clock, datetime(2026, 3, 3, 6, 30))
    assert sorted(r.status for r in await _settled(bot)) == ["sent", "unreachable"]
    await branch.secretary.send("/dadoc")
    await branch.secretary.expect("1 đảng viên không nhận được tin")


async def test_group_delivery_once_at_branch_time(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5210, "Trần Văn An")
    group = fake_tg.group(-100777, "Chi bộ thôn 1")
    await an.send_in(group, "/lienketnhom")  # a member may not link the group
    await an.expect("chỉ dành cho bí thư", chat=group)
    await branch.secretary.send_in(group, "/lienketnhom 06:00")
    await branch.secretary.expect("đã được liên kết", "06:00", chat=group)
    await tick_at(bot, clock, datetime(2026, 3, 3, 6, 0))
    msg = await branch.secretary.expect(TITLE, chat=group)
    assert msg.buttons == []  # presses in groups are not routed, so no button
    await tick_at(bot, clock, datetime(2026, 3, 3, 6, 30))
    await an.expect(TITLE)  # members still get their own copy
    await branch.secretary.expect_nothing(0.3, chat=group)
    groups = await _rows(bot, "daily_group")
    assert [r.key for r in groups] == [f"daily_group:{branch.branch_id}:2026-03-03"]
    # The private copy and the group copy carry the same item.
    private = an.last
    assert private is not None and msg.text.split("— Hồ Chí Minh")[0] in private.text
    # "Group only": the member's private copy stops while the group is linked.
    await an.send("/caidat")
    await an.expect("Cài đặt Học Bác mỗi ngày")
    await an.press("Chỉ đọc trong nhóm")
    await an.expect("Đã lưu")
    await tick_at(bot, clock, datetime(2026, 3, 4, 6, 30))
    await an.expect_nothing(0.3)
    await branch.secretary.expect(TITLE, chat=group)


async def test_erasure_removes_receipts_and_preferences(bot, fake_tg, branch, clock):
    from bot.features.daily.models import DailyPref, DailyRead

    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5211, "Trần Văn An")
    person = await _person(bot, 5211)
    await an.send("/caidat 07:00")
    await an.expect("Đã lưu")
    await tick_at(bot, clock, datetime(2026, 3, 3, 7, 0))
    await an.expect(TITLE)
    await an.press("Đã đọc")
    await an.expect("Đã ghi nhận")
    await an.send("/xoadulieu")
    await an.expect("Xoá dữ liệu của đồng chí?")
    await an.press("Đồng ý xoá dữ liệu")
    await an.expect("Dữ liệu của đồng chí đã được xoá")
    async with bot.app.db.session() as s:
        assert await s.get(DailyPref, person) is None
        assert (await s.execute(select(DailyRead).where(DailyRead.person_id == person))).first() is None
    await tick_at(bot, clock, datetime(2026, 3, 4, 7, 0))  # an erased person is never queued again
    assert [r.key for r in await _rows(bot) if r.person_id == person] == [f"daily:{person}:2026-03-03"]


async def test_hooks_figures_delivery_time_and_theme(bot, fake_tg, branch, clock):
    from datetime import time as dtime

    from tests.daily.conftest import committee_admin

    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5212, "Trần Văn An")
    await an.send("/caidat 06:40")
    await an.expect("Đã lưu")
    _u, admin = await committee_admin(bot, fake_tg, branch)
    await bot.app.services.get(DailyLibrary).set_theme(admin, branch.org_id, "Chuyên đề thử", ["dao-duc"])
    start = datetime(2026, 3, 3, 0, 0, tzinfo=clock.tz)
    await tick_at(bot, clock, datetime(2026, 3, 3, 6, 40))
    await an.expect(TITLE)
    await an.press("Đã đọc")
    await an.expect("Đã ghi nhận")
    await _settled(bot)
    end = datetime(2026, 3, 4, 0, 0, tzinfo=clock.tz)
    person_5212 = await _person(bot, 5212)  # before the session below: SQLite sessions do not nest
    PROVIDERS = bot.app.services.deps.ext.providers
    async with bot.app.db.session() as s:
        deps = bot.app.services.deps
        figures = await deps.ext.branch_figures(s, deps, branch.branch_id, start, end)
        # Only the member was due at 06:40 (the secretary keeps 06:30), and the member pressed "Đã đọc".
        assert figures["daily_sent"] == 1 and figures["daily_read"] == 1
        assert PROVIDERS.delivery_time is not None and PROVIDERS.year_theme is not None
        assert await PROVIDERS.delivery_time(s, person_5212) == dtime(6, 40)
        assert await PROVIDERS.year_theme(s, branch.org_id, 2026) == ("Chuyên đề thử", ["dao-duc"])
        assert await PROVIDERS.year_theme(s, branch.org_id, 2025) is None
