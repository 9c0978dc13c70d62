"""Fewer taps (issue 20, part 5): a deed from the menu in at most three taps plus the text, and quick
reasons as buttons when a deed is returned. On Telegram and on Zalo (numbered choices)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.features.deeds.models import Deed

BOTH = pytest.mark.parametrize("channel", ["telegram", "zalo"])


class Taps:
    """Counts what the person had to tap (a menu button or an inline choice), not what they typed."""

    def __init__(self, user) -> None:
        self.user = user
        self.count = 0

    async def menu(self, label: str, typed: str) -> None:
        """A menu button on Telegram; on Zalo, which has no menu, the words typed instead (still one act)."""
        self.count += 1
        await self.user.send(label if self.user.__class__.__name__ == "TelegramUser" else typed)

    async def press(self, label: str) -> None:
        self.count += 1
        await self.user.press(label)


async def _deeds(kit) -> list[Deed]:
    async with kit.bot.app.db.session() as s:
        return list((await s.execute(select(Deed).order_by(Deed.id))).scalars().all())


@BOTH
async def test_deed_from_the_menu_in_at_most_three_taps(kit):
    an = await kit.join("5501", "Trần Văn An")
    taps = Taps(an)
    await taps.menu("✍️ Báo việc tốt", "viec tot")
    await an.expect("Đồng chí đã làm việc tốt gì?")
    await an.send("Đưa cụ Bảy đi khám bệnh ở trạm y tế xã")  # the text
    asked = await an.expect("Gửi việc tốt này?", "Đưa cụ Bảy", "hôm nay (02/03/2026)")
    assert "✅ Gửi ngay" in asked.buttons or "Gửi ngay" in asked.text
    await taps.press("Gửi ngay")
    await an.expect("Việc tốt đã được lưu")
    assert taps.count <= 3, taps.count
    [deed] = await _deeds(kit)
    assert deed.text == "Đưa cụ Bảy đi khám bệnh ở trạm y tế xã" and deed.status == "pending"
    assert str(deed.day) == "2026-03-02" and deed.category  # today, and the đảng bộ's default kind


@BOTH
async def test_return_a_deed_with_a_quick_reason_or_a_typed_one(kit):
    an = await kit.join("5502", "Trần Văn An")
    sec = kit.branch.secretary
    for text in ("Quét dọn sân nhà văn hoá thôn", "Giúp bà Năm gặt lúa"):
        await an.send("viec tot" if kit.channel == "zalo" else "/viectot")
        await an.expect("Đồng chí đã làm việc tốt gì?")
        await an.send(text)
        await an.expect("Gửi việc tốt này?")
        await an.press("Gửi ngay")
        await an.expect("Việc tốt đã được lưu")
    await sec.send("/duyet")
    first = await sec.expect("Quét dọn sân")
    second = await sec.expect("Giúp bà Năm")
    await sec.press("Trả lại", message=first)
    ask = await sec.expect("Vì sao trả lại việc tốt của Trần Văn An")
    assert ask.buttons == ["Cần thêm ảnh", "Chưa rõ việc làm", "Trùng với việc đã báo", "Khác… (gõ lý do)"]
    await sec.press("Chưa rõ việc làm")  # one tap
    await sec.expect("Đã trả lại")
    back = await an.expect("trả lại", "Chưa rõ việc làm")
    assert "Quét dọn sân" in back.text
    # "Khác…" asks for the reason to be typed.
    await sec.press("Trả lại", message=second)
    await sec.expect("Vì sao trả lại việc tốt của Trần Văn An")
    await sec.press("Khác")
    await sec.expect("gõ lý do trả lại việc tốt của Trần Văn An")
    await sec.send("Đồng chí ghi rõ ngày và ruộng nhà ai")
    await sec.expect("Đã trả lại")
    await an.expect("trả lại", "Đồng chí ghi rõ ngày và ruộng nhà ai")
    assert [d.status for d in await _deeds(kit)] == ["returned", "returned"]


@BOTH
async def test_typed_answers_get_an_input_placeholder_on_telegram(kit):
    an = await kit.join("5503", "Trần Văn An")
    await an.send("viec tot" if kit.channel == "zalo" else "/viectot")
    ask = await an.expect("Đồng chí đã làm việc tốt gì?")
    if kit.channel == "telegram":
        markup = ask.raw.reply_markup or {}
        assert markup.get("force_reply") is True
        assert markup.get("input_field_placeholder") == "Ví dụ: Giúp bà Tư sửa mái bếp"
    else:
        assert "Ví dụ: Giúp bà Tư" not in ask.text  # Zalo has no input hint: nothing leaks into the text
    await an.send("Giúp bà Tư sửa mái bếp")
    await an.expect("Gửi việc tốt này?")
    await an.send("/doiten")
    ask = await an.expect("họ tên đầy đủ")
    if kit.channel == "telegram":
        assert (ask.raw.reply_markup or {}).get("input_field_placeholder") == "Ví dụ: Nguyễn Văn An"


def test_placeholder_rides_the_menu_or_a_force_reply_never_over_inline_buttons():
    from bot.channels.telegram.render import markup
    from bot.messages import Button, Reply

    hint = "Ví dụ: 28/11"
    assert Reply.from_dict(Reply(text="x", placeholder=hint).to_dict()).placeholder == hint  # outbox copy
    with_menu = markup(Reply(text="x", menu=[["A"]], placeholder=hint))
    assert with_menu is not None and with_menu.input_field_placeholder == hint
    alone = markup(Reply(text="x", placeholder=hint))
    assert alone is not None and alone.force_reply and alone.input_field_placeholder == hint
    inline = markup(Reply(text="x", buttons=[[Button("Hôm nay", "f:1:0")]], placeholder=hint))
    assert inline is not None and not hasattr(inline, "input_field_placeholder")
    assert markup(Reply(text="x")) is None  # no hint, no keyboard: nothing
