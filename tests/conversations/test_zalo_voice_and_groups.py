"""Zalo as it really sends things: a voice note (message.voice.received with a voice_url) recorded as a
good deed and kept in the media store, images under both ``photo`` and ``photo_url``."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from bot.devtools.emulator.telegram_state import tiny_png
from bot.features.deeds.models import Deed
from bot.services.media import MediaStore

ZALO = pytest.mark.parametrize("channel", ["zalo"])
VOICE = b"\xff\xf1fake-aac-voice-note"


async def _deeds(kit) -> list[Deed]:
    async with kit.bot.app.db.session() as s:
        return list((await s.execute(select(Deed))).scalars())


@ZALO
async def test_voice_deed_on_zalo(kit):
    an = await kit.join("5701", "Trần Văn An")
    await an.send("/viectot")
    await an.expect("Đồng chí đã làm việc tốt gì?")
    await an.send_voice(VOICE)
    await an.expect("Gửi việc tốt này?", "tin nhắn thoại")
    await an.press("Thêm ảnh, ngày, loại")  # the full path; "Gửi ngay" would save it as it is
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
    [deed] = await _deeds(kit)
    assert deed.voice_key == hashlib.sha256(VOICE).hexdigest() and deed.text == ""
    store = kit.bot.app.services.get(MediaStore)
    assert store.exists(deed.voice_key)  # copied at once: Zalo's URL may not last


@ZALO
async def test_image_under_photo_field_is_a_photo_too(kit):
    an = await kit.join("5702", "Trần Văn An")
    png = tiny_png(3, 3)
    url = kit.zalo.host_file(png, "image/png")
    await kit.zalo.inject_image(an, url, "Trồng cây ở nhà văn hoá", field="photo")
    await an.expect("Ghi nhận đây là việc tốt?", "kèm 1 ảnh")
    await an.send("co")
    await an.expect("Việc tốt đã được lưu")
    [deed] = await _deeds(kit)
    assert deed.photo_keys == [hashlib.sha256(png).hexdigest()]


@ZALO
async def test_group_command_with_an_at_mention(kit):
    from tests.conversations.test_zalo_cross import link

    sec = kit.zalo_user("5700", "Bí thư trên Zalo")
    await link(kit.branch.secretary, sec)
    await sec.expect("qua ứng dụng nào")
    group = kit.zalo.user("z5700", "Bí thư trên Zalo", chat_id="zgroup1", group=True)
    # Without a mention Zalo does not pass a group message to the bot at all.
    await group.send("/lienketnhom 06:00")
    await group.expect_nothing(0.5)
    assert kit.zalo.unheard and kit.zalo.unheard[-1]["message"]["text"] == "/lienketnhom 06:00"
    await group.send("@Bot Học Bác /lienketnhom 06:00")
    linked = await group.expect("đã được liên kết", "06:00")
    assert "thử nghiệm (beta)" in linked.text and "tối đa 3 nhóm" in linked.text
    # A reply to the bot's message is heard without a mention.
    await group.send_reply_to_bot("/lienketnhom huy")
    await group.expect("sẽ không nhận bài hằng ngày")
