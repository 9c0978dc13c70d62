"""Dialogue in chat, on Telegram and on Zalo: an anonymous proposal to the committee that gets answered,
a named opinion the secretary answers, and anonymity refused where the committee has not enabled it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.features.dialogue.models import DialogueItem, DialogueSeal
from bot.features.dialogue.service import DialogueService, SendInput
from bot.services.errors import InvalidInput
from tests.dialogue.conftest import actor_of, committee_admin

pytestmark = pytest.mark.parametrize("channel", ["telegram", "zalo"])


def _uid(kit, n: str) -> str:  # type: ignore[no-untyped-def]
    return f"z{n}" if kit.channel == "zalo" else n


async def _send_opinion(member, target: str, kind: str, text: str) -> None:  # type: ignore[no-untyped-def]
    await member.send("/ykien")
    await member.expect("Ý kiến, kiến nghị")
    await member.press("Gửi ý kiến")
    await member.expect("gửi ý kiến tới ai")
    await member.press(target)
    await member.expect("ý kiến hay kiến nghị")
    await member.press(kind)
    await member.expect("vui lòng viết nội dung")
    await member.send(text)
    await member.expect("gửi kèm một ảnh")
    await member.press("Không có ảnh")


async def test_an_anonymous_proposal_is_answered_and_the_committee_never_sees_the_name(kit):
    bot, fake_tg = kit.bot, kit.fake_tg
    fake_tg.limits.enabled = False
    boss, _boss_actor = await committee_admin(bot, fake_tg, kit.branch)
    await boss.send("/hopthu")
    await boss.expect("Ý kiến, kiến nghị — Đảng bộ xã An Bình", "Ý kiến ẩn danh: chưa cho phép")
    await boss.press("Cho phép ý kiến ẩn danh")
    await boss.expect("đã có thể gửi ý kiến ẩn danh")

    an = await kit.join("5001", "Trần Văn An")
    await _send_opinion(an, "Cấp uỷ (ẩn danh)", "Kiến nghị", "Đề nghị lắp đèn đường ở ngõ 3 <gấp>")
    card = await an.expect("Gửi kiến nghị này tới cấp uỷ Đảng bộ xã An Bình?")
    assert "Người xem: các đồng chí cấp uỷ" in card.text and "không ai thấy tên đồng chí" in card.text
    await an.press("✅ Gửi")
    await an.expect("Đã gửi: Kiến nghị số 1/2026", "đã nhận")

    new = await boss.expect("Có ý kiến mới", "Kiến nghị số 1/2026")
    assert "Người gửi: Ẩn danh (Chi bộ thôn 1)" in new.text and "Trần Văn An" not in new.text
    await boss.press("Đang xử lý", message=new)
    await boss.expect("đang xử lý; người gửi đã được báo")
    await an.expect("Kiến nghị số 1/2026 của đồng chí đang được xử lý")

    await boss.press("Trả lời")
    await boss.expect("Nhập câu trả lời cho Kiến nghị số 1/2026")
    await boss.send("Xã sẽ lắp đèn trong tháng 4 <b>2026</b>")
    await boss.expect("Gửi câu trả lời này tới người gửi Kiến nghị số 1/2026?")
    await boss.press("Gửi câu trả lời")
    await boss.expect("Đã gửi câu trả lời Kiến nghị số 1/2026 tới người gửi")
    answered = await an.expect("Kiến nghị số 1/2026 của đồng chí đã được trả lời", "Xã sẽ lắp đèn trong tháng 4")
    if kit.channel == "telegram":  # the answer is escaped HTML: the committee's tags are shown, not applied
        raw = [m.text for m in fake_tg.messages_for(5001) if "đã được trả lời" in m.text][-1]
        assert "&lt;b&gt;2026&lt;/b&gt;" in raw
    assert answered

    await an.send("/ykien")
    await an.expect("Kiến nghị số 1/2026: đã trả lời")

    boss_texts = " ".join(str(m.params) for m in fake_tg.messages_for(9301))
    assert "Trần Văn An" not in boss_texts and _uid(kit, "5001") not in boss_texts
    async with bot.app.db.session() as s:
        item = (await s.execute(select(DialogueItem))).scalar_one()
        seal = (await s.execute(select(DialogueSeal))).scalar_one()
    assert item.person_id is None and item.anonymous and item.status == "answered"
    assert seal.person_id == (await actor_of(bot, _uid(kit, "5001"))).person_id


async def test_the_secretary_answers_a_named_opinion(kit):
    bot, fake_tg = kit.bot, kit.fake_tg
    fake_tg.limits.enabled = False
    sec = kit.branch.secretary
    an = await kit.join("5002", "Lê Thị Bình")
    await _send_opinion(an, "Bí thư chi bộ", "Ý kiến", "Nên họp chi bộ vào tối thứ Sáu")
    card = await an.expect("Gửi ý kiến này tới bí thư Chi bộ thôn 1?")
    assert "Có ghi tên" in card.text and "bí thư và phó bí thư" in card.text
    await an.press("✅ Gửi")
    await an.expect("Đã gửi: Ý kiến số 1/2026", "đã nhận")

    new = await sec.expect("Có ý kiến mới", "Ý kiến số 1/2026")
    assert "Người gửi: Lê Thị Bình (Chi bộ thôn 1)" in new.text
    await sec.send("/ykien")
    inbox = await sec.expect("Ý kiến gửi bí thư chi bộ: 1")
    assert "Ý kiến số 1/2026 — Lê Thị Bình — đã nhận — chờ 0 ngày" in inbox.text
    await sec.press("Ý kiến số 1/2026", message=inbox)
    await sec.expect("Nên họp chi bộ vào tối thứ Sáu")
    await sec.press("Đang xử lý")
    await sec.expect("đang xử lý; người gửi đã được báo")
    await an.expect("Ý kiến số 1/2026 của đồng chí đang được xử lý")
    await sec.press("Trả lời")
    await sec.expect("Nhập câu trả lời")
    await sec.send("Chi bộ đồng ý, từ tháng sau họp tối thứ Sáu.")
    await sec.expect("Gửi câu trả lời này tới người gửi")
    await sec.press("Gửi câu trả lời")
    await sec.expect("Đã gửi câu trả lời")
    await an.expect("đã được trả lời", "từ tháng sau họp tối thứ Sáu")

    # Answered once: a second answer (an old button) is refused politely and changes nothing.
    async with bot.app.db.session() as s:
        item = (await s.execute(select(DialogueItem))).scalar_one()
    assert (item.status, item.person_id is not None, item.answer) == (
        "answered", True, "Chi bộ đồng ý, từ tháng sau họp tối thứ Sáu.")
    await sec.send("/ykien")
    await sec.press("Ý kiến số 1/2026", message=await sec.expect("đã trả lời"))
    shown = await sec.expect("Trả lời: Chi bộ đồng ý")
    assert not shown.buttons
    svc = bot.app.services.get(DialogueService)
    with pytest.raises(Exception, match="đã ở trạng thái: đã trả lời"):
        await svc.answer(kit.branch.secretary_actor, item.id, "lần hai")


async def test_anonymous_is_refused_politely_where_the_committee_has_not_enabled_it(kit):
    bot, fake_tg = kit.bot, kit.fake_tg
    fake_tg.limits.enabled = False
    an = await kit.join("5003", "Phạm Văn Cường")
    await an.send("/ykien")
    await an.expect("Ý kiến, kiến nghị")
    await an.press("Gửi ý kiến")
    question = await an.expect("gửi ý kiến tới ai")
    assert "ẩn danh" not in question.text and all("ẩn danh" not in b for b in question.buttons)
    # Straight to the service (a forged or stale choice): a polite refusal, nothing stored.
    svc = bot.app.services.get(DialogueService)
    actor = await actor_of(bot, _uid(kit, "5003"))
    with pytest.raises(InvalidInput, match="hiện cấp uỷ chưa nhận ý kiến ẩn danh"):
        await svc.submit(actor, SendInput("committee", "opinion", True, "Một ý kiến"))
    # The committee turns it on, the member starts, the committee turns it off before the card is confirmed.
    boss, boss_actor = await committee_admin(bot, fake_tg, kit.branch)
    await svc.set_anonymous(boss_actor, kit.branch.org_id, True)
    await an.send("/huy")
    await an.expect("huỷ")
    await _send_opinion(an, "Cấp uỷ (ẩn danh)", "Ý kiến", "Ý kiến ẩn danh")
    await an.expect("Gửi ý kiến này tới cấp uỷ")
    await svc.set_anonymous(boss_actor, kit.branch.org_id, False)
    await an.press("✅ Gửi")
    await an.expect("hiện cấp uỷ chưa nhận ý kiến ẩn danh", "có ghi tên")
    async with bot.app.db.session() as s:
        assert (await s.execute(select(DialogueItem))).first() is None
    await boss.expect_nothing()
