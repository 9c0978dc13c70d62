"""Taps that cannot hurt (issue 20): a review card before anything sent to someone else or that cannot be
undone, a way back where one is possible, answered questions that show the answer and lose their buttons
(Telegram) or answer "already answered" (Zalo's numbered lists), and one feedback per tap.

Members are on the test's channel (Telegram and Zalo); the secretary stays on Telegram.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from bot.devtools.emulator.telegram_state import tiny_png
from bot.features.deeds.models import Deed
from bot.features.pledges.models import Pledge, PledgeReview
from storage.models.people import Membership
from tests.conftest import TZ
from tests.conversations.test_both_channels import no_tags
from tests.pledges.conftest import DEEDS, fill_pledge, pledge_and_approve

BOTH = pytest.mark.parametrize("channel", ["telegram", "zalo"])


@pytest.fixture(autouse=True)
def _no_rate_limits(fake_tg) -> None:
    fake_tg.limits.enabled = False


async def _review(kit) -> tuple[str, str | None]:
    async with kit.bot.app.db.session() as s:
        [r] = (await s.execute(select(PledgeReview).where(PledgeReview.kind == "yearend"))).scalars().all()
        return r.status, r.level


async def _deeds(kit) -> list[Deed]:
    async with kit.bot.app.db.session() as s:
        return list((await s.execute(select(Deed).order_by(Deed.id))).scalars().all())


def _popups(kit) -> list[str]:
    return [a.get("text") or "" for a in kit.fake_tg.callback_answers.values()]


# --- the year-end self-assessment -------------------------------------------------------------------


@BOTH
async def test_yearend_goes_through_a_review_card_and_can_be_withdrawn(kit, clock):
    an = await kit.join("5601", "Trần Văn An")
    sec = kit.branch.secretary
    await pledge_and_approve(an, sec, DEEDS[:1])
    clock.set(datetime(2026, 11, 16, 8, 0, tzinfo=TZ))
    await kit.bot.tick(only=["pledges_yearend"])
    draft = await an.expect("Tự đánh giá cuối năm 2026", "Ưu điểm, kết quả đạt được")
    await an.press("Sửa")
    await an.expect("Đồng chí muốn sửa phần nào?")
    await an.press("Tự xếp loại")
    await an.expect("Đồng chí tự đề xuất mức xếp loại nào?")
    await an.press("Không hoàn thành nhiệm vụ")
    await an.expect("Tự đề xuất mức xếp loại: Không hoàn thành nhiệm vụ")
    # "Gửi" does not send: a confirmation first, and nothing has gone to the secretary.
    await an.press("Gửi")
    card = await an.expect("Gửi bản tự đánh giá cuối năm 2026 cho bí thư?", "Mức tự đề xuất: Không hoàn thành")
    assert card.buttons == ["✅ Xác nhận gửi", "✏️ Sửa", "✖️ Huỷ"]
    await sec.expect_nothing(0.3)
    assert await _review(kit) == ("draft", "not_done")
    await an.press("Huỷ")
    await an.expect("Đã huỷ. Chưa có gì được gửi")
    assert await _review(kit) == ("draft", "not_done")
    if kit.channel == "telegram":
        assert an.current(card).buttons == [] and "→ ✖️ Huỷ" in an.current(card).text
    # Cancelling shows the card again; this time the member means it.
    await an.expect("Tự đánh giá cuối năm 2026", "bản nháp, chưa gửi")
    await an.press("Sửa")
    await an.expect("Đồng chí muốn sửa phần nào?")
    await an.press("Tự xếp loại")
    await an.expect("Đồng chí tự đề xuất mức xếp loại nào?")
    await an.press("Hoàn thành tốt nhiệm vụ")
    await an.expect("Tự đề xuất mức xếp loại: Hoàn thành tốt nhiệm vụ")
    await an.press("Gửi")
    await an.expect("Gửi bản tự đánh giá cuối năm 2026 cho bí thư?", "Hoàn thành tốt nhiệm vụ")
    await an.press("Xác nhận gửi")
    await an.expect("Bản tự đánh giá cuối năm (Hoàn thành tốt nhiệm vụ) đã được gửi bí thư")
    await sec.expect("Tự đánh giá cuối năm 2026 — Trần Văn An", "Hoàn thành tốt nhiệm vụ")
    assert await _review(kit) == ("submitted", "good")
    # The way back, until the secretary acts on it: an editable draft again, sent again.
    await an.press("Rút lại để sửa")
    await an.expect("Đã rút lại, bí thư đã được báo")
    await sec.expect("Trần Văn An đã rút lại bản tự đánh giá cuối năm 2026")
    assert await _review(kit) == ("withdrawn", "good")
    await an.expect("Tự đánh giá cuối năm 2026", "đã rút lại để sửa")
    await an.press("Gửi")
    await an.expect("Gửi bản tự đánh giá cuối năm 2026 cho bí thư?", "Hoàn thành tốt nhiệm vụ")
    await an.press("Xác nhận gửi")
    await an.expect("đã được gửi bí thư")
    await sec.expect("Tự đánh giá cuối năm 2026 — Trần Văn An", "Hoàn thành tốt nhiệm vụ")
    assert await _review(kit) == ("submitted", "good")
    if kit.channel == "telegram":
        # The first card's "Gửi", pressed after sending: a polite answer, nothing changes.
        await an.press_data(dict(draft.button_data)["📨 Gửi"], draft)
        await an.expect("đã được gửi bí thư rồi")
        assert await _review(kit) == ("submitted", "good")
    no_tags(an)


# --- the pledge: sending and deleting the draft -------------------------------------------------------


@BOTH
async def test_pledge_draft_delete_asks_first(kit):
    an = await kit.join("5602", "Trần Văn An")
    await an.send("/dangky")
    await an.expect("Chức vụ hoặc nhiệm vụ")
    await an.send("giáo viên")
    await an.expect("Việc làm 1")
    await an.send("/huy")
    await an.expect("bản nháp")
    await an.send("/dangky")
    await an.expect("Tiếp tục bản nháp?")
    await an.press("Làm lại từ đầu")
    card = await an.expect("Xoá bản nháp đăng ký làm theo và làm lại từ đầu?", "không khôi phục được")
    assert card.buttons == ["🗑 Có, xoá bản nháp", "Không, giữ lại"]
    await an.press("Không, giữ lại")
    await an.expect("Đã huỷ")
    async with kit.bot.app.db.session() as s:
        [pledge] = (await s.execute(select(Pledge))).scalars().all()
    assert pledge.draft and pledge.draft.get("duty") == "giáo viên"  # kept
    await an.expect("Việc làm 1")  # and the draft goes on where it stopped
    await an.send("/dangky")
    await an.expect("Tiếp tục bản nháp?")
    await an.press("Làm lại từ đầu")
    await an.expect("Xoá bản nháp đăng ký làm theo")
    await an.press("Có, xoá bản nháp")
    await an.expect("Đã xoá bản nháp")
    await an.expect("Chức vụ hoặc nhiệm vụ")
    async with kit.bot.app.db.session() as s:
        assert (await s.execute(select(Pledge))).scalars().all() == []
    no_tags(an)


async def test_pledge_send_review_card_edit_goes_back_to_the_review(kit):
    an = await kit.join("5603", "Trần Văn An")
    await fill_pledge(an, DEEDS[:1])
    await an.press("Gửi bí thư")
    card = await an.expect("Gửi bản đăng ký làm theo năm 2026 cho bí thư Chi bộ thôn 1?", "có 1 việc làm theo")
    await kit.branch.secretary.expect_nothing(0.3)
    await an.press("Sửa", message=card)
    await an.expect("Xem lại phiếu")
    assert an.current(card).buttons == [] and "→ ✏️ Sửa" in an.current(card).text
    await an.press_data(dict(card.button_data)["✅ Xác nhận gửi"], card)  # the old card's "confirm"
    await an.expect("Câu hỏi này đồng chí đã trả lời rồi; không có gì thay đổi")
    async with kit.bot.app.db.session() as s:
        [pledge] = (await s.execute(select(Pledge))).scalars().all()
    assert pledge.status == "draft"


# --- good deeds: the decided card, and a returned deed sent again ---------------------------------------


async def test_decided_deed_card_loses_its_buttons_and_an_old_press_changes_nothing(kit, clock):
    an = await kit.join("5604", "Trần Văn An")
    sec = kit.branch.secretary
    await an.send_photo(tiny_png(3, 2), caption="Chở cụ Bảy đi chợ phiên")
    await an.expect("Ghi nhận đây là việc tốt?")
    await an.press("Có, ghi nhận")
    await an.expect("Việc tốt đã được lưu")
    clock.set(datetime(2026, 3, 2, 19, 0, tzinfo=TZ))
    await kit.bot.tick(only=["deeds_digest"])
    await sec.expect("việc tốt chờ duyệt")  # the summary; the cards come on demand
    await sec.press("Mở để duyệt")
    card = await sec.expect("Chở cụ Bảy đi chợ phiên")
    assert card.buttons == ["✅ Ghi nhận", "🌟 Biểu dương", "↩️ Trả lại"] and card.photo  # a caption to edit
    answers_before = len(_popups(kit))
    await sec.press("Ghi nhận", message=card)
    await sec.expect("Đã ghi nhận")
    closed = sec.current(card)
    assert closed.buttons == [] and "Chở cụ Bảy đi chợ phiên" in closed.text and "→ ✅ Ghi nhận" in closed.text
    assert closed.photo and closed.edited
    # The old button, pressed again (a replayed tap): one polite message, no pop-up, nothing changes.
    await sec.press_data(dict(card.button_data)["↩️ Trả lại"], card)
    await sec.expect("đã được duyệt rồi")
    assert [d.status for d in await _deeds(kit)] == ["accepted"]
    assert _popups(kit)[answers_before:] == ["", ""]  # one feedback per tap: the message only


@BOTH
async def test_returned_deed_edit_and_send_again(kit, clock):
    an = await kit.join("5605", "Trần Văn An")
    sec = kit.branch.secretary
    await an.send("#viectot Quét sân")
    await an.expect("Ghi nhận đây là việc tốt?")
    await an.press("Có, ghi nhận")
    await an.expect("Việc tốt đã được lưu")
    clock.set(datetime(2026, 3, 2, 19, 0, tzinfo=TZ))
    await kit.bot.tick(only=["deeds_digest"])
    await sec.expect("việc tốt chờ duyệt")  # the summary; the cards come on demand
    await sec.press("Mở để duyệt")
    card = await sec.expect("Quét sân")
    await sec.press("Trả lại", message=card)
    await sec.expect("Vì sao trả lại")
    assert sec.current(card).buttons  # not settled until the reason is given
    await sec.send("Đồng chí ghi rõ quét sân ở đâu, cho ai")
    await sec.expect("Đã trả lại")
    returned = await an.expect("được bí thư trả lại", "ghi rõ quét sân ở đâu")
    assert "✏️ Sửa và gửi lại" in returned.buttons
    await an.press("Sửa và gửi lại")
    await an.expect("Việc tốt đồng chí đã viết", "Quét sân")
    await an.expect("gõ lại nội dung việc tốt đã sửa")
    await an.send("Quét sân nhà văn hoá thôn trước buổi họp chi bộ")
    await an.expect("Gửi lại việc tốt này cho bí thư?", "Quét sân nhà văn hoá thôn")
    assert [d.status for d in await _deeds(kit)] == ["returned"]  # nothing sent before the confirm
    await an.press("Xác nhận gửi")
    await an.expect("Đã gửi lại")
    [deed] = await _deeds(kit)
    assert deed.status == "pending" and deed.text == "Quét sân nhà văn hoá thôn trước buổi họp chi bộ"
    # It comes back to the secretary with the next digest, and a second decision is told again.
    clock.set(datetime(2026, 3, 3, 19, 0, tzinfo=TZ))
    await kit.bot.tick(only=["deeds_digest"])
    await sec.expect("việc tốt chờ duyệt")  # the summary; the cards come on demand
    await sec.press("Mở để duyệt")
    again = await sec.expect("Quét sân nhà văn hoá thôn trước buổi họp chi bộ")
    await sec.press("Ghi nhận", message=again)
    await an.expect("đã được chi bộ ghi nhận")
    no_tags(an)


# --- leaving a branch -----------------------------------------------------------------------------


async def _active(kit) -> int:
    async with kit.bot.app.db.session() as s:
        rows = (await s.execute(select(Membership).where(Membership.status == "active"))).scalars().all()
    return len(rows)


@BOTH
async def test_leaving_a_branch_asks_first(kit):
    an = await kit.join("5606", "Trần Văn An")
    members = await _active(kit)
    await an.send("/roi")
    await an.expect("Đồng chí muốn rời chi bộ nào?")
    await an.press(f"Rời {kit.branch.name}")
    card = await an.expect(f"Rời {kit.branch.name}?", "cần mã tham gia mới")
    assert card.buttons == ["🚪 Có, rời chi bộ", "Không, ở lại"]
    await kit.branch.secretary.expect_nothing(0.3)
    await an.press("Không, ở lại")
    await an.expect("Đã huỷ")
    assert await _active(kit) == members
    if kit.channel == "zalo":
        # The card's number for "Có, rời chi bộ", typed after the card was answered: changes nothing.
        await an.send(dict(card.button_data)["🚪 Có, rời chi bộ"])
        await an.expect("Câu hỏi này đồng chí đã trả lời rồi (Không, ở lại); không có gì thay đổi")
        assert await _active(kit) == members
    else:
        assert an.current(card).buttons == [] and "→ Không, ở lại" in an.current(card).text
    await an.send("/roi")
    await an.expect("Đồng chí muốn rời chi bộ nào?")
    await an.press(f"Rời {kit.branch.name}")
    await an.expect(f"Rời {kit.branch.name}?")
    await an.press("Có, rời chi bộ")
    await an.expect("Đồng chí đã rời Chi bộ thôn 1")
    assert await _active(kit) == members - 1
    no_tags(an)
