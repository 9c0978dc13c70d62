"""Dates and times typed the way people write them, in real flows (issue #20, part 4).

The test clock stands at Monday 02/03/2026 09:00 (Asia/Ho_Chi_Minh). A member reports deeds and fills a pledge
on Telegram and on Zalo; the secretary schedules meetings and a notice on Telegram.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from bot.features.deeds.models import Deed
from bot.features.meetings.models import Meeting
from tests.conftest import TZ
from tests.conversations.test_both_channels import no_tags

BOTH = pytest.mark.parametrize("channel", ["telegram", "zalo"])


@pytest.fixture(autouse=True)
def _no_rate_limits(fake_tg) -> None:
    fake_tg.limits.enabled = False


async def _deed_days(kit) -> list[date]:
    async with kit.bot.app.db.session() as s:
        return [d.day for d in (await s.execute(select(Deed).order_by(Deed.id))).scalars().all()]


async def _meetings(kit) -> list[datetime]:
    async with kit.bot.app.db.session() as s:
        rows = (await s.execute(select(Meeting).order_by(Meeting.id))).scalars().all()
    return [m.starts_at.astimezone(TZ).replace(tzinfo=None) for m in rows]


async def _report(kit, member, text: str, day: str, *refused: tuple[str, str]) -> None:
    """A deed through the guided form: first the ``refused`` days (each with its error), then ``day``."""
    await member.send("viec tot" if kit.channel == "zalo" else "/viectot")
    await member.expect("Đồng chí đã làm việc tốt gì?")
    await member.send(text)
    await member.expect("Gửi việc tốt này?")  # the two-tap path offers "send now"; the date is a detail
    await member.press("Thêm ảnh, ngày, loại")
    asked = await member.expect("Việc đó vào ngày nào?")
    assert "NN/TT" not in asked.text and "“hôm kia”" in asked.text and "28/02" in asked.text
    for wrong, error in refused:
        await member.send(wrong)
        await member.expect("⚠️ " + error)
    await member.send(day)
    await member.expect("thuộc loại nào?")
    await member.press("giúp đỡ nhân dân")
    await member.expect("Gửi tối đa 3 ảnh")
    await member.press("Không có ảnh")
    await member.expect("nhóm chi bộ không?")
    await member.press("Có, được chia sẻ")
    await member.expect("kiểm tra lại việc tốt")
    await member.press("Gửi")
    await member.expect("Việc tốt đã được lưu")


@BOTH
async def test_a_member_types_deed_days_in_words_and_numbers(kit):
    an = await kit.join("5801", "Trần Văn An")
    await _report(kit, an, "Giúp bà Tư hàng xóm sửa lại mái bếp bị dột", "hôm kia")
    await _report(kit, an, "Dọn vệ sinh đường làng cùng đoàn thanh niên", "thu hai tuan truoc")
    await _report(kit, an, "Đưa cụ Năm đi khám bệnh ở trạm y tế xã", "hom qua")
    await _report(kit, an, "Quyên góp sách vở cho học sinh nghèo", "27.02",
                  ("31/02", "Tháng 2 năm 2026 chỉ có 28 ngày. Ví dụ: 28/02/2026."))
    await _report(kit, an, "Hướng dẫn bà con khai báo bảo hiểm y tế", "26-02",
                  ("05/03", "Ngày 05/03/2026 chưa tới. Đồng chí chọn ngày từ hôm nay trở về trước, "
                            "ví dụ: 02/03/2026."),
                  ("xem nào", "Tôi chưa đọc được ngày này. Đồng chí gõ ngày và tháng, ví dụ: 02/03/2026, "
                              "hoặc gõ “hôm qua”."))
    assert await _deed_days(kit) == [
        date(2026, 2, 28), date(2026, 2, 23), date(2026, 3, 1), date(2026, 2, 27), date(2026, 2, 26),
    ]
    no_tags(an)


@BOTH
async def test_a_pledge_deed_timetable_is_checked(kit):
    an = await kit.join("5802", "Trần Văn An")
    await an.send("/dangky")
    await an.expect("Chức vụ hoặc nhiệm vụ")
    await an.send("giáo viên")
    await an.expect("Việc làm 1:")
    await an.send("Giúp hai hộ nghèo làm hồ sơ vay vốn chăn nuôi")
    await an.expect("Việc làm 1: đo kết quả")
    await an.send("hai hộ được vay vốn")
    asked = await an.expect("Việc làm 1: khi nào?")
    assert "2026" in asked.text and "2025" not in asked.text  # the example is this year's
    await an.send("tháng 13/2026")
    await an.expect("⚠️ Tháng phải từ 1 đến 12. Ví dụ: tháng 12/2026; quý IV/2026; hằng tháng.")
    await an.send("tháng 1/2026")
    await an.expect("⚠️ Tháng 1/2026 đã qua.")
    await an.send("quý 5/2026")
    await an.expect("⚠️ Quý chỉ có I, II, III hoặc IV.")
    await an.send("hằng tháng")
    await an.expect("1 việc làm")
    await an.press("Thêm việc làm khác")
    await an.send("Vận động bà con trồng cây")
    await an.expect("Việc làm 2: đo kết quả")
    await an.send("100 cây")
    await an.expect("Việc làm 2: khi nào?")
    await an.send("quý I/2027")
    await an.expect("2 việc làm")
    no_tags(an)


async def _finish_meeting(sec, place: str | None = None) -> None:
    """The /hop questions after the day and the time: the place (typed or skipped), no topic, no document."""
    await sec.expect("Ở đâu?")
    if place is None:
        await sec.press("Bỏ qua")
    else:
        await sec.send(place)
    await sec.expect("Chủ đề")
    await sec.press("Bỏ qua")
    await sec.expect("Đính kèm tài liệu")
    await sec.press("Không có tài liệu")


async def test_the_secretary_schedules_meetings_with_dates_in_words(kit):
    sec = kit.branch.secretary
    # 1) "thứ 6 tuần này", then the time in words; the weekday is shown back.
    await sec.send("/hop")
    await sec.expect("Loại buổi sinh hoạt nào?")
    await sec.press("Định kỳ")
    asked = await sec.expect("Vào ngày nào?", "03/03/2026")  # the example is tomorrow
    assert "NN/TT" not in asked.text
    await sec.send("thứ 6 tuần này")
    await sec.expect("Thứ Sáu, 06/03/2026", "Lúc mấy giờ?")
    await sec.send("25h")
    await sec.expect("⚠️ Giờ phải từ 0 đến 23. Ví dụ: 19:30.")
    await sec.send("7 giờ tối")
    await _finish_meeting(sec)
    await sec.expect("Đã lên lịch", "19:00", "06/03/2026")
    # 2) a wrong day, a past day, then the day and the time in one message.
    await sec.send("/hop")
    await sec.expect("Loại buổi sinh hoạt nào?")
    await sec.press("Chuyên đề")
    await sec.expect("Vào ngày nào?")
    await sec.send("31/11")
    await sec.expect("⚠️ Tháng 11 chỉ có 30 ngày. Ví dụ: 30/11/2026.")
    await sec.send("28/13")
    await sec.expect("⚠️ Tháng phải từ 1 đến 12. Ví dụ: 03/03/2026.")
    await sec.send("hôm qua")
    await sec.expect("⚠️ Ngày 01/03/2026 đã qua. Đồng chí chọn ngày từ hôm nay trở đi, ví dụ: 03/03/2026.")
    await sec.send("19h 28/11")
    await _finish_meeting(sec, place="Nhà văn hoá thôn 2")  # no time question: it came with the day
    await sec.expect("Đã lên lịch", "19:00", "28/11/2026")
    # 3) "mai" and "19h30"; "28.11" alone would be a day, "19.30" alone a time.
    await sec.send("/hop")
    await sec.expect("Loại buổi sinh hoạt nào?")
    await sec.press("Định kỳ")
    await sec.expect("Vào ngày nào?")
    await sec.send("mai")
    await sec.expect("Thứ Ba, 03/03/2026", "Lúc mấy giờ?")
    await sec.send("19.30")
    await _finish_meeting(sec)
    await sec.expect("Đã lên lịch", "19:30", "03/03/2026")
    assert await _meetings(kit) == [
        datetime(2026, 3, 6, 19, 0), datetime(2026, 11, 28, 19, 0), datetime(2026, 3, 3, 19, 30),
    ]


async def test_a_notice_scheduled_with_words(kit):
    sec = kit.branch.secretary
    await sec.send("/thongbao")
    await sec.expect("Gõ nội dung")
    await sec.send("Họp chi bộ mở rộng")
    await sec.expect("Gửi cho ai?")
    await sec.press("Toàn chi bộ")
    await sec.expect("Khi nào gửi?")
    await sec.press("Hẹn giờ gửi")
    asked = await sec.expect("Đồng chí gõ giờ và ngày gửi, ví dụ: 11:00 02/03/2026")
    assert "GG:PP" not in asked.text
    await sec.send("19h")
    await sec.expect("⚠️ Đồng chí gõ cả giờ và ngày, ví dụ: 11:00 02/03/2026.")
    await sec.send("7 giờ tối ngày mai")
    await sec.expect("Thêm nút")
    await sec.press("Không")
    await sec.expect("lúc 19:00 03/03/2026?")
