"""A Zalo bot's month as Zalo runs it: its own "Quota exceeded", its 403 "Internal server error", the plan's
member cap and the forecast (through the real bot, the fake Zalo server enforcing a monthly quota, and a
secretary on Telegram)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.features.zalo_quota.service import ZaloQuotaService
from bot.messages import Button, Reply
from storage.models.outbox import OutboxMessage
from storage.models.people import Identity
from tests.conversations.test_zalo_cross import person_of, queue

ZALO = pytest.mark.parametrize("channel", ["zalo"])


async def row_of(kit, key: str, until=lambda row: row.status not in ("pending", "sending")) -> OutboxMessage:
    """The outbox row under ``key`` once the running sender has dealt with it (``until``)."""
    for _ in range(200):
        async with kit.bot.app.db.session() as s:
            row = (await s.execute(select(OutboxMessage).where(OutboxMessage.key == key))).scalar_one_or_none()
        if row is not None and until(row):
            return row
        await asyncio.sleep(0.02)
    raise AssertionError(f"no settled outbox row {key}")


async def wait_for(predicate, what: str) -> None:
    for _ in range(300):
        if await predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(what)


async def _none_reachable(kit) -> bool:
    return not any(ident.reachable for ident in await identities(kit))


async def identities(kit) -> list[Identity]:
    async with kit.bot.app.db.session() as s:
        return list((await s.execute(select(Identity).where(Identity.channel == "zalo"))).scalars())


@ZALO
async def test_month_runs_out_mid_day_then_resumes_on_the_first(kit, clock):
    an = await kit.join("5301", "Trần Văn An")
    app, fake, sec = kit.bot.app, kit.zalo, kit.branch.secretary
    fake.clock = clock.now
    fake.monthly_quota = fake.quota_used() + 2  # two more messages this month, then Zalo says no
    person = await person_of(kit, "zalo", "z5301")
    await an.send("/toi")
    await an.expect("👤")
    await queue(kit, person, "meeting_notice:b:1", "meeting_notice", Reply("Thông báo họp chi bộ ngày 05/03"))
    await an.expect("Thông báo họp chi bộ ngày 05/03")  # the month's last message
    # Mid-day: the daily item meets Zalo's 429 "Quota exceeded".
    await queue(kit, person, "daily:b:1", "daily", Reply("📖 Bài hôm nay"))
    told = await sec.expect("Zalo báo đã hết hạn mức", kit.branch.name, "01/04/2026")
    assert "<b>" in told.html  # on Telegram, where the secretary is
    assert (await row_of(kit, "daily:b:1")).status == "skipped"  # a daily item belongs to its day
    quota = app.services.get(ZaloQuotaService)
    assert await quota.is_exhausted("main") and await quota.is_full("main")  # the month is full, whatever we counted
    # Every non-reply kind now waits for the 1st of next month; nothing is lost that matters.
    await queue(kit, person, "meeting_notice:b:2", "meeting_notice", Reply("Thông báo họp chi bộ tháng 4"))
    held = await row_of(kit, "meeting_notice:b:2", until=lambda r: r.last_error)
    assert held.status == "pending" and "next month" in (held.last_error or "")
    assert held.due_at.replace(tzinfo=held.due_at.tzinfo or clock.now().tzinfo) >= datetime(2026, 4, 1, 1, 0,
                                                                                          tzinfo=clock.now().tzinfo)
    # A direct reply that cannot go out: information is kept (a newcomer's "request sent"), a menu is not (the
    # profile with its choices: numbered choices are stale next month).
    binh = kit.zalo_user("5302", "Lê Thị Bình")
    await binh.send(await kit.branch.join_code(kit.bot))
    await sec.expect("xin tham gia", "Lê Thị Bình")  # the secretary still hears it, on Telegram
    await an.send("/toi")
    await wait_for(lambda: _count_replies(kit), "the two refused replies were not queued")
    replies = await _reply_rows(kit)
    kept = [r for r in replies if r.status == "pending"]
    dropped = [r for r in replies if r.status == "skipped"]
    assert len(kept) == 1 and "đã được gửi tới bí thư" in kept[0].payload["text"], replies
    assert len(dropped) == 1 and "👤" in dropped[0].payload["text"] and "menu" in (dropped[0].last_error or "")
    # Another refusal does not tell the secretary twice.
    await queue(kit, person, "daily:b:2", "daily", Reply("📖 Bài chiều"))
    assert (await row_of(kit, "daily:b:2")).status == "skipped"
    await sec.expect_nothing(within=0.4)
    assert not any("Bài hôm nay" in m.text or "Bài chiều" in m.text or "tháng 4" in m.text for m in an.messages())
    # The 1st of next month, 08:00 Vietnam time: the held notice and the kept reply go out; replies work again.
    fake.monthly_quota = 3000  # a fresh month of the free plan
    clock.set(datetime(2026, 4, 1, 8, 1, tzinfo=clock.now().tzinfo))
    app.sender.wake()
    await an.expect("Thông báo họp chi bộ tháng 4")
    await binh.expect("đã được gửi tới bí thư")
    await an.send("/toi")
    await an.expect("👤")
    assert not await quota.is_exhausted("main")


async def _reply_rows(kit) -> list[OutboxMessage]:
    async with kit.bot.app.db.session() as s:
        return list((await s.execute(select(OutboxMessage).where(OutboxMessage.kind == "reply"))).scalars())


async def _count_replies(kit) -> bool:
    """Both refused replies are in the outbox and the gate has dealt with them (held with a reason, or skipped)."""
    rows = await _reply_rows(kit)
    return len(rows) == 2 and all(r.status == "skipped" or (r.status == "pending" and r.last_error) for r in rows)


@ZALO
async def test_403_storm_leaves_every_member_reachable(kit, clock):
    members = [await kit.join(f"54{i:02d}", f"Đảng viên {i}") for i in range(3)]
    fake = kit.zalo
    fake.fail_next("sendMessage", status=403, error_code=403, times=9)  # Zalo: "Internal server error"
    for i in range(len(members)):
        person = await person_of(kit, "zalo", f"z54{i:02d}")
        await queue(kit, person, f"meeting_notice:storm:{i}", "meeting_notice", Reply(f"Thông báo số {i}"))
    for _ in range(40):  # back off on the fake clock until the storm has passed
        if not fake.stats["failed"] < 9:
            break
        await asyncio.sleep(0.05)
    for i, member in enumerate(members):
        for _ in range(60):
            if any(f"Thông báo số {i}" in m.text for m in member.messages()):
                break
            clock.advance(timedelta(seconds=30))
            kit.bot.app.sender.wake()
            await asyncio.sleep(0.05)
        await member.expect(f"Thông báo số {i}")
    assert fake.stats["failed"] == 9
    assert all(ident.reachable for ident in await identities(kit))


@ZALO
async def test_unreachable_only_after_consistent_blocking_over_days(kit, clock):
    an = await kit.join("5501", "Lê Văn An")
    person = await person_of(kit, "zalo", "z5501")
    kit.zalo.block("z5501")  # the fake says: 403 "... blocked the bot"
    for day in range(3):
        await queue(kit, person, f"meeting_notice:block:{day}", "meeting_notice", Reply(f"Tin {day}"))
        row = await row_of(kit, f"meeting_notice:block:{day}")
        assert row.status == "unreachable"
        # One answer, then two within two days: not proof yet. The third, two days after the first: marked.
        if day < 2:
            await asyncio.sleep(0.2)
            assert all(ident.reachable for ident in await identities(kit)), day
        else:
            await wait_for(lambda: _none_reachable(kit), "not marked unreachable after the third failure")
        clock.advance(timedelta(days=1, minutes=1))
    assert not an.messages() or all("Tin" not in m.text for m in an.messages())


def _said(user, fragment: str) -> list[str]:
    return [e.text for e in user.bot_events(user.chat_key) if fragment in e.text]


async def _async(value: object) -> bool:
    return bool(value)


@pytest.fixture
def kit_extra(request):
    return getattr(request, "param", {})


@ZALO
@pytest.mark.parametrize("kit_extra", [{"zalo_member_cap": 3, "zalo_member_warn": 2}], indirect=True)
async def test_member_cap_warns_then_refuses_politely(kit):
    await kit.join("5601", "Người một")
    sec = kit.branch.secretary
    assert not _said(sec, "sắp đủ người")
    await kit.join("5602", "Người hai")  # the second of three: the warning threshold
    await wait_for(lambda: _async(_said(sec, "sắp đủ người")), "no member-cap warning")
    assert "phục vụ 2 người" in _said(sec, "sắp đủ người")[0] and "cho phép 3 người" in _said(sec, "sắp đủ người")[0]
    await kit.join("5603", "Người ba")
    await asyncio.sleep(0.3)
    assert len(_said(sec, "sắp đủ người")) == 1  # warned once
    fourth = kit.zalo_user("5604", "Người bốn")
    await fourth.send(await kit.branch.join_code(kit.bot))
    await fourth.expect("đã đủ 3 người", "Telegram")
    await kit.branch.secretary.expect_nothing(within=0.3)  # no request reaches the secretary
    # Someone already on the bot is not refused (no new seat).
    third = kit.zalo_user("5603", "Người ba")
    await third.send("/toi")
    await third.expect("👤")


@ZALO
@pytest.mark.parametrize("kit_extra", [{"zalo_bot_plans": "main=80/50"}], indirect=True)
async def test_forecast_in_baocao_and_the_80_percent_warning(kit, clock):
    await kit.join("5701", "Người một")
    await kit.join("5702", "Người hai")
    quota = kit.bot.app.services.get(ZaloQuotaService)
    f = await quota.forecast("main")
    assert f is not None and f.members == 2 and f.daily == 2 * 31  # March: 31 daily items each
    assert f.percent >= 80
    # `hocbac zalo check` prints the same forecast, read from the database.
    from bot.commands.zalo import budget_lines

    head, line = await budget_lines(kit.bot.app.settings, "main", clock.now())
    assert "plan 80 messages a month, 50 members per bot" in head
    assert line.startswith(f"! forecast this month: {f.total} of 80 ({f.percent}%)") and "2 members" in line
    sec = kit.branch.secretary
    await sec.send("/baocao")
    await sec.expect("khoảng thời gian nào")
    await sec.press("Tháng này")
    report = await sec.expect("Dự báo Zalo cả tháng")
    assert f"{f.total} tin ({f.percent}% hạn mức)" in report.text and "2/50 người" in report.text
    await kit.bot.tick(clock.now(), only=["zalo_forecast"])
    await sec.expect("Dự báo tin nhắn Zalo", f"{f.percent}%", "/lienketnhom")
    await kit.bot.tick(clock.now() + timedelta(hours=1), only=["zalo_forecast"])
    await sec.expect_nothing(within=0.4)  # once a month


@ZALO
async def test_read_acknowledgement_is_silent_on_zalo(kit):
    an = await kit.join("5801", "Trần Văn Đọc")
    person = await person_of(kit, "zalo", "z5801")
    day = kit.bot.app.clock.now().astimezone(kit.bot.app.settings.tz).date()
    from bot.features.daily.callbacks import MarkRead

    await queue(kit, person, "daily:ack:1", "daily",
                Reply("📖 Bài hôm nay", buttons=[[Button("Đã đọc ✓", MarkRead(day).pack())]]))
    await an.expect("Bài hôm nay")
    before = kit.zalo.quota_used()
    await an.press("Đã đọc ✓")
    await an.expect_nothing(within=0.5)
    assert kit.zalo.quota_used() == before  # it cost nothing
    from bot.features.daily.reading import DailyReading

    assert await kit.bot.app.services.get(DailyReading).streak(person) == 1  # recorded all the same


@ZALO
@pytest.mark.parametrize("kit_extra", [{}, {"zalo_prefer_group_daily": False}], indirect=True)
async def test_a_linked_zalo_group_carries_the_daily_item_for_its_zalo_members(kit, clock, kit_extra):
    from sqlalchemy import update

    from bot.features.daily.models import DEFAULT_MINUTE, BranchDaily
    from storage.models.org import Branch

    an = await kit.join("5901", "Trần Văn Nhóm")
    group = kit.zalo.user("zg5900", "Nhóm chi bộ", chat_id="zgroup5900", group=True)
    async with kit.bot.app.db.session() as s:
        await s.execute(update(Branch).where(Branch.id == kit.branch.branch_id)
                        .values(group_channel="zalo", group_chat_id="zgroup5900", group_bot="main"))
        s.add(BranchDaily(branch_id=kit.branch.branch_id, minute=DEFAULT_MINUTE))
    tomorrow = clock.now().astimezone(kit.bot.app.settings.tz).date() + timedelta(days=1)
    clock.set(datetime.combine(tomorrow, datetime.min.time(), tzinfo=kit.bot.app.settings.tz)
              + timedelta(minutes=DEFAULT_MINUTE))
    assert await kit.bot.tick(only=["daily"]) == {"daily": "ok"}
    kit.bot.app.sender.wake()
    await wait_for(lambda: _async(kit.zalo.messages_for("zgroup5900")), "the group got no daily item")
    private = [r for r in await _rows_of_kind(kit, "daily") if r.channel == "zalo"]  # the secretary is on Telegram
    if kit_extra.get("zalo_prefer_group_daily") is False:
        assert len(private) == 1  # the old way: one private message as well
    else:
        assert private == []  # one message a day for the branch, not one per member
        await an.expect_nothing(within=0.4)
    assert group.chat_id == "zgroup5900"


async def _rows_of_kind(kit, kind: str) -> list[OutboxMessage]:
    async with kit.bot.app.db.session() as s:
        return list((await s.execute(select(OutboxMessage).where(OutboxMessage.kind == kind))).scalars())
