"""The year-end self-assessment that cannot be sent by accident (issue 15, part 2).

The review window, editing one section at a time, points refused outside 30 + 70, a level whose band does not
hold the points, the review card and its confirmation, withdrawal and re-sending (every sent version kept),
no withdrawal once the branch acted (``lock_self_assessment``), the secretary told, a restart mid-form.
Members are on the test's channel (Telegram and Zalo); the secretary stays on Telegram.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from bot.features.pledges.assessment import check_points, review_window
from bot.features.pledges.assessment_card import card_data, sections_of
from bot.features.pledges.models import PledgeBranchSettings, PledgeReview, PledgeReviewVersion
from bot.features.pledges.settings import PledgeSettings
from bot.features.pledges.yearend_form import FORMS, form_sections
from bot.services.errors import InvalidInput, PermissionDenied
from tests.conftest import TZ
from tests.conversations.test_both_channels import no_tags
from tests.pledges.conftest import DEEDS, pledge_and_approve

BOTH = pytest.mark.parametrize("channel", ["telegram", "zalo"])


@pytest.fixture(autouse=True)
def _no_rate_limits(fake_tg) -> None:
    fake_tg.limits.enabled = False


async def _review(kit) -> PledgeReview:
    async with kit.bot.app.db.session() as s:
        [r] = (await s.execute(select(PledgeReview).where(PledgeReview.kind == "yearend"))).scalars().all()
        return r


async def _versions(kit) -> list[PledgeReviewVersion]:
    async with kit.bot.app.db.session() as s:
        return list((await s.execute(select(PledgeReviewVersion).order_by(PledgeReviewVersion.version))
                     ).scalars().all())


async def _member_with_pledge(kit, clock, uid: str = "5701"):
    an = await kit.join(uid, "Trần Văn An")
    await pledge_and_approve(an, kit.branch.secretary, DEEDS[:1])
    return an


# --- chat ---------------------------------------------------------------------------------------------


@BOTH
async def test_window_closed_then_open_and_set_by_the_secretary(kit, clock):
    an = await _member_with_pledge(kit, clock)
    sec = kit.branch.secretary
    clock.set(datetime(2026, 11, 10, 9, 0, tzinfo=TZ))
    await an.send("/tudanhgia")
    await an.expect("bản tự đánh giá cuối năm mở từ ngày 15/11/2026", "15/11/2026–31/12/2026")
    async with kit.bot.app.db.session() as s:
        assert (await s.execute(select(PledgeReview))).scalars().all() == []
    # The secretary moves the window (dd/mm typed, read by bot/services/when.py).
    await sec.send("/dangky_caidat")
    await sec.expect("Kỳ tự đánh giá cuối năm: 15/11–31/12")
    await sec.press("Kỳ tự đánh giá cuối năm")
    await sec.expect("Từ ngày nào đảng viên bắt đầu viết bản tự đánh giá cuối năm?")
    await sec.send("hôm nao")
    await sec.expect("ngày và tháng")  # unreadable: asked again politely
    await sec.send("08/11")
    await sec.expect("Đến hết ngày nào?")
    await sec.send("20/12")
    await sec.expect("Kỳ tự đánh giá cuối năm nay là 08/11/2026–20/12/2026")
    async with kit.bot.app.db.session() as s:
        st = await s.get(PledgeBranchSettings, kit.branch.branch_id)
        assert (st.yearend_start_day, st.yearend_start_month, st.yearend_end_day, st.yearend_end_month) == (
            8, 11, 20, 12)
    await an.send("/tudanhgia")
    card = await an.expect("Tự đánh giá cuối năm 2026", "Ưu điểm, kết quả đạt được", "đôi khi đi họp chi bộ muộn")
    assert card.buttons == ["📨 Gửi", "✏️ Sửa"]
    # After the window: a polite reply, the draft stays as it is.
    clock.set(datetime(2026, 12, 21, 9, 0, tzinfo=TZ))
    await an.send("/tudanhgia")  # a draft not sent: the window is checked
    await an.expect("kỳ tự đánh giá cuối năm của chi bộ (08/11/2026–20/12/2026) đã kết thúc")
    no_tags(an)


async def _actor(kit, user):
    from bot.services.identity import IdentityService
    from storage.models.people import Identity

    async with kit.bot.app.db.session() as s:
        person_id = (await s.execute(select(Identity.person_id).where(Identity.external_id == str(user.user_id)))
                     ).scalar_one()
    return await kit.bot.app.services.get(IdentityService).actor_for_person(person_id)


async def test_a_member_cannot_change_the_window(kit, clock):
    an = await _member_with_pledge(kit, clock)
    with pytest.raises(PermissionDenied):
        await kit.bot.app.services.get(PledgeSettings).set_review_window(
            await _actor(kit, an), kit.branch.branch_id, date(2026, 10, 1), date(2026, 12, 31))
    start, end = await kit.bot.app.services.get(PledgeSettings).set_review_window(
        kit.branch.secretary_actor, kit.branch.branch_id, date(2026, 10, 1), date(2026, 12, 31))
    assert (start, end) == (date(2026, 10, 1), date(2026, 12, 31))
    with pytest.raises(InvalidInput):  # closes before it opens
        await kit.bot.app.services.get(PledgeSettings).set_review_window(
            kit.branch.secretary_actor, kit.branch.branch_id, date(2026, 12, 31), date(2026, 10, 1))


@BOTH
async def test_edit_points_level_review_withdraw_resend_and_lock(kit, clock):
    an = await _member_with_pledge(kit, clock)
    sec = kit.branch.secretary
    clock.set(datetime(2026, 11, 16, 8, 0, tzinfo=TZ))
    await kit.bot.tick(only=["pledges_yearend"])
    await an.expect("Tự đánh giá cuối năm 2026", "Ưu điểm, kết quả đạt được")
    # One section at a time, its current text shown first; a restart in the middle loses nothing.
    await an.press("Sửa")
    await an.expect("Đồng chí muốn sửa phần nào?")
    await an.press("Hạn chế, khuyết điểm")
    await an.expect("Hạn chế, khuyết điểm, nội dung hiện tại", "đôi khi đi họp chi bộ muộn")
    await an.expect("gửi nội dung mới của phần “Hạn chế, khuyết điểm”")
    await kit.bot.restart()
    await an.send("Có lúc đi họp muộn; chưa đọc đủ tài liệu sinh hoạt chuyên đề.")
    await an.expect("Đã lưu")
    card = await an.expect("Tự đánh giá cuối năm 2026", "chưa đọc đủ tài liệu sinh hoạt chuyên đề")
    assert "đôi khi đi họp chi bộ muộn" not in card.text
    assert sections_of(await _review(kit))["han_che_khuyet_diem"].startswith("Có lúc đi họp muộn")
    # Points: 30 common + 70 results, anything outside refused politely and asked again.
    await an.press("Sửa")
    await an.expect("Đồng chí muốn sửa phần nào?")
    await an.press("Chấm điểm")
    await an.expect("Điểm nhóm tiêu chí chung", "từ 0 đến 30?")
    await an.send("35")
    await an.expect("Đồng chí vui lòng nhập một số nguyên từ 0 đến 30.")
    await an.send("28")
    await an.expect("Điểm nhóm tiêu chí kết quả thực hiện nhiệm vụ, từ 0 đến 70?")
    await an.send("mười")
    await an.expect("Đồng chí vui lòng nhập một số nguyên từ 0 đến 70.")
    await an.send("64")
    await an.expect("Đã lưu điểm: 28/30 tiêu chí chung + 64/70 kết quả = 92/100")
    await an.expect("Tự đánh giá cuối năm 2026", "92/100")
    # A level whose band does not hold the points: said, and the member keeps it or fixes it.
    await an.press("Sửa")
    await an.expect("Đồng chí muốn sửa phần nào?")
    await an.press("Tự xếp loại")
    await an.expect("Đồng chí tự đề xuất mức xếp loại nào?")
    await an.press("Hoàn thành tốt nhiệm vụ")
    await an.expect("92 điểm thuộc khung mức “Hoàn thành xuất sắc nhiệm vụ”",
                    "không thuộc mức đồng chí đề xuất là “Hoàn thành tốt nhiệm vụ”",
                    "Đồng chí giữ mức đã đề xuất hay sửa lại?")
    await an.press("Sửa điểm")
    await an.expect("Điểm nhóm tiêu chí chung")
    await an.send("25")
    await an.expect("Điểm nhóm tiêu chí kết quả")
    await an.send("64")
    await an.expect("Đã lưu điểm", "89/100")
    card = await an.expect("Tự đánh giá cuối năm 2026", "Tự đề xuất mức xếp loại: Hoàn thành tốt nhiệm vụ")
    assert "⚠️" not in card.text  # 89 is in the band of "good": nothing to confirm
    # Now the other way: excellent proposed with 89 points, kept on purpose.
    await an.press("Sửa")
    await an.expect("Đồng chí muốn sửa phần nào?")
    await an.press("Tự xếp loại")
    await an.expect("Đồng chí tự đề xuất mức xếp loại nào?")
    await an.press("Hoàn thành xuất sắc nhiệm vụ")
    await an.expect("89 điểm thuộc khung mức “Hoàn thành tốt nhiệm vụ”")
    await an.press("Giữ mức")
    card = await an.expect("Tự đánh giá cuối năm 2026", "đồng chí đã xác nhận giữ mức này")
    assert (await _review(kit)).band_confirmed
    await sec.expect_nothing(0.3)
    # The review card, then the confirmation: only then is it sent, and the secretary is told.
    await an.press("Gửi")
    await an.expect("Gửi bản tự đánh giá cuối năm 2026 cho bí thư?", "Hoàn thành xuất sắc nhiệm vụ", "89/100")
    await sec.expect_nothing(0.3)
    await an.press("Xác nhận gửi")
    await an.expect("đã được gửi bí thư", "/rutdanhgia")
    told = await sec.expect("Tự đánh giá cuối năm 2026 — Trần Văn An", "Hoàn thành xuất sắc nhiệm vụ",
                            "chưa đọc đủ tài liệu sinh hoạt chuyên đề", "25/30")
    assert "đồng chí đã xác nhận giữ mức này" in told.text
    r = await _review(kit)
    assert (r.status, r.level, r.points_common, r.points_results, r.version) == ("submitted", "excellent", 25, 64, 1)
    # Withdrawn by command: an editable draft again, the secretary told, the sent version kept.
    await an.send("/rutdanhgia")
    await an.expect("Đã rút lại, bí thư đã được báo")
    await sec.expect("Trần Văn An đã rút lại bản tự đánh giá cuối năm 2026")
    await an.expect("Tự đánh giá cuối năm 2026", "đã rút lại để sửa")
    assert (await _review(kit)).status == "withdrawn"
    await an.press("Sửa")
    await an.expect("Đồng chí muốn sửa phần nào?")
    await an.press("Tự xếp loại")
    await an.expect("Đồng chí tự đề xuất mức xếp loại nào?")
    await an.press("Hoàn thành tốt nhiệm vụ")
    await an.expect("Tự đề xuất mức xếp loại: Hoàn thành tốt nhiệm vụ")
    await an.press("Gửi")
    await an.expect("Gửi bản tự đánh giá cuối năm 2026 cho bí thư?")
    await an.press("Xác nhận gửi")
    await an.expect("đã được gửi bí thư")
    await sec.expect("Tự đánh giá cuối năm 2026 — Trần Văn An", "Hoàn thành tốt nhiệm vụ")
    versions = await _versions(kit)
    assert [(v.version, v.content["level"], v.withdrawn_at is not None) for v in versions] == [
        (1, "excellent", True), (2, "good", False)]
    assert versions[0].content["sections"]["han_che_khuyet_diem"].startswith("Có lúc đi họp muộn")
    # The branch acts on it (the classification saves a proposal): no withdrawal any more.
    providers = kit.bot.app.services.deps.ext.providers
    person_id = (await _review(kit)).person_id
    async with kit.bot.app.db.session() as s:
        await providers.lock_self_assessment(s, person_id, 2026, clock.now())
    await an.send("/rutdanhgia")
    await an.expect("chi bộ đã xem xét bản tự đánh giá nên không rút lại được nữa")
    await sec.expect_nothing(0.3)
    assert (await _review(kit)).status == "locked"
    async with kit.bot.app.db.session() as s:
        got = await providers.self_assessment(s, person_id, 2026)
    assert got["status"] == "locked" and got["level"] == "good" and got["points"] == 89
    assert got["sections"][1] == ("Hạn chế, khuyết điểm",
                                  "Có lúc đi họp muộn; chưa đọc đủ tài liệu sinh hoạt chuyên đề.")
    assert [title for title, _text in got["sections"]] == [
        "Ưu điểm, kết quả đạt được", "Hạn chế, khuyết điểm", "Việc khắc phục hạn chế, khuyết điểm"]
    no_tags(an)


# --- units --------------------------------------------------------------------------------------------


def test_points_are_checked_against_the_framework():
    check_points(0, 0)
    check_points(30, 70)
    for common, results in ((31, 10), (-1, 10), (10, 71), (10, -5)):
        with pytest.raises(InvalidInput):
            check_points(common, results)


def test_the_window_defaults_and_a_leap_day():
    assert review_window(PledgeBranchSettings(branch_id=1), 2026) == (date(2026, 11, 15), date(2026, 12, 31))
    st = PledgeBranchSettings(branch_id=1, yearend_start_month=2, yearend_start_day=29)
    assert review_window(st, 2027)[0] == date(2027, 2, 28)


def test_the_form_is_data_and_the_band_is_checked():
    keys = [sec.key for sec in form_sections("2A")]
    assert keys == ["uu_diem_ket_qua", "han_che_khuyet_diem", "khac_phuc", "cham_diem", "tu_xep_loai"]
    assert set(FORMS) == {"2A", "2C"} and form_sections("2B") == form_sections("2A")  # unknown: the default
    assert [sec.placeholder for sec in form_sections("2A")] == [False, True, True, True, True]
    r = PledgeReview(id=1, pledge_id=1, person_id=1, kind="yearend", text="một đoạn cũ", level="excellent",
                     points_common=25, points_results=60)
    d = card_data(r, 2026)
    assert d.points == 85 and d.band_level == "good"
    assert dict(d.sections)["uu_diem_ket_qua"] == "một đoạn cũ"  # written before the form had sections
    r.points_results = 65
    assert card_data(r, 2026).band_level is None


async def test_the_year_file_summary_fills_the_results_when_installed(kit, clock, monkeypatch):
    """With the yearfile feature's provider, its figures join the first section; without it (the other tests),
    the pledge's own record is enough."""
    seen: list[tuple[int, int, int]] = []

    async def summary(_s, person_id: int, branch_id: int, year: int) -> list[str]:
        seen.append((person_id, branch_id, year))
        return ["Việc làm tốt: 7, đã ghi nhận 5", "Sinh hoạt chi bộ: có mặt 10/12"]

    monkeypatch.setattr(kit.bot.app.services.deps.ext.providers, "year_file_summary", summary)
    an = await _member_with_pledge(kit, clock)
    clock.set(datetime(2026, 11, 20, 9, 0, tzinfo=TZ))
    await an.send("/tudanhgia")
    card = await an.expect("Tự đánh giá cuối năm 2026", "Theo hồ sơ cả năm của tôi:")
    assert "- Việc làm tốt: 7, đã ghi nhận 5\n- Sinh hoạt chi bộ: có mặt 10/12" in card.text
    assert f"1. {DEEDS[0][0]}" in card.text  # the pledge's own record stays
    assert seen and seen[0][1:] == (kit.branch.branch_id, 2026)


