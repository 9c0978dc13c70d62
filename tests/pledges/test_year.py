"""Through the year: check-in rounds, the mid-year prompt, and the year-end draft built from records."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.features.pledges.models import PledgeCheckin, PledgeItem
from storage.models.outbox import OutboxMessage
from tests.conftest import TZ, join_member
from tests.pledges.conftest import DEEDS, PLEDGE_TICKS, pledge_and_approve, xlsx_rows


async def _tick_at(bot, clock, *args: int) -> None:
    clock.set(datetime(*args, tzinfo=TZ))
    await bot.tick(only=PLEDGE_TICKS)


async def test_checkin_round_one_message_each_answered_and_counted(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 6201, "Trần Văn An")
    binh = await join_member(bot, fake_tg, branch, 6202, "Lê Bình")
    await pledge_and_approve(an, branch.secretary, DEEDS)
    await pledge_and_approve(binh, branch.secretary)
    # 1 April at 22:00 is quiet: the round is queued for the morning, not sent.
    await _tick_at(bot, clock, 2026, 4, 1, 22, 0)
    await an.expect_nothing(0.3)
    await _tick_at(bot, clock, 2026, 4, 2, 7, 1)
    msg = await an.expect("Kiểm tra việc làm theo — tháng 3/2026", DEEDS[0][0], DEEDS[1][0])
    assert msg.buttons[:3] == ["✓ Việc 1", "⏳ Việc 1", "✗ Việc 1"] and "📝 Thêm ghi chú" in msg.buttons
    await binh.expect("Kiểm tra việc làm theo — tháng 3/2026")
    await _tick_at(bot, clock, 2026, 4, 3, 9, 0)  # a later tick in the same month repeats nothing
    await an.expect_nothing(0.3)
    await binh.expect_nothing(0.1)
    await an.press("✓ Việc 1", message=msg)
    await an.expect("✓ đã làm")
    await an.press("⏳ Việc 2", message=msg)
    done = await an.expect("⏳ đang làm", "Câu trả lời đã được lưu")
    assert done.edited and done.message_id == msg.message_id  # edited in place: one message, a few taps
    await an.press("Thêm ghi chú", message=msg)
    await an.expect("Ghi chú của đồng chí cho lần kiểm tra này")
    await an.send("đã nộp hồ sơ cho ngân hàng")
    await an.expect("Ghi chú: đã nộp hồ sơ cho ngân hàng")
    # Bình's buttons cannot answer An's check-in.
    await binh.press_data(msg.button_data[0][1], binh.last)
    await binh.expect("không có quyền")
    assert bot.app is not None
    async with bot.app.db.session() as s:
        sent = (
            await s.execute(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "pledge_checkin")
            )
        ).scalar_one()
        answered = (
            await s.execute(
                select(func.count()).select_from(PledgeCheckin).where(PledgeCheckin.answered_at.is_not(None))
            )
        ).scalar_one()
    assert (sent, answered) == (2, 1)
    await branch.secretary.send("/dangky_tinhhinh")
    await branch.secretary.expect("Kiểm tra gần nhất (tháng 3/2026): 1/2 đã trả lời (50%)")
    deps = bot.app.services.deps
    async with bot.app.db.session() as s:
        figures = await deps.ext.branch_figures(
            s, deps, branch.branch_id, datetime(2026, 1, 1, tzinfo=TZ), datetime(2026, 12, 31, tzinfo=TZ)
        )
    assert {k: figures[k] for k in ("pledged", "pledges_approved", "checkin_sent", "checkin_answered")} == {
        "pledged": 2,
        "pledges_approved": 2,
        "checkin_sent": 2,
        "checkin_answered": 1,
    }


async def test_quarterly_branch_gets_no_monthly_round(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 6203, "Trần Văn An")
    await pledge_and_approve(an, branch.secretary)
    await branch.secretary.send("/dangky_caidat")
    await branch.secretary.expect("Kiểm tra: hằng tháng")
    await branch.secretary.press("Kiểm tra hằng quý")
    await branch.secretary.expect("Kiểm tra: hằng quý")
    await _tick_at(bot, clock, 2026, 5, 4, 9, 0)
    await an.expect_nothing(0.3)
    await _tick_at(bot, clock, 2026, 7, 1, 9, 0)
    await an.expect("Kiểm tra việc làm theo — quý 2/2026")


async def test_a_members_year(bot, fake_tg, branch, clock, monkeypatch, tmp_path: Path):
    """Pledge in March, check-ins in April and May, the June prompt, the year-end draft in November."""
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 6204, "Trần Văn An")
    await pledge_and_approve(an, branch.secretary, DEEDS)
    assert bot.app is not None
    async with bot.app.db.session() as s:
        item1 = (await s.execute(select(PledgeItem.id).order_by(PledgeItem.id))).scalars().first()

    async def deeds_for(_s, item_ids):  # what the deeds feature will provide: a deed linked to deed 1
        return (
            {item1: [(date(2026, 5, 10), "Đưa hai hộ lên xã làm hồ sơ vay vốn")]} if item1 in item_ids else {}
        )

    monkeypatch.setattr(bot.app.services.deps.ext.providers, "deeds_for_pledge_items", deeds_for)
    await _tick_at(bot, clock, 2026, 4, 1, 8, 0)
    await an.expect("tháng 3/2026")
    await an.press("⏳ Việc 1")
    await an.press("✓ Việc 2")
    await an.expect("Câu trả lời đã được lưu")
    await _tick_at(bot, clock, 2026, 5, 1, 8, 0)
    await an.expect("tháng 4/2026")
    await an.press("✓ Việc 1")
    await an.press("✓ Việc 2")
    await an.press("Thêm ghi chú")
    await an.expect("Ghi chú của đồng chí cho lần kiểm tra này")
    await an.send("hai hộ đã nhận vốn")
    await an.expect("Ghi chú: hai hộ đã nhận vốn")
    await _tick_at(bot, clock, 2026, 6, 1, 8, 0)
    await an.expect("Nửa năm: đồng chí tự đánh giá thế nào?")
    await an.press("Viết tự đánh giá giữa năm")
    await an.expect("Nửa năm: đồng chí tự đánh giá thế nào?", "Ví dụ")
    await an.send("việc 1 đã xong, việc 2 làm đều đặn")
    await an.expect("Tự đánh giá giữa năm đã được lưu")
    await _tick_at(bot, clock, 2026, 6, 20, 8, 0)  # still June: asked once only
    await an.expect_nothing(0.3)
    await an.send("/camket")
    card = await an.expect(
        "Phiếu đăng ký học tập và làm theo Bác — năm 2026",
        "Kiểm tra: ✓ 1 · ⏳ 1 · ✗ 0",
        "10/05: Đưa hai hộ lên xã làm hồ sơ vay vốn",
    )
    assert card.text.count("Kiểm tra: ✓ 2 · ⏳ 0 · ✗ 0") == 1
    # Before the branch's review window (default 15/11–31/12): no draft, and a polite "when".
    await _tick_at(bot, clock, 2026, 11, 2, 8, 0)
    await an.expect("Kiểm tra việc làm theo — tháng 10/2026")  # the October check-in; no draft
    await an.send("/tudanhgia")
    await an.expect("bản tự đánh giá cuối năm mở từ ngày 15/11/2026", "15/11/2026–31/12/2026")
    await _tick_at(bot, clock, 2026, 11, 16, 8, 0)
    draft = await an.expect("Tự đánh giá cuối năm 2026", "Ưu điểm, kết quả đạt được")
    for fragment in (
        "Năm 2026, tôi đăng ký học tập và làm theo",
        "2 việc làm gắn với nhiệm vụ (giáo viên)",
        f"1. {DEEDS[0][0]} (tiêu chí: {DEEDS[0][1]}; thời gian: {DEEDS[0][2]})",
        "Qua 2 lần kiểm tra: 1 lần đã làm, 1 lần đang làm, 0 lần chưa làm",
        "10/05/2026: Đưa hai hộ lên xã làm hồ sơ vay vốn",
        "Qua 2 lần kiểm tra: 2 lần đã làm, 0 lần đang làm, 0 lần chưa làm",
        "Tự đánh giá giữa năm: việc 1 đã xong, việc 2 làm đều đặn",
        "hai hộ đã nhận vốn",
        "<b>Hạn chế, khuyết điểm</b>\n<blockquote>đôi khi đi họp chi bộ muộn</blockquote>",
        "<b>Việc khắc phục hạn chế, khuyết điểm</b>\n<blockquote>đặt nhắc giờ, đến sớm 10 phút</blockquote>",
        "Chấm điểm (30 điểm tiêu chí chung + 70 điểm kết quả thực hiện nhiệm vụ)</b>: chưa cho điểm",
        "Tự đề xuất mức xếp loại</b>: chưa chọn",
    ):
        assert fragment in draft.html, fragment
    assert draft.buttons == ["📨 Gửi", "✏️ Sửa"]
    await an.press("Sửa")
    await an.expect("Đồng chí muốn sửa phần nào?")
    await an.press("Ưu điểm, kết quả đạt được")
    await an.expect("Ưu điểm, kết quả đạt được, nội dung hiện tại", "Năm 2026, tôi đăng ký học tập")
    await an.expect("gửi nội dung mới của phần “Ưu điểm, kết quả đạt được”")
    await an.send("Năm 2026 tôi đã giúp hai hộ nghèo vay vốn và dạy kèm đều đặn.")
    await an.expect("Đã lưu")
    await an.expect("Tự đánh giá cuối năm 2026", "Năm 2026 tôi đã giúp hai hộ nghèo vay vốn")
    await an.press("Gửi")  # no level yet: asked for one, nothing sent
    await an.expect("tự đề xuất mức xếp loại trước khi gửi")
    await an.expect("Đồng chí tự đề xuất mức xếp loại nào?")
    await an.press("Hoàn thành tốt nhiệm vụ")
    await an.expect("Tự đề xuất mức xếp loại: Hoàn thành tốt nhiệm vụ")
    await branch.secretary.expect_nothing(0.3)
    await an.press("Gửi")
    await an.expect("Gửi bản tự đánh giá cuối năm 2026 cho bí thư?", "Mức tự đề xuất: Hoàn thành tốt nhiệm vụ")
    await an.press("Xác nhận gửi")
    await an.expect("Bản tự đánh giá cuối năm (Hoàn thành tốt nhiệm vụ) đã được gửi bí thư")
    await branch.secretary.expect(
        "Tự đánh giá cuối năm 2026 — Trần Văn An",
        "Hoàn thành tốt nhiệm vụ",
        "Năm 2026 tôi đã giúp hai hộ nghèo vay vốn",
        "đôi khi đi họp chi bộ muộn",
    )
    # The first card's old "Gửi", pressed anyway, changes nothing once the assessment is sent.
    send = dict(draft.button_data)["📨 Gửi"]
    await an.press_data(send, draft)
    await an.expect("đã được gửi bí thư rồi")
    await branch.secretary.send("/dangky_tinhhinh")
    await branch.secretary.expect("Tình hình đăng ký làm theo năm 2026")
    await branch.secretary.press("Xuất tự đánh giá cuối năm")
    doc = await branch.secretary.expect("Bản tự đánh giá cuối năm.")
    summary = xlsx_rows(fake_tg, doc)
    assert summary[:3] == [["Tự đánh giá 2026", "Số lượng"], ["Số bản tự đánh giá đã gửi", 1],
                           ["Hoàn thành xuất sắc nhiệm vụ", 0]]
    rows = xlsx_rows(fake_tg, doc, sheet=1)
    assert rows[0] == ["STT", "Họ và tên", "Trạng thái", "Mức tự đề xuất", "Điểm tiêu chí chung",
                       "Điểm kết quả thực hiện nhiệm vụ", "Tổng điểm", "Ưu điểm, kết quả đạt được",
                       "Hạn chế, khuyết điểm", "Việc khắc phục hạn chế, khuyết điểm", "Ngày gửi", "Số lần gửi"]
    assert rows[1][:10] == [
        1, "Trần Văn An", "đã gửi bí thư", "Hoàn thành tốt nhiệm vụ", None, None, None,
        "Năm 2026 tôi đã giúp hai hộ nghèo vay vốn và dạy kèm đều đặn.",
        "đôi khi đi họp chi bộ muộn", "đặt nhắc giờ, đến sớm 10 phút",
    ]
    assert rows[1][10].date() == date(2026, 11, 16) and rows[1][11] == 1
    (tmp_path / "transcript.txt").write_text(an.transcript(), encoding="utf-8")
    print("\n--- transcript ---\n" + an.transcript())
