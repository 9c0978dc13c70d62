"""/kehoach: the branch's yearly plan (the unified plan form) and its six-month report, drafted as .docx from
the bot's figures and the secretary's text, sent to the đảng uỷ, returned with a comment, re-sent and
acknowledged."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.features.branch_plan.models import BranchDoc
from bot.features.deeds.reporting import DeedInput, DeedReporting
from bot.features.deeds.review import DeedReviewing
from bot.services.identity import IdentityService
from tests.conftest import join_member
from tests.yearend_commend.conftest import committee_admin, docx_of, person_id


async def _docs(bot) -> dict[str, BranchDoc]:  # type: ignore[no-untyped-def]
    async with bot.app.db.session() as s:
        return {d.kind: d for d in (await s.execute(select(BranchDoc))).scalars()}


async def test_plan_sent_returned_resent_acknowledged(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    committee = await committee_admin(bot, fake_tg, branch)
    sec = branch.secretary
    member = await join_member(bot, fake_tg, branch, 7301, "Trần Văn An")
    await member.send("/kehoach")
    await member.expect("chỉ dành cho bí thư")

    await sec.send("/kehoach")
    overview = await sec.expect("Kế hoạch và báo cáo năm 2026", "Kế hoạch năm 2026: chưa soạn",
                                "Báo cáo sơ kết 6 tháng năm 2026: chưa soạn")
    await sec.press("Kế hoạch năm 2026", message=overview)
    await sec.expect("Mục tiêu của chi bộ trong năm?")
    await sec.send("100% đảng viên đăng ký làm theo và thực hiện có kết quả")
    await sec.expect("Lời cam kết của tập thể chi bộ")
    await sec.send("Mỗi quý một công trình vì cộng đồng\nKhông có đảng viên vi phạm")
    await sec.expect("Biện pháp thực hiện?")
    await sec.send("Giao từng đảng viên phụ trách hộ gia đình")
    await sec.expect("Tiến độ thực hiện")
    await sec.press("Bỏ qua")
    draft = docx_of(fake_tg, await sec.expect("Bản dự thảo Kế hoạch năm 2026"))
    assert "ĐẢNG BỘ XÃ AN BÌNH" in draft and "CHI BỘ THÔN 1" in draft
    assert ("KẾ HOẠCH HỌC TẬP VÀ LÀM THEO TƯ TƯỞNG, ĐẠO ĐỨC, PHONG CÁCH HỒ CHÍ MINH NĂM 2026") in draft
    lines = draft.splitlines()
    goals = lines.index("I. Mục tiêu")
    assert lines[goals + 1] == "100% đảng viên đăng ký làm theo và thực hiện có kết quả"
    commit = lines.index("II. Lời cam kết của tập thể chi bộ")
    assert lines[commit + 1:commit + 3] == ["- Mỗi quý một công trình vì cộng đồng", "- Không có đảng viên vi phạm"]
    assert lines[lines.index("IV. Tiến độ thực hiện") + 1] == "…"  # skipped: left for the secretary to fill
    assert "Ngày 02 tháng 03 năm 2026" in draft and "T/M CHI BỘ — BÍ THƯ" in draft
    assert (await _docs(bot))["plan"].status == "draft"
    card = await sec.expect("Gửi Kế hoạch năm 2026 lên đảng uỷ?", "bản nháp")
    await sec.press("Gửi đảng uỷ", message=card)
    await sec.expect("Đã gửi Kế hoạch năm 2026 lên đảng uỷ")

    notice = await committee.expect("Chi bộ thôn 1 đã gửi Kế hoạch năm 2026")
    assert notice.buttons == ["📄 Mở văn bản (.docx)", "✅ Tiếp nhận", "↩️ Trả lại kèm góp ý"]
    await committee.press("Mở văn bản", message=notice)
    sent = docx_of(fake_tg, await committee.expect("Văn bản chi bộ đã gửi"))
    assert "Giao từng đảng viên phụ trách hộ gia đình" in sent
    await committee.press("Trả lại", message=notice)
    await committee.expect("Chi bộ cần sửa gì?")
    await committee.send("Bổ sung tiến độ theo từng quý")
    await committee.expect("Đã trả lại chi bộ kèm ý kiến", "Kế hoạch năm 2026")
    await sec.expect("Kế hoạch năm 2026: đảng uỷ trả lại.", "Ý kiến: Bổ sung tiến độ theo từng quý", "/kehoach")
    # Sent papers cannot be answered twice (a replayed button).
    await committee.press_data(notice.button_data[1][1], notice)
    await committee.expect("Văn bản này: đảng uỷ trả lại.")

    await sec.send("/kehoach")
    overview = await sec.expect("Kế hoạch năm 2026: đảng uỷ trả lại", "Ý kiến: Bổ sung tiến độ theo từng quý")
    await sec.press("Kế hoạch năm 2026", message=overview)
    await sec.expect("Mục tiêu của chi bộ", "Hiện tại: 100% đảng viên", "Bỏ qua để giữ nguyên")
    await sec.press("Bỏ qua")
    await sec.expect("Lời cam kết của tập thể chi bộ")
    await sec.press("Bỏ qua")
    await sec.expect("Biện pháp thực hiện?")
    await sec.press("Bỏ qua")
    await sec.expect("Tiến độ thực hiện")
    await sec.send("Quý I: phát động\nQuý IV: tổng kết")
    revised = docx_of(fake_tg, await sec.expect("Bản dự thảo Kế hoạch năm 2026"))
    assert "- Quý I: phát động" in revised and "100% đảng viên đăng ký làm theo" in revised
    await sec.press("Gửi đảng uỷ", message=await sec.expect("Gửi Kế hoạch năm 2026 lên đảng uỷ?"))
    await sec.expect("Đã gửi Kế hoạch năm 2026")
    again = await committee.expect("Chi bộ thôn 1 đã gửi lại Kế hoạch năm 2026 sau khi sửa")
    await committee.press("Tiếp nhận", message=again)
    await committee.expect("Đã tiếp nhận: Kế hoạch năm 2026")
    await sec.expect("Kế hoạch năm 2026: đảng uỷ đã tiếp nhận.")
    plan = (await _docs(bot))["plan"]
    assert plan.status == "acknowledged" and plan.sent_count == 2 and plan.comment is None
    assert plan.fields["timetable"] == "Quý I: phát động\nQuý IV: tổng kết"
    # An acknowledged plan is not edited again: /kehoach gives the paper.
    await sec.send("/kehoach")
    await sec.press("Kế hoạch năm 2026", message=await sec.expect("Kế hoạch năm 2026: đảng uỷ đã tiếp nhận"))
    await sec.expect("Kế hoạch năm 2026: đảng uỷ đã tiếp nhận.")


async def test_six_month_report_from_the_figures(bot, fake_tg, branch):
    fake_tg.limits.enabled = False
    committee = await committee_admin(bot, fake_tg, branch)
    sec = branch.secretary
    await join_member(bot, fake_tg, branch, 7401, "Trần Văn An")
    an = await bot.app.services.get(IdentityService).actor_for_person(await person_id(bot, "Trần Văn An"))
    reporting, reviewing = bot.app.services.get(DeedReporting), bot.app.services.get(DeedReviewing)
    for day, verdict in ((date(2026, 2, 20), "feature"), (date(2026, 2, 25), "accept")):
        deed = await reporting.report(an, DeedInput(day=day, text="Dọn vệ sinh đường làng"))
        await reviewing.review(branch.secretary_actor, deed.id, verdict)

    await sec.send("/kehoach")
    await sec.press("Báo cáo sơ kết 6 tháng năm 2026", message=await sec.expect("Kế hoạch và báo cáo năm 2026"))
    await sec.expect("Kết quả nổi bật")
    await sec.send("Phong trào làm đường giao thông nông thôn được nhân dân hưởng ứng")
    await sec.expect("Hạn chế, nguyên nhân?")
    await sec.send("Một số đảng viên cao tuổi chưa dùng điện thoại")
    await sec.expect("Phương hướng, nhiệm vụ thời gian tới?")
    # Left half done: /huy keeps the draft, and it resumes where the text is.
    await sec.send("/huy")
    await sec.expect("Bản nháp đã được lưu")
    half = (await _docs(bot))["half"]
    assert half.status == "draft" and half.fields["limits"] == "Một số đảng viên cao tuổi chưa dùng điện thoại"
    await sec.send("/kehoach")
    await sec.press("Báo cáo sơ kết 6 tháng năm 2026",
                    message=await sec.expect("Báo cáo sơ kết 6 tháng năm 2026: bản nháp"))
    await sec.expect("Kết quả nổi bật", "Hiện tại: Phong trào làm đường")
    await sec.press("Bỏ qua")
    await sec.expect("Hạn chế, nguyên nhân?", "Hiện tại: Một số đảng viên cao tuổi")
    await sec.press("Bỏ qua")
    await sec.expect("Phương hướng, nhiệm vụ thời gian tới?")
    await sec.send("Hướng dẫn đảng viên cao tuổi dùng Zalo")
    report = docx_of(fake_tg, await sec.expect("Bản dự thảo Báo cáo sơ kết 6 tháng năm 2026"))
    assert "BÁO CÁO SƠ KẾT 6 THÁNG ĐẦU NĂM 2026 VIỆC HỌC TẬP VÀ LÀM THEO TƯ TƯỞNG" in report
    assert "Thời gian: từ 01/01/2026 đến 30/06/2026." in report
    lines = report.splitlines()
    figures = lines[lines.index("1. Số liệu hệ thống ghi nhận") + 1:lines.index("2. Kết quả nổi bật")]
    assert "- Số đảng viên: 2" in figures
    assert "- Việc tốt: 2 việc được báo, 2 đã ghi nhận, 1 được biểu dương" in figures
    assert any(f.startswith("- Sinh hoạt: 0 buổi thường kỳ") for f in figures)
    assert lines[lines.index("2. Kết quả nổi bật") + 1] == (
        "Phong trào làm đường giao thông nông thôn được nhân dân hưởng ứng")
    assert lines[lines.index("II. Hạn chế, nguyên nhân") + 1] == "Một số đảng viên cao tuổi chưa dùng điện thoại"
    ahead = lines.index("III. Phương hướng, nhiệm vụ thời gian tới")
    assert lines[ahead + 1] == "Hướng dẫn đảng viên cao tuổi dùng Zalo"
    assert "None" not in report and "deeds_" not in report
    await sec.press("Gửi đảng uỷ", message=await sec.expect("Gửi Báo cáo sơ kết 6 tháng năm 2026 lên đảng uỷ?"))
    await sec.expect("Đã gửi Báo cáo sơ kết 6 tháng năm 2026 lên đảng uỷ")
    notice = await committee.expect("Chi bộ thôn 1 đã gửi Báo cáo sơ kết 6 tháng năm 2026")
    await committee.press("Tiếp nhận", message=notice)
    await sec.expect("Báo cáo sơ kết 6 tháng năm 2026: đảng uỷ đã tiếp nhận.")
    half = (await _docs(bot))["half"]
    assert half.status == "acknowledged" and half.figures["deeds_featured"] == 1
