"""Members report good deeds: the guided form, the plain-message paths, receipts, /cuatoi, edit, withdraw."""

from __future__ import annotations

from datetime import date

from bot.features.deeds.callbacks import RecordDraft
from tests.deeds.conftest import PHOTO, PHOTO_KEY, deeds


async def test_guided_report_with_photos(bot, fake_tg, branch, an):
    await an.send("✍️ Báo việc tốt")  # the menu label
    await an.expect("Đồng chí đã làm việc tốt gì?")
    await an.send("Giúp bà Tư hàng xóm sửa lại mái bếp bị dột")
    await an.expect("Gửi việc tốt này?")
    await an.press("Thêm ảnh, ngày, loại")
    await an.expect("Việc đó vào ngày nào?")
    await an.press("Hôm qua")
    cat = await an.expect("thuộc loại nào?")
    assert "giúp đỡ nhân dân" in cat.buttons and "khác" in cat.buttons
    await an.press("giúp đỡ nhân dân")
    await an.expect("Gửi tối đa 3 ảnh")
    await an.send_photo(PHOTO)
    await an.expect("(1/3)")
    await an.press("Xong")
    await an.expect("nhóm chi bộ không?")
    await an.press("Có, được chia sẻ")
    summary = await an.expect("kiểm tra lại việc tốt", "Ảnh: 1")
    assert "Giúp bà Tư" in summary.text
    await an.press("Gửi")
    await an.expect("Cảm ơn đồng chí! Việc tốt đã được lưu", "chờ bí thư duyệt")
    [deed] = await deeds(bot)
    assert deed.status == "pending" and deed.category == "giúp đỡ nhân dân" and deed.share == "yes"
    assert deed.day == date(2026, 3, 1) and deed.photo_keys == [PHOTO_KEY]
    # The photo is in the media store under its content hash, not a Telegram file id.
    assert bot.app.services.get(__import__("bot.services.media", fromlist=["MediaStore"]).MediaStore).exists(
        PHOTO_KEY
    )


async def test_guided_report_without_photo_and_typed_date(bot, fake_tg, branch, an):
    await an.send("/viectot")
    await an.expect("Đồng chí đã làm việc tốt gì?")
    await an.send("Dọn vệ sinh đường làng cùng đoàn thanh niên")
    await an.expect("Gửi việc tốt này?")
    await an.press("Thêm ảnh, ngày, loại")
    await an.expect("Việc đó vào ngày nào?")
    await an.send("25/02")
    await an.expect("thuộc loại nào?")
    await an.press("giữ gìn môi trường")
    await an.expect("Gửi tối đa 3 ảnh")
    await an.press("Không có ảnh")
    await an.expect("nhóm chi bộ không?")
    await an.press("Hỏi lại khi được biểu dương")
    await an.expect("kiểm tra lại việc tốt", "Ảnh: 0")
    await an.press("Gửi")
    await an.expect("Việc tốt đã được lưu")
    [deed] = await deeds(bot)
    assert deed.day == date(2026, 2, 25) and deed.photo_keys == [] and deed.share == "ask"


async def test_voice_note_is_accepted_and_stored(bot, fake_tg, branch, an):
    await an.send("/viectot")
    await an.expect("Đồng chí đã làm việc tốt gì?")
    await an.send_voice(b"OggS-fake-voice-bytes")
    await an.expect("Gửi việc tốt này?")
    await an.press("Thêm ảnh, ngày, loại")
    await an.expect("Việc đó vào ngày nào?")
    await an.press("Hôm nay")
    await an.expect("thuộc loại nào?")
    await an.press("từ thiện")
    await an.expect("Gửi tối đa 3 ảnh")
    await an.press("Không có ảnh")
    await an.expect("nhóm chi bộ không?")
    await an.press("Không, giữ riêng")
    await an.expect("kiểm tra lại việc tốt", "tin nhắn thoại")
    await an.press("Gửi")
    await an.expect("Việc tốt đã được lưu")
    [deed] = await deeds(bot)
    assert deed.voice_key and deed.text == "" and deed.share == "no"


