"""The form engine through the wire: validation, cancel, a restart mid-form, a stale button."""

from __future__ import annotations

from tests.conftest import join_member


async def test_rename_form_validates_and_completes(bot, fake_tg, branch):
    an = await join_member(bot, fake_tg, branch, 6001, "an_2000")
    await an.send("/doiten")
    await an.expect("họ tên đầy đủ")
    await an.send("x" * 101)
    await an.expect("Nội dung quá dài (101 ký tự)", "100 ký tự")
    await an.send_sticker()
    await an.expect("Vui lòng trả lời bằng chữ")
    await an.send("Trần Văn An")
    await an.expect("Đổi tên thành Trần Văn An?")
    await an.press("Đồng ý")
    await an.expect("Tên của đồng chí bây giờ là Trần Văn An")
    await an.send("/toi")
    await an.expect("Trần Văn An", "Chi bộ thôn 1")


async def test_cancel_mid_form_everywhere(bot, fake_tg, branch):
    an = await join_member(bot, fake_tg, branch, 6002, "An")
    await an.send("/doiten")
    await an.expect("họ tên đầy đủ")
    await an.send("/huy")
    await an.expect("Đã huỷ")
    await an.send("Trần Văn An")  # no longer inside the form: free text is not taken as a name
    reply = await an.expect("")
    assert "Tên của đồng chí" not in reply.text
    await an.send("/doiten")
    await an.expect("họ tên đầy đủ")
    await an.send("Hủy")  # typed, with diacritics, no slash
    await an.expect("Đã huỷ")
    await an.send("/huy")
    await an.expect("Không có việc gì đang làm dở")


async def test_restart_mid_form_keeps_state(bot, fake_tg, branch):
    an = await join_member(bot, fake_tg, branch, 6003, "An")
    await an.send("/doiten")
    await an.expect("họ tên đầy đủ")
    await an.send("Lê Thị Bình")
    question = await an.expect("Đổi tên thành Lê Thị Bình?")
    await bot.restart()
    await an.press("Đồng ý", message=question)
    await an.expect("Tên của đồng chí bây giờ là Lê Thị Bình")


async def test_stale_form_button_is_refused(bot, fake_tg, branch):
    an = await join_member(bot, fake_tg, branch, 6004, "An")
    await an.send("/doiten")
    await an.send("Tên Một")
    first = await an.expect("Đổi tên thành Tên Một?")
    await an.press("Không", message=first)
    await an.expect("tên của đồng chí giữ nguyên")
    await an.send("/doiten")
    await an.send("Tên Hai")
    await an.expect("Đổi tên thành Tên Hai?")
    await an.press_data(first.button_data[0][1], first)  # the old question's "yes"
    await an.expect("Nút đó thuộc câu hỏi trước")
    await an.send("/toi")
    profile = await an.expect("Chi bộ thôn 1")
    assert "Tên Một" not in profile.text
