"""Bad input gets a clear reply and leaves no half-saved record; erasure removes words and media."""

from __future__ import annotations

from datetime import datetime

from bot.features.deeds.review import DeedReviewing
from bot.services.media import MediaStore
from tests.conftest import TZ
from tests.deeds.conftest import PHOTO, PHOTO_KEY, deeds


async def _send_document(fake_tg, user, data: bytes, mime: str, name: str, caption: str = "") -> None:
    stored = fake_tg.store_file(data, "document", mime, name)
    doc = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_name": name,
        "mime_type": mime,
        "file_size": len(data),
    }
    extra = {"caption": caption} if caption else {}
    await fake_tg.inject_content(user.user, user.chat_key, document=doc, **extra)


async def test_form_bad_inputs_are_reasked(bot, fake_tg, branch, an):
    await an.send("/viectot")
    await an.expect("việc tốt gì?")
    await an.send_sticker()
    await an.expect("Nhãn dán và vị trí không ghi nhận được")
    await an.send_location(10.77, 106.70)
    await an.expect("Nhãn dán và vị trí không ghi nhận được")
    await an.send("x" * 5000)
    await an.expect("quá dài (5.000 ký tự)", "2.000 ký tự")
    await an.send("Giúp hàng xóm dập lửa rơm")
    await an.expect("Gửi việc tốt này?")
    await an.press("Thêm ảnh, ngày, loại")
    await an.expect("ngày nào?")
    await an.send("05/03")  # three days ahead
    await an.expect("Ngày 05/03/2026 chưa tới", "ví dụ: 02/03/2026")
    await an.send("25/12")  # typed in March: last Christmas, too long ago
    await an.expect("Ngày 25/12/2025 đã quá 60 ngày", "từ 01/01/2026 trở đi")
    await an.send("01/12/2025")
    await an.expect("Ngày 01/12/2025 đã quá 60 ngày")
    await an.send("31/02")
    await an.expect("Tháng 2 năm 2026 chỉ có 28 ngày")
    await an.send("hôm nay")
    await an.expect("thuộc loại nào?")
    await an.press("khác")
    await an.expect("Gửi tối đa 3 ảnh")
    await _send_document(fake_tg, an, b"PK\x03\x04zip", "application/zip", "baocao.zip")
    await an.expect("Loại tệp này không dùng được ở đây")
    bot.app.services.get(MediaStore).max_bytes = 10  # every photo is now "too large"
    await an.send_photo(PHOTO)
    await an.expect("Tệp quá lớn")
    await an.send("/huy")
    await an.expect("Đã huỷ")
    assert await deeds(bot) == []
    assert not bot.app.services.get(MediaStore).exists(PHOTO_KEY)


async def test_plain_message_bad_inputs(bot, fake_tg, branch, an):
    await an.send("#viectot")  # the bare hashtag reads as the command: the guided form starts
    await an.expect("việc tốt gì?")
    await an.send("/huy")
    await an.expect("Đã huỷ")
    await an.send_photo(PHOTO, caption="#viectot")  # a caption is never a command: say what is missing
    await an.expect("Xin viết việc đã làm ngay sau #viectot", "Chưa có gì được ghi nhận")
    await _send_document(
        fake_tg,
        an,
        b"MZ\x90\x00",
        "application/x-msdownload",
        "virus.exe",
        caption="#viectot Tặng quà cho trẻ em",
    )
    await an.expect("Loại tệp này không dùng được ở đây", "Chưa có gì được ghi nhận")
    await an.send_sticker()
    await an.expect("chưa xử lý được loại tin nhắn này")
    assert await deeds(bot) == []
    # A 5,000-character message is cut, with a note, and still needs the yes.
    await an.send("#viectot " + "Giúp đỡ bà con. " * 320)
    await an.expect("Ghi nhận đây là việc tốt?", "đã được cắt còn 2.000 ký tự")
    assert await deeds(bot) == []
    await an.press("Có, ghi nhận")
    await an.expect("Việc tốt đã được lưu")
    [deed] = await deeds(bot)
    assert len(deed.text) == 2000 and deed.text.endswith("…")


async def test_not_a_member_is_not_asked(bot, fake_tg, branch):
    stranger = fake_tg.user(6100, "Khách")
    await stranger.send("#viectot Giúp người qua đường")
    await stranger.expect("Vui lòng gửi mã tham gia")
    await stranger.send("/viectot")
    await stranger.expect("chưa tham gia chi bộ nào")
    assert await deeds(bot) == []


async def test_erase_removes_words_and_media_keeps_totals(bot, fake_tg, branch, an):
    await an.send_photo(PHOTO, caption="Trồng hoa ven đường")
    await an.expect("Ghi nhận đây là việc tốt?")
    await an.press("Có, ghi nhận")
    await an.expect("Việc tốt đã được lưu")
    store = bot.app.services.get(MediaStore)
    assert store.exists(PHOTO_KEY)
    await an.send("#viectot Dạy chữ cho các cháu")
    await an.expect("Ghi nhận đây là việc tốt?")
    await an.press("Có, ghi nhận")
    await an.expect("Việc tốt đã được lưu")
    _first, second = await deeds(bot)
    await bot.app.services.get(DeedReviewing).review(branch.secretary_actor, second.id, "accept")
    await an.send("/xoadulieu")
    await an.expect("Xoá dữ liệu của đồng chí?")
    await an.press("Đồng ý xoá dữ liệu")
    await an.expect("Dữ liệu của đồng chí đã được xoá")
    deed, accepted = await deeds(bot)
    assert deed.erased and deed.text == "" and deed.photo_keys == [] and deed.status == "withdrawn"
    assert accepted.erased and accepted.text == "" and accepted.status == "accepted"
    assert not store.exists(PHOTO_KEY)
    async with bot.app.db.session() as s:
        deps = bot.app.services.deps
        figures = await deps.ext.branch_figures(
            s, deps, branch.branch_id, datetime(2026, 3, 1, tzinfo=TZ), datetime(2026, 4, 1, tzinfo=TZ)
        )
    # The pending one left with the person; the accepted one still counts, anonymously.
    assert figures["deeds_reported"] == 1 and figures["deeds_accepted"] == 1
