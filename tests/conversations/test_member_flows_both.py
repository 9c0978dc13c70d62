"""The member flows of every feature with one body on Telegram and on Zalo (see tests/channels.py).

The secretary stays on Telegram. On Zalo every choice is answered by typing its number or its label, so a
flow that only works with buttons fails the Zalo run.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import pytest
from sqlalchemy import select

from bot.devtools.emulator.telegram_state import tiny_png
from bot.features.deeds.models import Deed
from bot.features.meetings.models import MeetingRsvp
from bot.features.pledges.models import Pledge
from bot.services.media import MediaStore
from storage.models.people import Person
from tests.conftest import TZ
from tests.conversations.test_both_channels import no_tags
from tests.daily.conftest import tick_at
from tests.pledges.conftest import DEEDS

BOTH = pytest.mark.parametrize("channel", ["telegram", "zalo"])
TITLE = "Học Bác mỗi ngày"
PHOTO = tiny_png(3, 2)


@pytest.fixture(autouse=True)
def _no_rate_limits(fake_tg) -> None:
    fake_tg.limits.enabled = False  # the secretary's Telegram chat gets bursts (digests, notices)


# --- the daily item --------------------------------------------------------------------------------


@BOTH
async def test_daily_item_read_by_number_and_label_and_today(kit, clock):
    an = await kit.join("5401", "Trần Văn An")
    await tick_at(kit.bot, clock, datetime(2026, 3, 3, 6, 30))
    item = await an.expect(TITLE, "— Hồ Chí Minh")
    assert item.buttons == ["Đã đọc ✓"]
    await an.press("Đã đọc ✓")  # Telegram: the button; Zalo: types "1"
    await kit.read_noted(an, 1)
    await tick_at(kit.bot, clock, datetime(2026, 3, 4, 6, 30))
    second = await an.expect(TITLE)
    if kit.channel == "zalo":
        await an.send("da doc")  # the label's words, without diacritics
    else:
        await an.press("Đã đọc ✓")
    await kit.read_noted(an, 2)
    await an.send("/homnay")
    today = await an.expect(TITLE, "— Hồ Chí Minh")
    quote = second.text.split("— Hồ Chí Minh")[0]
    assert today.text.split("— Hồ Chí Minh")[0] == quote  # the same item as the tick delivered
    await an.send("hom nay")  # typed without slash or diacritics
    await an.expect(TITLE)
    no_tags(an)


# --- the pledge ------------------------------------------------------------------------------------


@BOTH
async def test_pledge_full_form_submitted_and_approved(kit):
    an = await kit.join("5402", "Trần Văn An")
    await an.send("/dangky")
    await an.expect("Chức vụ hoặc nhiệm vụ của đồng chí là gì?")
    await an.send("giáo viên")
    for i, (what, criterion, when) in enumerate(DEEDS, 1):
        await an.expect(f"Việc làm {i}: đồng chí sẽ làm gì?")
        await an.send(what)
        await an.expect(f"Việc làm {i}: đo kết quả")
        await an.send(criterion)
        await an.expect(f"Việc làm {i}: khi nào?")
        await an.send(when)
        await an.expect(f"Đồng chí đã có {i} việc làm")
        await an.press("Thêm việc làm khác" if i == 1 else "Tiếp tục")
    await an.expect("Một khuyết điểm")
    await an.send("hay đi họp muộn")
    await an.expect("khắc phục thế nào")
    await an.send("đến sớm 10 phút")
    await an.expect("Lời cam kết của đồng chí")
    await an.press("Giữ lời cam kết này")
    review = await an.expect("Xem lại phiếu trước khi gửi", "giáo viên", DEEDS[0][0], DEEDS[1][0])
    assert "🗑 Bỏ việc 2" in review.buttons
    await an.press("Bỏ việc 2")
    await an.expect("Đã bỏ việc làm 2")
    review = await an.expect("Xem lại phiếu")
    assert DEEDS[1][0] not in review.text
    await an.press("Gửi bí thư")
    await an.expect("Sau khi gửi, bản đăng ký chờ bí thư duyệt")
    await an.press("Xác nhận gửi")
    await an.expect("Đã gửi!")
    sec = kit.branch.secretary
    await sec.expect("Phiếu đăng ký mới cần duyệt", "Trần Văn An")
    await sec.press("Duyệt phiếu")
    await sec.expect("Đã duyệt phiếu của Trần Văn An")
    await an.expect("đã được bí thư duyệt")
    async with kit.bot.app.db.session() as s:
        [pledge] = (await s.execute(select(Pledge))).scalars().all()
    assert pledge.status == "approved"
    no_tags(an)


# --- the deed --------------------------------------------------------------------------------------


async def _deeds(kit) -> list[Deed]:
    async with kit.bot.app.db.session() as s:
        return list((await s.execute(select(Deed).order_by(Deed.id))).scalars().all())


@BOTH
async def test_guided_deed_with_a_photo(kit):
    an = await kit.join("5403", "Trần Văn An")
    await an.send("viec tot" if kit.channel == "zalo" else "/viectot")
    await an.expect("Đồng chí đã làm việc tốt gì?")
    await an.send("Giúp bà Tư hàng xóm sửa lại mái bếp bị dột")
    await an.expect("Gửi việc tốt này?")
    await an.press("Thêm ảnh, ngày, loại")
    await an.expect("Việc đó vào ngày nào?")
    await an.press("Hôm qua")
    await an.expect("thuộc loại nào?")
    await an.press("giúp đỡ nhân dân")
    await an.expect("Gửi tối đa 3 ảnh")
    await an.send_photo(PHOTO)
    await an.expect("(1/3)")
    await an.press("Xong")
    await an.expect("nhóm chi bộ không?")
    await an.press("Có, được chia sẻ")
    await an.expect("kiểm tra lại việc tốt", "Ảnh: 1")
    await an.press("Gửi")
    await an.expect("Cảm ơn đồng chí! Việc tốt đã được lưu", "chờ bí thư duyệt")
    [deed] = await _deeds(kit)
    key = hashlib.sha256(PHOTO).hexdigest()
    assert deed.status == "pending" and deed.category == "giúp đỡ nhân dân" and deed.share == "yes"
    assert deed.day == date(2026, 3, 1) and deed.photo_keys == [key]
    assert kit.bot.app.services.get(MediaStore).exists(key)
    no_tags(an)


@BOTH
async def test_captioned_photo_then_yes(kit):
    an = await kit.join("5404", "Trần Văn An")
    await an.send_photo(PHOTO, caption="Trồng cây xanh ở nhà văn hoá thôn")
    asked = await an.expect("Ghi nhận đây là việc tốt?", "Trồng cây xanh", "kèm 1 ảnh")
    assert asked.buttons == ["Có, ghi nhận", "Không"]
    if kit.channel == "zalo":
        await an.send("Có")  # the first word of the label, as a person would answer
    else:
        await an.press("Có, ghi nhận")
    await an.expect("Việc tốt đã được lưu")
    [deed] = await _deeds(kit)
    assert deed.photo_keys == [hashlib.sha256(PHOTO).hexdigest()] and deed.source == "photo"
    assert deed.text == "Trồng cây xanh ở nhà văn hoá thôn"
    no_tags(an)


# --- meeting RSVP ----------------------------------------------------------------------------------


async def _schedule_meeting(kit) -> None:
    sec = kit.branch.secretary
    await sec.send("/hop")
    await sec.expect("Loại buổi sinh hoạt nào?")
    await sec.press("Chuyên đề")
    await sec.expect("Vào ngày nào?")
    await sec.send("05/03")
    await sec.expect("Lúc mấy giờ?")
    await sec.press("19:30")
    await sec.expect("Ở đâu?")
    await sec.send("Nhà văn hoá thôn 1")
    await sec.expect("Chủ đề")
    await sec.send("Học tập tấm gương đạo đức Hồ Chí Minh về tiết kiệm")
    await sec.expect("Đính kèm tài liệu")
    await sec.press("Không có tài liệu")
    done = await sec.expect("Đã lên lịch", "Mã điểm danh")
    await sec.press("Gửi giấy mời họp cho đảng viên", message=done)
    await sec.expect("Đã gửi giấy mời họp tới 3 đảng viên")


@BOTH
async def test_meeting_rsvp_attend_and_absent_with_reason(kit):
    an = await kit.join("5405", "Trần Văn An")
    binh = await kit.join("5406", "Lê Bình")
    await _schedule_meeting(kit)
    notice = await an.expect("Giấy mời sinh hoạt", "Nhà văn hoá thôn 1")
    assert notice.buttons == ["✅ Tôi sẽ dự", "🙏 Xin vắng"]
    await an.press("Tôi sẽ dự")
    await an.expect("đồng chí sẽ dự")
    await binh.expect("Giấy mời sinh hoạt")
    if kit.channel == "zalo":
        await binh.send("xin vang")  # the label's words
    else:
        await binh.press("Xin vắng")
    await binh.expect("lý do")
    await binh.send("Đi công tác")
    await binh.expect("đồng chí xin vắng")
    async with kit.bot.app.db.session() as s:
        rows = (await s.execute(select(Person.display_name, MeetingRsvp.attending, MeetingRsvp.reason)
                                .join(Person, Person.id == MeetingRsvp.person_id))).all()
    assert sorted(rows) == [("Lê Bình", False, "Đi công tác"), ("Trần Văn An", True, None)]
    sec = kit.branch.secretary
    await sec.send("/diemdanh")
    await sec.expect("Buổi sinh hoạt nào?")
    await sec.press("05/03 19:30")
    sheet = await sec.expect("Điểm danh", "Có mặt 0/3")
    assert "3.⬜ Trần Văn An (+)" in sheet.buttons and "1.⬜ Lê Bình (−)" in sheet.buttons
    no_tags(an)
    no_tags(binh)


# --- broadcast acknowledgement ---------------------------------------------------------------------


@BOTH
async def test_broadcast_acknowledged(kit):
    an = await kit.join("5407", "Trần Văn An")
    sec = kit.branch.secretary
    await sec.send("📣 Gửi thông báo")
    await sec.expect("Gõ nội dung thông báo")
    await sec.send("Đề nghị các đồng chí đọc Chỉ thị 05")
    await sec.expect("Gửi cho ai?")
    await sec.press("Toàn chi bộ")
    await sec.expect("Khi nào gửi?")
    await sec.press("Gửi ngay")
    await sec.expect("Thêm nút")
    await sec.press("Có")
    await sec.expect("Gửi cho 2 đảng viên?")
    await sec.press("📣 Gửi")
    notice = await an.expect("Đề nghị các đồng chí đọc Chỉ thị 05")
    assert notice.buttons == ["Đã nhận ✓"]
    await an.press("Đã nhận ✓")
    await an.expect("Cảm ơn đồng chí đã xác nhận")
    if kit.channel == "zalo":
        await an.send("da nhan")  # twice counts once, by the label this time: the list is answered
        await an.expect("Câu hỏi này đồng chí đã trả lời rồi (Đã nhận ✓)")
    await sec.expect("đã gửi xong")
    await sec.press("Ai chưa xác nhận", message=sec.current(sec._last_with_buttons(sec.chat_key)))
    listing = await sec.expect("1 người đã xác nhận, 1 người chưa")
    assert "Trần Văn An" not in listing.text
    no_tags(an)


# --- the profile -----------------------------------------------------------------------------------


@BOTH
async def test_profile_shows_every_feature(kit, clock):
    an = await kit.join("5408", "Trần Văn An")
    await tick_at(kit.bot, clock, datetime(2026, 3, 3, 6, 30))
    await an.expect(TITLE)
    await an.press("Đã đọc ✓")
    await kit.read_noted(an, 1)
    clock.set(datetime(2026, 3, 3, 9, 0, tzinfo=TZ))
    await an.send("toi" if kit.channel == "zalo" else "/toi")
    profile = await an.expect("👤", "Trần Văn An", kit.branch.name)
    assert "1 ngày" in profile.text  # the daily reading streak section
    no_tags(an)


# --- the pledge check-in (a message with many choices, answered one at a time) ---------------------


@BOTH
async def test_pledge_checkin_answered_by_choice_and_note(kit, clock):
    from bot.features.pledges.models import PledgeCheckin, PledgeCheckinAnswer
    from tests.pledges.conftest import pledge_and_approve

    an = await kit.join("5409", "Trần Văn An")
    await pledge_and_approve(an, kit.branch.secretary, DEEDS)
    clock.set(datetime(2026, 4, 2, 7, 1, tzinfo=TZ))
    await kit.bot.tick(only=["pledges_checkin"])
    msg = await an.expect("Kiểm tra việc làm theo — tháng 3/2026", DEEDS[0][0], DEEDS[1][0])
    assert msg.buttons[:3] == ["✓ Việc 1", "⏳ Việc 1", "✗ Việc 1"] and "📝 Thêm ghi chú" in msg.buttons
    await an.press("✓ Việc 1", message=msg)  # Zalo: "1"
    await an.expect("✓ đã làm")
    await an.press("⏳ Việc 2")  # Zalo: "5", from the list just sent again
    await an.expect("⏳ đang làm", "Câu trả lời đã được lưu")
    await an.press("Thêm ghi chú")
    await an.expect("Ghi chú của đồng chí cho lần kiểm tra này")
    await an.send("đã nộp hồ sơ cho ngân hàng")
    await an.expect("Ghi chú: đã nộp hồ sơ cho ngân hàng")
    async with kit.bot.app.db.session() as s:
        [checkin] = (await s.execute(select(PledgeCheckin))).scalars().all()
        answers = (await s.execute(select(PledgeCheckinAnswer.status))).scalars().all()
    assert sorted(answers) == ["doing", "done"] and checkin.note == "đã nộp hồ sơ cho ngân hàng"
    no_tags(an)


# --- a typed answer is never taken for an older numbered choice ------------------------------------


@BOTH
async def test_typed_answer_after_a_choice_list_goes_to_the_question(kit):
    from bot.features.daily.preferences import DailyPrefs
    from storage.models.people import Identity

    an = await kit.join("5410", "Trần Văn An")
    await an.send("/caidat")
    await an.expect("Cài đặt Học Bác mỗi ngày")
    await an.press("Đổi giờ nhận")
    await an.expect("mấy giờ")
    await an.send("5")  # an answer to the question, not the fifth item of the settings list
    await an.expect("Tôi chưa đọc được giờ này. Đồng chí gõ giờ như 06:30")
    await an.send("05:00")
    await an.expect("Đã lưu", "05:00")
    async with kit.bot.app.db.session() as s:
        ident = "z5410" if kit.channel == "zalo" else "5410"
        person = (await s.execute(select(Identity.person_id).where(Identity.external_id == ident))).scalar_one()
    prefs = await kit.bot.app.services.get(DailyPrefs).prefs(person)
    assert prefs.minute == 5 * 60 and not prefs.group_only
