"""Meetings (RSVP, check-in by code, attendance, rates) and the secretary's reminders through the fake."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.features.branch_settings.service import BranchSettingsService
from bot.features.meetings.models import Meeting
from bot.features.meetings.rates import MeetingRates
from storage.models.outbox import OutboxMessage
from tests.conftest import TZ, join_member


def _count(fake_tg, uid: int, fragment: str) -> int:
    return sum(1 for m in fake_tg.messages_for(uid) if fragment in m.visible)


async def test_reminders_fire_once_across_restart_and_not_in_quiet_hours(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    svc = bot.app.services.get(BranchSettingsService)
    await svc.update(branch.secretary_actor, branch.branch_id, meeting_day=9, reminder_time="06:00")
    sec = branch.secretary
    uid = sec.id
    await bot.tick(only=["secretary_reminders"])  # 02/03 09:00: 7 days before the 9th; Q1 has no thematic
    await sec.expect("còn 7 ngày nữa đến buổi sinh hoạt định kỳ", "19:30 09/03/2026")
    await sec.expect("quý này chưa có lịch sinh hoạt chuyên đề")
    await bot.tick(only=["secretary_reminders"])
    await bot.restart()
    await bot.tick(only=["secretary_reminders"])
    await sec.expect_nothing(0.5)
    assert _count(fake_tg, uid, "còn 7 ngày nữa") == 1 and _count(fake_tg, uid, "chuyên đề.") == 1
    clock.set(datetime(2026, 3, 8, 6, 30, tzinfo=TZ))  # after the reminder time, inside quiet hours
    await bot.tick(only=["secretary_reminders"])
    await sec.expect_nothing(0.5)
    clock.set(datetime(2026, 3, 8, 7, 5, tzinfo=TZ))
    await bot.tick(only=["secretary_reminders"])
    tomorrow = await sec.expect("ngày mai sinh hoạt định kỳ")
    assert tomorrow.buttons == ["📨 Gửi giấy mời họp cho đảng viên"]
    clock.set(datetime(2026, 6, 26, 10, 0, tzinfo=TZ))
    await bot.tick(only=["secretary_reminders"])
    mid = await sec.expect("Sơ kết 6 tháng", "Số đảng viên: 1")
    assert "6 tháng đầu năm 2026" in mid.text
    clock.set(datetime(2026, 12, 16, 10, 0, tzinfo=TZ))
    await bot.tick(only=["secretary_reminders"])
    await sec.expect("Tổng kết năm", "năm 2026")
    await bot.restart()
    await bot.tick(only=["secretary_reminders"])
    await sec.expect_nothing(0.5)
    for fragment in ("ngày mai sinh hoạt", "Sơ kết 6 tháng", "Tổng kết năm"):
        assert _count(fake_tg, uid, fragment) == 1, fragment
    async with bot.app.db.session() as s:
        keys = sorted(
            (await s.execute(select(OutboxMessage.key).where(OutboxMessage.kind == "reminder"))).scalars()
        )
    kinds = [k.split(":")[1] for k in keys]
    assert sorted(kinds) == ["meeting1", "meeting7", "midyear", "thematic", "thematic", "thematic", "yearend"]


async def test_meeting_rsvp_checkin_attendance_and_rates(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5301, "Trần Văn An")
    binh = await join_member(bot, fake_tg, branch, 5302, "Lê Bình")
    chi = await join_member(bot, fake_tg, branch, 5303, "Phạm Chi")
    sec = branch.secretary
    await sec.send("/hop")
    await sec.expect("Loại buổi sinh hoạt nào?")
    await sec.press("Chuyên đề")
    await sec.expect("Vào ngày nào?")
    await sec.send("01/03")
    await sec.expect("Ngày 01/03/2026 đã qua", "ví dụ: 03/03/2026")
    await sec.send("05/03")
    await sec.expect("Lúc mấy giờ?")
    await sec.send("03:00")
    await sec.expect("Họp lúc 03:00: đồng chí chắc chắn?")
    await sec.press("Không, đổi giờ")
    await sec.expect("Lúc mấy giờ?")
    await sec.press("19:30")
    await sec.expect("Ở đâu?")
    await sec.send("Nhà văn hoá thôn 1")
    await sec.expect("Chủ đề")
    await sec.send("Học tập tấm gương đạo đức Hồ Chí Minh về tiết kiệm")
    await sec.expect("Đính kèm tài liệu")
    await sec.press("Không có tài liệu")
    done = await sec.expect("Đã lên lịch: sinh hoạt chuyên đề, Thứ Năm, 05/03/2026 lúc 19:30", "Mã điểm danh")
    await sec.press("Gửi giấy mời họp cho đảng viên", message=done)
    await sec.expect("Đã gửi giấy mời họp tới 4 đảng viên")
    notice = await an.expect("Giấy mời sinh hoạt", "Nhà văn hoá thôn 1")
    assert notice.buttons == ["✅ Tôi sẽ dự", "🙏 Xin vắng"]
    await an.press("Tôi sẽ dự")
    await an.expect("đồng chí sẽ dự")
    await binh.expect("Giấy mời sinh hoạt")
    await binh.press("Xin vắng")
    await binh.expect("lý do")
    await binh.send("Đi công tác")
    await binh.expect("đồng chí xin vắng")
    # A day before, the one who has not answered (Chi, and the secretary) gets one reminder.
    clock.set(datetime(2026, 3, 4, 20, 0, tzinfo=TZ))
    await bot.tick(only=["secretary_reminders"])
    await chi.expect("chưa cho biết có dự sinh hoạt không")
    await bot.tick(only=["secretary_reminders"])
    await an.expect_nothing(0.3)
    assert _count(fake_tg, chi.id, "chưa cho biết") == 1
    async with bot.app.db.session() as s:
        m = (await s.execute(select(Meeting))).scalars().one()
    # At the meeting: Chi checks in with the code read out; a wrong code is refused.
    clock.set(datetime(2026, 3, 5, 19, 40, tzinfo=TZ))
    await chi.send("/comat 0000" if m.checkin_code != "0000" else "/comat 1111")
    await chi.expect("Mã điểm danh không khớp")
    await chi.send(f"/comat {m.checkin_code}")
    await chi.expect("đã điểm danh tại buổi sinh hoạt chuyên đề ngày 05/03/2026")
    await sec.send("/diemdanh")
    await sec.expect("Buổi sinh hoạt nào?")
    await sec.press("05/03 19:30")
    sheet = await sec.expect("Điểm danh", "Có mặt 1/4", "chưa đánh dấu 3")
    await sec.press("Tất cả có mặt", message=sheet)
    await sec.expect("Có mặt 4/4", "chưa đánh dấu 0")
    # Bình apologised: one tap makes the exception "vắng có lý do", with the reason given in the RSVP.
    await sec.press("Lê Bình", message=sheet)
    edited = await sec.expect("Có mặt 3/4", "vắng có lý do 1", "Lê Bình (−) — lý do: Đi công tác")
    assert edited.edited and "2.✅ Nguyễn Thị Lan" in edited.buttons and "1.🟡 Lê Bình (−)" in edited.buttons
    meetings = bot.app.services.get(MeetingRates)
    actor = branch.secretary_actor
    rate = await meetings.rate(actor, m.id)
    assert (rate.present, rate.expected, rate.pct) == (3, 4, 75.0)
    year = await meetings.branch_year_rate(actor, branch.branch_id, 2026)
    assert (year.present, year.expected) == (3, 4)
    async with bot.app.db.session() as s:
        from storage.models.people import Person

        binh_id = (await s.execute(select(Person.id).where(Person.display_name == "Lê Bình"))).scalar_one()
    member = await meetings.member_year_rate(actor, branch.branch_id, binh_id, 2026)
    assert (member.present, member.expected) == (0, 1)