async def test_hashtag_message_asks_once_and_records_on_yes(bot, fake_tg, branch, an):
    await an.send("#viectot Đưa cụ Năm đi khám bệnh ở trạm xá")
    q = await an.expect("Ghi nhận đây là việc tốt?", "Đưa cụ Năm", "hôm nay")
    assert q.buttons == ["Có, ghi nhận", "Không"]
    assert await deeds(bot) == []  # nothing recorded without the yes
    await an.press("Có, ghi nhận")
    await an.expect("Việc tốt đã được lưu")
    [deed] = await deeds(bot)
    assert deed.text == "Đưa cụ Năm đi khám bệnh ở trạm xá" and deed.source == "hashtag"
    assert deed.day == date(2026, 3, 2) and deed.category == "khác"


async def test_captioned_photo_prefills_text_and_photo(bot, fake_tg, branch, an):
    await an.send_photo(PHOTO, caption="Trồng cây xanh ở nhà văn hoá thôn")
    await an.expect("Ghi nhận đây là việc tốt?", "Trồng cây xanh", "kèm 1 ảnh")
    await an.press("Có, ghi nhận")
    await an.expect("Việc tốt đã được lưu")
    [deed] = await deeds(bot)
    assert deed.photo_keys == [PHOTO_KEY] and deed.source == "photo"


async def test_free_text_asks_and_no_records_nothing(bot, fake_tg, branch, an):
    await an.send("Hôm nay tôi quét dọn sân đình cùng bà con")
    await an.expect("Ghi nhận đây là việc tốt?", "quét dọn sân đình")
    await an.press("Không")
    await an.expect("không ghi nhận gì")
    assert await deeds(bot) == []
    # Pressing the old question again does nothing.
    old = an.last.button_data[0][1] if an.last.button_data else RecordDraft(True, "000000").pack()
    await an.press_data(old, an.last)
    await an.expect("Câu hỏi này đã đóng")
    assert await deeds(bot) == []
    await an.send("Vâng ạ")  # agreement is not asked about: a short courteous answer
    await an.expect("Vâng ạ, đã rõ")
    await an.send("Cho tôi hỏi cách gửi ảnh")  # a question is not a deed either
    await an.expect("Đồng chí có thể gõ")
    assert await deeds(bot) == []


async def test_cuatoi_edit_and_withdraw(bot, fake_tg, branch, an):
    for text in ("Giúp cháu học sinh nghèo mua sách vở", "Tham gia hiến máu nhân đạo tại xã"):
        await an.send(f"#viectot {text}")
        await an.expect("Ghi nhận đây là việc tốt?")
        await an.press("Có, ghi nhận")
        await an.expect("Việc tốt đã được lưu")
    first, second = await deeds(bot)
    await an.send("📋 Của tôi")
    mine = await an.expect("Việc tốt của tôi", "Tháng này (03/2026)", "2 việc tốt", "chờ duyệt")
    assert any("Sửa" in b for b in mine.buttons)
    await an.press("Sửa 02/03 · Giúp cháu học sinh…")
    await an.expect("muốn sửa phần nào?")
    await an.press("Việc đã làm")
    await an.expect("Gõ nội dung mới")
    await an.send("Giúp hai cháu học sinh nghèo mua sách vở")
    await an.expect("Đã sửa", "hai cháu")
    await an.send("/cuatoi")
    await an.expect("Việc tốt của tôi")
    await an.press("Rút lại 02/03 · Tham gia hiến máu…")
    await an.expect("Rút lại việc tốt này?")
    await an.press("Có, rút lại")
    await an.expect("Đã rút lại")
    first, second = await deeds(bot)
    assert first.text == "Giúp hai cháu học sinh nghèo mua sách vở" and second.status == "withdrawn"
    await an.send("/cuatoi")
    await an.expect("Tháng này (03/2026)", "1 việc tốt")