async def test_no_withdrawal_after_the_window_closed(kit, clock):
    """Withdrawn after the close it could never be sent again: refused, with the dates."""
    an = await _member_with_pledge(kit, clock)
    clock.set(datetime(2026, 12, 30, 9, 0, tzinfo=TZ))
    await an.send("/tudanhgia")
    await an.expect("Tự đánh giá cuối năm 2026")
    await an.press("Sửa")
    await an.expect("Đồng chí muốn sửa phần nào?")
    await an.press("Tự xếp loại")
    await an.expect("Đồng chí tự đề xuất mức xếp loại nào?")
    await an.press("Hoàn thành nhiệm vụ (")
    await an.expect("Tự đề xuất mức xếp loại: Hoàn thành nhiệm vụ")
    await an.press("Gửi")
    await an.expect("Gửi bản tự đánh giá cuối năm 2026 cho bí thư?")
    await an.press("Xác nhận gửi")
    await an.expect("đã được gửi bí thư")
    clock.set(datetime(2027, 1, 2, 9, 0, tzinfo=TZ))
    await an.press("Rút lại để sửa")
    await an.expect("kỳ tự đánh giá cuối năm của chi bộ (15/11/2026–31/12/2026) đã kết thúc")
    assert (await _review(kit)).status == "submitted"
