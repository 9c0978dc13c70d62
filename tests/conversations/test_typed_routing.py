"""What members really send, on Telegram and on Zalo (issue #20 part 2, issue #14 "typed commands never
fall into good-deed capture"): a photo without a caption, the bare meeting code, "cam on", commands typed
without slash or diacritics and with arguments, questions that are not deeds."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest
from sqlalchemy import select

from bot.devtools.emulator.telegram_state import tiny_png
from bot.features.deeds.models import Deed
from bot.features.meetings.models import Attendance, Meeting
from bot.services.media import MediaStore
from tests.conftest import TZ
from tests.conversations.test_both_channels import no_tags
from tests.conversations.test_member_flows_both import _schedule_meeting

BOTH = pytest.mark.parametrize("channel", ["telegram", "zalo"])
PHOTO = tiny_png(5, 4)
DEED_QUESTION = "Ghi nhận đây là việc tốt?"


@pytest.fixture(autouse=True)
def _no_rate_limits(fake_tg) -> None:
    fake_tg.limits.enabled = False


async def _deeds(kit) -> list[Deed]:
    async with kit.bot.app.db.session() as s:
        return list((await s.execute(select(Deed).order_by(Deed.id))).scalars().all())


def _said(user) -> str:
    return "\n".join(m.text for m in user.bot_events(user.chat_key))


@BOTH
async def test_captionless_photo_starts_a_deed_with_the_photo(kit):
    an = await kit.join("5601", "Trần Văn An")
    await an.send_photo(PHOTO)  # no caption: the photo comes first, as people send it
    await an.expect("Đã nhận ảnh", "đính kèm")
    await an.expect("Đồng chí đã làm việc tốt gì?")
    await an.send("Dọn vệ sinh nhà văn hoá thôn")
    await an.expect("Gửi việc tốt này?", "Ảnh: 1")  # the photo that came first is already attached
    await an.press("Gửi ngay")
    await an.expect("Việc tốt đã được lưu")
    [deed] = await _deeds(kit)
    assert deed.text == "Dọn vệ sinh nhà văn hoá thôn"
    assert deed.photo_keys == [hashlib.sha256(PHOTO).hexdigest()]
    assert "chưa xử lý được loại tin nhắn" not in _said(an)
    no_tags(an)


@BOTH
async def test_captionless_photo_then_cancel_keeps_nothing(kit):
    an = await kit.join("5607", "Trần Văn An")
    photo = tiny_png(7, 3)
    await an.send_photo(photo)
    await an.expect("Đồng chí đã làm việc tốt gì?")
    await an.send("/huy")
    await an.expect("Đã huỷ")
    key = hashlib.sha256(photo).hexdigest()
    assert not kit.bot.app.services.get(MediaStore).exists(key)  # the form's new photo went with it
    assert await _deeds(kit) == []


@BOTH
async def test_bare_code_and_co_mat_check_in(kit, clock):
    an = await kit.join("5602", "Trần Văn An")
    binh = await kit.join("5603", "Lê Bình")
    # No meeting yet: a bare number gets a helpful answer, never a deed question or "not understood".
    await an.send("3887")
    await an.expect("không có buổi sinh hoạt nào", "đang mở điểm danh")
    await _schedule_meeting(kit)
    await an.expect("Giấy mời sinh hoạt")
    await binh.expect("Giấy mời sinh hoạt")
    async with kit.bot.app.db.session() as s:
        m = (await s.execute(select(Meeting))).scalars().one()
    await an.send(m.checkin_code)  # days before the meeting: when the code works, never a link-code error
    await an.expect("Mã điểm danh chỉ dùng được từ 19:00 đến 21:30 ngày 05/03/2026")
    clock.set(datetime(2026, 3, 5, 19, 35, tzinfo=TZ))
    wrong = "0000" if m.checkin_code != "0000" else "1111"
    await an.send(wrong)  # a wrong bare code counts as a try, like /comat
    await an.expect("Mã điểm danh không khớp", "còn 4 lần thử")
    await an.send(m.checkin_code)  # the code the secretary reads out, typed alone
    await an.expect("Đồng chí đã điểm danh tại buổi sinh hoạt chuyên đề ngày 05/03/2026")
    await binh.send(f"co mat {m.checkin_code}")  # the command without slash or diacritics, with its code
    await binh.expect("Đồng chí đã điểm danh tại buổi sinh hoạt chuyên đề ngày 05/03/2026")
    async with kit.bot.app.db.session() as s:
        present = (await s.execute(select(Attendance).where(Attendance.present.is_(True)))).scalars().all()
    assert len(present) == 2
    for user in (an, binh):
        assert DEED_QUESTION not in _said(user) and "chưa hiểu ý" not in _said(user)
        no_tags(user)
    assert await _deeds(kit) == []


@BOTH
async def test_thanks_and_greetings_get_a_courteous_answer(kit):
    an = await kit.join("5604", "Trần Văn An")
    await an.send("cam on")
    await an.expect("không có gì", "đồng chí")
    await an.send("Cảm ơn ạ")
    await an.expect("không có gì")
    await an.send("xin chào")
    await an.expect("Xin chào đồng chí")
    await an.send("👍")
    await an.expect("Vâng ạ")
    await an.send("ok")
    await an.expect("Vâng ạ")
    said = _said(an)
    assert DEED_QUESTION not in said and "Xin lỗi" not in said and "chưa hiểu" not in said
    no_tags(an)


@BOTH
async def test_commands_typed_without_slash_with_arguments(kit):
    an = await kit.join("5605", "Trần Văn An")
    await an.send("tim kiem tiet kiem")
    await an.expect("Kết quả cho “tiet kiem”")
    await an.send("tìm cần kiệm liêm chính")
    await an.expect("Kết quả cho “cần kiệm liêm chính”")
    await an.send("toi muon xem viec tot cua toi")
    await an.expect("Việc tốt của tôi")
    await an.send("cua toi")
    await an.expect("Việc tốt của tôi")
    await an.send("hom nay")
    await an.expect("Học Bác mỗi ngày")
    await an.send("tro giup")
    await an.expect("/viectot")
    await an.send("co mat")  # no code: the command asks for it
    await an.expect("mã bí thư đọc")
    assert DEED_QUESTION not in _said(an)
    assert await _deeds(kit) == []
    no_tags(an)


@BOTH
async def test_only_an_action_is_offered_as_a_deed(kit):
    an = await kit.join("5606", "Trần Văn An")
    await an.send("hôm nay có họp không?")  # a question: what can be typed, not a deed
    await an.expect("Đồng chí có thể gõ", "có mặt 123456")
    await an.send("Ngày mai tôi sẽ đi hiến máu")  # a plan, not yet done
    await an.expect("Đồng chí có thể gõ")
    assert DEED_QUESTION not in _said(an)
    await an.send("hom nay toi don ve sinh duong lang")  # something done: the one confirmation
    asked = await an.expect(DEED_QUESTION, "hom nay toi don ve sinh duong lang")
    assert asked.buttons == ["Có, ghi nhận", "Không"]
    await an.press("Có, ghi nhận")
    await an.expect("Việc tốt đã được lưu")
    [deed] = await _deeds(kit)
    assert deed.text == "hom nay toi don ve sinh duong lang" and deed.source == "text"
    no_tags(an)
