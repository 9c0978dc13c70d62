"""Member flows with one body on Telegram and on Zalo (see tests/channels.py for the ``kit``).

A flow that only works with buttons, or that leaks HTML, fails the Zalo run.
"""

from __future__ import annotations

import pytest

from bot.messages import Reply
from bot.services.org import OrgService
from bot.services.outbox import enqueue_for_person

BOTH = pytest.mark.parametrize("channel", ["telegram", "zalo"])


def no_tags(user) -> None:
    """On Zalo every message is plain text: no tag of the Reply HTML subset may show."""
    if user.__class__.__name__ == "ZaloUser":
        for m in user.messages():
            assert not any(tag in m.text for tag in ("<b>", "</b>", "<i>", "</i>", "&lt;", "&amp;")), m.text


@BOTH
async def test_join_by_typed_code_and_approval(kit):
    an = await kit.join("5101", "Trần Văn An")
    await kit.branch.secretary.send("/thanhvien")
    await kit.branch.secretary.expect("Đảng viên (2)", "Trần Văn An")
    no_tags(an)


@BOTH
async def test_help_and_profile(kit):
    an = await kit.join("5102", "Trần Văn An")
    await an.send("/help")
    help_msg = await an.expect("Đồng chí có thể dùng", "/homnay")
    assert "/mathamgia" not in help_msg.text  # members see member commands only
    await an.press("Xem thêm")
    await an.expect("/toi")
    if kit.channel == "zalo":
        assert "không cần dấu gạch chéo" in help_msg.text
    await an.send("giup")  # typed without slash or diacritics
    await an.expect("Đồng chí có thể dùng")
    await an.send("/toi")
    await an.expect("Trần Văn An", kit.branch.name)
    no_tags(an)


@BOTH
async def test_choice_by_number_and_by_label_words(kit):
    an = await kit.join("5103", "Trần Văn An")
    await an.send("/doiten")
    await an.expect("họ tên đầy đủ")
    await an.send("Trần Văn Ân")
    asked = await an.expect("Trần Văn Ân")
    assert asked.buttons == ["✅ Đồng ý", "Không"]
    await an.press("Không")  # Telegram: the button; Zalo: types "2"
    await an.expect("tên của đồng chí giữ nguyên")
    await an.send("/doiten")
    await an.expect("họ tên đầy đủ")
    await an.send("Trần Văn Ân")
    await an.expect("Trần Văn Ân")
    await an.send("dong y")  # the label's words, loosely
    await an.expect("Tên của đồng chí bây giờ là", "Trần Văn Ân")
    no_tags(an)


@BOTH
async def test_cancel_mid_form(kit):
    an = await kit.join("5104", "Trần Văn An")
    await an.send("/doiten")
    await an.expect("họ tên đầy đủ")
    await an.send("Lê Văn Khác")
    await an.expect("Lê Văn Khác")
    await an.send("huy")
    await an.expect("Đã huỷ")
    await an.send("1")  # the old choice list is gone: "1" no longer means "yes"
    # On Zalo the number was handed out lately, so it gets a reply saying the list is closed.
    await an.expect("Số 1 không còn trong các lựa chọn" if kit.channel == "zalo" else "chưa rõ ý đồng chí")
    await an.send("/toi")
    profile = await an.expect("👤")
    assert "Trần Văn An" in profile.text and "Lê Văn Khác" not in profile.text


@BOTH
async def test_long_notice_is_split_within_the_channel_limit(kit):
    an = await kit.join("5105", "Trần Văn An")
    assert kit.bot.app is not None
    sentences = [f"Câu {i}: cần, kiệm, liêm, chính, chí công vô tư." for i in range(180)]
    ident_channel = "zalo" if kit.channel == "zalo" else "telegram"
    async with kit.bot.app.db.session() as s:
        from sqlalchemy import select

        from storage.models.people import Identity

        person_id = (await s.execute(select(Identity.person_id).where(Identity.channel == ident_channel)
                                     .order_by(Identity.id.desc()))).scalars().first()
        assert await enqueue_for_person(s, person_id, key="long:1", kind="notice",
                                        reply=Reply(" ".join(sentences)), due_at=kit.bot.app.clock.now())
    kit.bot.app.sender.wake()
    await an.expect("Câu 179:")
    parts = [m.text for m in an.bot_events(an.chat_key) if "Câu " in m.text]
    limit = 2000 if kit.channel == "zalo" else 4096
    assert len(parts) >= 2 and all(len(p) <= limit for p in parts)
    if kit.channel == "zalo":
        assert all(p.endswith(".") for p in parts)  # Zalo cuts between sentences
        text = " ".join(parts)
    else:
        text = "".join(parts)  # Telegram cuts at a space and keeps it
    assert all(s in text for s in sentences)  # nothing lost
    no_tags(an)


@BOTH
async def test_join_code_of_another_branch_on_zalo_is_redirected(kit):
    """A Zalo bot serves only its own branches; Telegram takes any code."""
    from tests.conftest import seed_branch

    other = await seed_branch(kit.bot, kit.fake_tg, org_name="Đảng bộ phường B", branch_name="Chi bộ khu 5",
                              secretary_id=9301, secretary_name="Vũ Minh")
    binh = kit.user("5106", "Lê Bình")
    await binh.send(await other.join_code(kit.bot))
    if kit.channel == "zalo":
        await binh.expect("chưa có bot trên Zalo", "Chi bộ khu 5")
        assert kit.bot.app is not None
        pending = await kit.bot.app.services.get(OrgService).pending_requests(other.secretary_actor,
                                                                              other.branch_id)
        assert pending == []
    else:
        await binh.expect("đã được gửi tới bí thư")
