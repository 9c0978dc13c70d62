"""/hop proposes the branch's usual day, time and place, shows the weekday, and the notice is one tap away."""

from __future__ import annotations

from datetime import date, datetime, time

from bot.features.meetings.scheduling import next_usual_day
from tests.conftest import TZ, join_member


def test_next_usual_day_skips_a_passed_day_and_clamps_short_months():
    assert next_usual_day(5, time(19, 30), datetime(2026, 3, 2, 9, 0, tzinfo=TZ)) == date(2026, 3, 5)
    assert next_usual_day(5, time(19, 30), datetime(2026, 3, 5, 20, 0, tzinfo=TZ)) == date(2026, 4, 5)
    assert next_usual_day(31, time(19, 30), datetime(2026, 2, 10, 9, 0, tzinfo=TZ)) == date(2026, 2, 28)
    assert next_usual_day(5, time(19, 30), datetime(2026, 12, 6, 9, 0, tzinfo=TZ)) == date(2027, 1, 5)


async def test_hop_proposes_the_usual_day_time_and_place_with_weekday(bot, fake_tg, branch):
    an = await join_member(bot, fake_tg, branch, 5401, "Trần Văn An")
    sec = branch.secretary
    await sec.send("/hop")
    await sec.expect("Loại buổi sinh hoạt nào?")
    await sec.press("Định kỳ")
    # The branch's meeting day is the 5th: Thursday 05/03/2026, at the calendar's meeting time.
    ask = await sec.expect("Vào ngày nào?", "Thứ Năm, 05/03/2026")
    await sec.press("Thứ Năm, 05/03/2026", message=ask)  # one tap for the date
    await sec.expect("Lúc mấy giờ?")
    await sec.send("19:45")
    await sec.expect("Ở đâu?")
    await sec.send("Nhà văn hoá thôn 1")
    await sec.expect("Chủ đề")
    await sec.press("Bỏ qua")
    await sec.expect("Đính kèm tài liệu")
    await sec.press("Không có tài liệu")
    done = await sec.expect("Đã lên lịch", "Thứ Năm, 05/03/2026 lúc 19:45")
    await sec.press("Gửi giấy mời", message=done)  # the notice: one tap
    await sec.expect("Đã gửi giấy mời họp tới")
    await an.expect("Giấy mời sinh hoạt", "Nhà văn hoá thôn 1")
    # The next /hop proposes the last meeting's time and place.
    await sec.send("/hop")
    await sec.expect("Loại buổi sinh hoạt nào?")
    await sec.press("Chuyên đề")
    ask = await sec.expect("Vào ngày nào?", "Đề xuất", "lúc 19:45", "Nhà văn hoá thôn 1")
    assert any("Thứ Năm, 05/03/2026" in b for b in ask.buttons), ask.buttons
    await sec.send("12/03")
    time_q = await sec.expect("Lúc mấy giờ?")
    assert "19:45" in time_q.buttons
    await sec.press("19:45")
    place_q = await sec.expect("Ở đâu?")
    assert "📍 Nhà văn hoá thôn 1" in place_q.buttons
    await sec.press("📍 Nhà văn hoá thôn 1")
    await sec.expect("Chủ đề")
    await sec.press("Bỏ qua")
    await sec.expect("Đính kèm tài liệu")
    await sec.press("Không có tài liệu")
    await sec.expect("Đã lên lịch", "Thứ Năm, 12/03/2026 lúc 19:45")
