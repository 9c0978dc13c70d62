"""The secretary's view and export, deadline reminders, the weekly cap and stale returned pledges."""

from __future__ import annotations

from datetime import datetime

from tests.conftest import TZ, join_member
from tests.pledges.conftest import DEEDS, PLEDGE_TICKS, fill_pledge, pledge_and_approve, xlsx_rows


async def _branch_with_four_states(bot, fake_tg, branch):
    """An approved (2 deeds), Bình waiting, Chi returned, Dũng nothing (and the secretary herself)."""
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 6301, "Trần Văn An")
    binh = await join_member(bot, fake_tg, branch, 6302, "Lê Bình")
    chi = await join_member(bot, fake_tg, branch, 6303, "Phạm Chi")
    dung = await join_member(bot, fake_tg, branch, 6304, "Đỗ Dũng")
    await pledge_and_approve(an, branch.secretary, DEEDS)
    await fill_pledge(binh, [("Quét dọn nhà văn hoá", "mỗi tuần một lần", "hằng tuần")], duty="hưu trí")
    await binh.press("Gửi bí thư")
    await binh.expect("Sau khi gửi, bản đăng ký chờ bí thư duyệt")
    await binh.press("Xác nhận gửi")
    await branch.secretary.expect("Phiếu đăng ký mới cần duyệt", "Lê Bình")
    await fill_pledge(chi)
    await chi.press("Gửi bí thư")
    await chi.expect("Sau khi gửi, bản đăng ký chờ bí thư duyệt")
    await chi.press("Xác nhận gửi")
    await branch.secretary.expect("Phiếu đăng ký mới cần duyệt", "Phạm Chi")
    await branch.secretary.press("Trả lại kèm góp ý")
    await branch.secretary.send("cần tiêu chí cụ thể hơn")
    await branch.secretary.expect("Đã trả lại phiếu của Phạm Chi")
    return an, binh, chi, dung


async def test_status_view_and_excel_export(bot, fake_tg, branch):
    await _branch_with_four_states(bot, fake_tg, branch)
    await branch.secretary.send("📋 Tình hình đăng ký")  # the menu button
    status = await branch.secretary.expect("Tình hình đăng ký làm theo năm 2026 — Chi bộ thôn 1")
    for line in (
        "Đã đăng ký: 2/5",
        "✅ Đã duyệt (1): Trần Văn An",
        "📨 Chờ duyệt (1): Lê Bình",
        "↩️ Bị trả lại (1): Phạm Chi",
        "⭕ Chưa đăng ký (2): Nguyễn Thị Lan, Đỗ Dũng",
        "Chưa có đợt kiểm tra nào",
    ):
        assert line in status.text, line
    await branch.secretary.press("Xuất Excel")
    doc = await branch.secretary.expect("mỗi việc làm một dòng")
    assert doc.media == "document"
    rows = xlsx_rows(fake_tg, doc)
    assert rows[0][:9] == [
        "STT",
        "Họ và tên",
        "Chức vụ, nhiệm vụ",
        "Trạng thái phiếu",
        "Lần gửi",
        "Việc số",
        "Việc làm đăng ký",
        "Tiêu chí",
        "Thời gian thực hiện",
    ]
    body = [(r[1], r[3], r[5], r[6], r[7]) for r in rows[1:]]
    assert body == [
        ("Lê Bình", "đang chờ bí thư duyệt", 1, "Quét dọn nhà văn hoá", "mỗi tuần một lần"),
        ("Phạm Chi", "bí thư trả lại để sửa", 1, DEEDS[0][0], DEEDS[0][1]),
        ("Trần Văn An", "đã được bí thư duyệt", 1, DEEDS[0][0], DEEDS[0][1]),
        ("Trần Văn An", "đã được bí thư duyệt", 2, DEEDS[1][0], DEEDS[1][1]),
    ]


async def test_deadline_reminders_weekly_cap_and_stale_returns(bot, fake_tg, branch, clock):
    an, binh, chi, dung = await _branch_with_four_states(bot, fake_tg, branch)
    sec = branch.secretary
    await sec.send("/dangky_caidat")
    await sec.expect("Hạn chót: chưa đặt")
    await sec.press("Đặt hạn chót")
    await sec.expect("Hạn chót đăng ký của chi bộ?")
    await sec.send("20/03/2026")
    await sec.expect("Hạn chót: 20/03/2026")
    # Three days before: one reminder to each member without a submitted/approved pledge.
    clock.set(datetime(2026, 3, 17, 8, 0, tzinfo=TZ))
    await bot.tick(only=PLEDGE_TICKS)
    for user in (chi, dung):
        await user.expect("Nhắc nhẹ", "Hạn chót của chi bộ là 20/03/2026")
    await sec.expect("Nhắc nhẹ")
    clock.set(datetime(2026, 3, 18, 8, 0, tzinfo=TZ))
    await bot.tick(only=PLEDGE_TICKS)
    for user in (an, binh, chi, dung):
        await user.expect_nothing(0.2)
    # The day after: the secretary gets the list.
    clock.set(datetime(2026, 3, 21, 8, 0, tzinfo=TZ))
    await bot.tick(only=PLEDGE_TICKS)
    listing = await sec.expect("Đã qua hạn đăng ký làm theo (20/03/2026)", "Chưa đăng ký (3)")
    assert all(n in listing.text for n in ("Phạm Chi", "Đỗ Dũng", "Nguyễn Thị Lan"))
    assert "Lê Bình" not in listing.text and "Trần Văn An" not in listing.text
    await bot.tick(only=PLEDGE_TICKS)
    await sec.expect_nothing(0.2)
    # "Nhắc người chưa đăng ký": everyone was reminded 4 days ago, so nobody now.
    await sec.send("/dangky_tinhhinh")
    view = await sec.expect("Tình hình đăng ký")
    await sec.press("Nhắc người chưa đăng ký", message=view)
    await sec.expect("Đã xếp lịch nhắc: 0 người", "3 người đã được nhắc trong 7 ngày qua")
    await dung.expect_nothing(0.2)
    clock.set(datetime(2026, 3, 25, 9, 0, tzinfo=TZ))
    await sec.press("Nhắc người chưa đăng ký", message=view)
    await sec.expect("Đã xếp lịch nhắc: 3 người")
    await dung.expect("Nhắc nhẹ")
    await dung.press("Đăng ký ngay")
    await dung.expect("Chức vụ hoặc nhiệm vụ")
    await chi.expect("Nhắc nhẹ")
    await sec.press("Nhắc người chưa đăng ký", message=view)
    await sec.expect("Đã xếp lịch nhắc: 0 người", "3 người")
    await chi.expect_nothing(0.3)
    # The returned pledge (2 March, not sent again) was flagged to the secretary once, after 7 days.
    stale = [e.text for e in sec.bot_events(sec.chat_key) if "đã bị trả lại" in e.text]
    assert stale == [
        "↩️ Phiếu của đồng chí Phạm Chi đã bị trả lại 14 ngày mà chưa được gửi lại. "
        "Đồng chí có thể trao đổi thêm với đồng chí ấy."
    ]
