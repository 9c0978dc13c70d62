"""Drafts across restarts, return with a comment, and permission denials (incl. forged buttons)."""

from __future__ import annotations

import logging

from sqlalchemy import select

from bot.features.pledges.callbacks import PledgeExportFor, PledgeNudge, PledgeStatusFor
from bot.features.pledges.models import Pledge
from tests.conftest import join_member, seed_branch
from tests.pledges.conftest import fill_pledge


async def test_draft_kept_when_stopping_and_resumed_after_restart(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 6101, "Trần Văn An")
    await an.send("/dangky")
    await an.expect("Chức vụ hoặc nhiệm vụ")
    await an.send("trưởng thôn")
    await an.expect("Việc làm 1: đồng chí sẽ làm gì?")
    await an.send("Vận động bà con làm đường bê tông")
    await an.expect("Việc làm 1: đo kết quả")
    await an.send("/toi")  # another command leaves the form: the draft is kept
    await an.expect("Phiếu của đồng chí đã được giữ làm bản nháp")
    await bot.restart()
    await an.send("/dangky")
    await an.expect("Tiếp tục bản nháp?")
    await an.press("Tiếp tục bản nháp")
    await an.expect("Việc làm 1: đo kết quả")  # picks up exactly where it stopped
    await an.send("500 m đường")
    await an.expect("khi nào")
    await an.send("trước tháng 10/2026")
    await an.expect("Thêm việc nữa không?")
    # A restart in the middle of a question keeps the form too.
    await bot.restart()
    await an.press("Tiếp tục")
    await an.expect("Một khuyết điểm")
    await an.send("nóng tính")
    await an.expect("khắc phục")
    await an.send("bình tĩnh lắng nghe")
    await an.expect("Lời cam kết")
    await an.press("Giữ lời cam kết này")
    await an.expect("Xem lại phiếu", "trưởng thôn", "Vận động bà con làm đường bê tông", "500 m đường")


async def test_start_again_discards_the_draft(bot, fake_tg, branch):
    an = await join_member(bot, fake_tg, branch, 6102, "Trần Văn An")
    await an.send("/dangky")
    await an.expect("Chức vụ hoặc nhiệm vụ")
    await an.send("hưu trí")
    await an.expect("Việc làm 1")
    await an.send("/huy")
    await an.expect("Phiếu của đồng chí đã được giữ làm bản nháp")
    await an.send("/dangky")
    await an.expect("Tiếp tục bản nháp?")
    await an.press("Làm lại từ đầu")
    await an.expect("Xoá bản nháp đăng ký làm theo và làm lại từ đầu?")  # asks first
    await an.press("Có, xoá bản nháp")
    await an.expect("Chức vụ hoặc nhiệm vụ")


async def test_return_with_comment_then_fix_and_approve(bot, fake_tg, branch, caplog):
    fake_tg.limits.enabled = False
    chi = await join_member(bot, fake_tg, branch, 6103, "Phạm Chi")
    await fill_pledge(chi)
    await chi.press("Gửi bí thư")
    await chi.expect("Sau khi gửi, bản đăng ký chờ bí thư duyệt")
    await chi.press("Xác nhận gửi")
    await chi.expect("Đã gửi!")
    notice = await branch.secretary.expect("Phiếu đăng ký mới cần duyệt", "Phạm Chi")
    await branch.secretary.press("Trả lại kèm góp ý")
    await branch.secretary.expect("Đồng chí Phạm Chi cần sửa gì?")
    await branch.secretary.send("việc 1 cần tiêu chí rõ ràng, có số liệu")
    await branch.secretary.expect("Đã trả lại phiếu của Phạm Chi")
    back = await chi.expect("Bí thư đã trả lại phiếu", "việc 1 cần tiêu chí rõ ràng, có số liệu")
    await chi.press("Sửa phiếu", message=back)
    await chi.expect("Phiếu bị trả lại — sửa rồi gửi lại", "Góp ý của bí thư", "việc 1 cần tiêu chí")
    await chi.press("Sửa việc 1")
    await chi.expect("Việc làm 1: đồng chí sẽ làm gì?")
    await chi.send("Giúp hai hộ nghèo làm hồ sơ vay vốn chăn nuôi")
    await chi.expect("đo kết quả")
    await chi.send("2 hộ được vay 50 triệu đồng, mỗi hộ nuôi 5 con lợn")
    await chi.expect("khi nào")
    await chi.send("trước tháng 9/2026")
    await chi.expect("Phiếu bị trả lại", "2 hộ được vay 50 triệu đồng")
    await chi.press("Gửi bí thư")
    await chi.expect("Sau khi gửi, bản đăng ký chờ bí thư duyệt")
    await chi.press("Xác nhận gửi")
    await chi.expect("Đã gửi!", "lần 2")
    # Wait for the new notice first: it comes from the outbox and may arrive before or after the replay's reply.
    fresh = await branch.secretary.expect("Phiếu đăng ký mới cần duyệt", "2 hộ được vay 50 triệu đồng")
    # The old notice's buttons are now stale: a replay does nothing and is logged.
    with caplog.at_level(logging.WARNING, logger="hocbac.pledges"):
        await branch.secretary.press("Duyệt phiếu", message=notice)
        await branch.secretary.expect("Phiếu này đã được xử lý rồi")
    assert any("replayed pledge decision" in r.message for r in caplog.records)
    await branch.secretary.press("Duyệt phiếu", message=fresh)
    await chi.expect("đã được bí thư duyệt")


async def test_forged_and_foreign_buttons_do_nothing(bot, fake_tg, branch, caplog):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 6104, "Trần Văn An")
    dung = await join_member(bot, fake_tg, branch, 6105, "Đỗ Dũng")
    await fill_pledge(an)
    await an.press("Gửi bí thư")
    await an.expect("Sau khi gửi, bản đăng ký chờ bí thư duyệt")
    await an.press("Xác nhận gửi")
    notice = await branch.secretary.expect("Phiếu đăng ký mới cần duyệt")
    approve = dict(notice.button_data)["✅ Duyệt phiếu"]
    # A member forges the secretary's approve button.
    await dung.send("/toi")
    own = await dung.expect("Đỗ Dũng")
    with caplog.at_level(logging.WARNING):
        await dung.press_data(approve, own)
        await dung.expect("không có quyền")
        # A secretary of another branch forges it too.
        other = await seed_branch(
            bot,
            fake_tg,
            org_name="Đảng bộ phường B",
            branch_name="Chi bộ khu 5",
            secretary_id=9201,
            secretary_name="Vũ Minh",
        )
        await other.secretary.send("/toi")
        sec_own = await other.secretary.expect("Vũ Minh")
        await other.secretary.press_data(approve, sec_own)
        await other.secretary.expect("không có quyền")
        await other.secretary.press_data(approve.replace(":ok:", ":back:"), sec_own)
        await other.secretary.expect("không có quyền")
        # Nor may they see the branch's status or export it.
        await other.secretary.press_data(PledgeExportFor(branch.branch_id).pack(), sec_own)
        await other.secretary.expect("không có quyền")
        await dung.press_data(PledgeStatusFor(branch.branch_id).pack(), own)
        await dung.expect("không có quyền")
        await dung.press_data(PledgeNudge(branch.branch_id).pack(), own)
        await dung.expect("không có quyền")
    assert sum("permission denied" in r.message for r in caplog.records) >= 5
    await dung.send("/dangky_tinhhinh")
    await dung.expect("chỉ dành cho bí thư")
    assert bot.app is not None
    async with bot.app.db.session() as s:
        p = (await s.execute(select(Pledge))).scalar_one()
    assert p.status == "submitted" and p.approved_version is None


async def test_member_who_left_keeps_read_access(bot, fake_tg, branch):
    from tests.pledges.conftest import pledge_and_approve

    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 6106, "Trần Văn An")
    await pledge_and_approve(an, branch.secretary)
    await an.send("/roi")
    await an.expect("Đồng chí muốn rời chi bộ nào?")
    await an.press(f"Rời {branch.name}")
    await an.expect("cần mã tham gia mới")
    await an.press("Có, rời chi bộ")
    await an.expect("Đồng chí đã rời Chi bộ thôn 1")
    await an.send("/camket")
    await an.expect(
        "Phiếu đăng ký học tập và làm theo Bác — năm 2026",
        "Trần Văn An — Chi bộ thôn 1",
        "đã được bí thư duyệt",
    )
    await an.send("/dangky")  # no longer a member: cannot register or amend here
    await an.expect("chưa tham gia chi bộ")
    # The branch keeps the record: the secretary still exports it.
    await branch.secretary.send("/dangky_tinhhinh")
    await branch.secretary.expect("Tình hình đăng ký")
    await branch.secretary.press("Xuất Excel")
    doc = await branch.secretary.expect("mỗi việc làm một dòng")
    from tests.pledges.conftest import xlsx_rows

    assert [r[1] for r in xlsx_rows(fake_tg, doc)[1:]] == ["Trần Văn An"]
