"""The branch's year-end classification as chats: the secretary proposes with a comment, a half-done proposal
resumes after a restart, the cap is warned about and refused without a reason, the meeting votes, the member
and the committee are told, and the summary .xlsx/.docx are opened and checked.

The self-assessment and year-file providers belong to other branches (selfassess, yearfile); here they are
small stand-ins set on the App's providers, with the contract's shapes. The votes are the real votes feature.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.features.classification.models import ClassificationProposal
from bot.features.classification.service import Classification
from bot.features.votes.service import VoteService
from bot.messages import UserRef
from bot.services.documents import docx_text
from bot.services.identity import IdentityService
from bot.services.org import OrgService
from storage.models.people import Person
from tests.conftest import ADMIN_TG_ID, TZ
from tests.secretary.helpers import seed_members
from tests.votes.helpers import mark_present, schedule

YEAR = 2026


class Stand:
    """Stand-ins for the self_assessment / lock_self_assessment / year_file_summary providers."""

    def __init__(self) -> None:
        self.assessments: dict[int, dict[str, Any]] = {}
        self.year_files: dict[int, list[str]] = {}
        self.locked: list[tuple[int, int]] = []

    def install(self, bot) -> None:  # type: ignore[no-untyped-def]
        providers = bot.app.services.deps.ext.providers

        async def self_assessment(s, person_id, year):  # type: ignore[no-untyped-def]
            return self.assessments.get(person_id)

        async def lock(s, person_id, year, now):  # type: ignore[no-untyped-def]
            self.locked.append((person_id, year))

        async def year_file(s, person_id, branch_id, year):  # type: ignore[no-untyped-def]
            return self.year_files.get(person_id, [])

        providers.self_assessment = self_assessment
        providers.lock_self_assessment = lock
        providers.year_file_summary = year_file


def _assessment(level: str, points: int) -> dict[str, Any]:
    return {"id": 1, "status": "submitted", "level": level, "points": points, "submitted_at": None,
            "sections": [("Ưu điểm, kết quả đạt được", "Hoàn thành các việc đăng ký làm theo.")]}


async def _rows(bot) -> dict[int, ClassificationProposal]:  # type: ignore[no-untyped-def]
    async with bot.app.db.session() as s:
        rows = (await s.execute(select(ClassificationProposal))).scalars().all()
        return {r.person_id: r for r in rows}


async def test_propose_resume_after_restart_and_the_cap(kit, clock):
    bot, sec = kit.bot, kit.branch.secretary
    clock.set(datetime(YEAR, 12, 1, 9, 0, tzinfo=TZ))
    people = await seed_members(bot, kit.fake_tg, kit.branch.branch_id, 7100, 3)
    stand = Stand()
    stand.assessments[people[0]] = _assessment("excellent", 92)
    stand.year_files[people[0]] = ["Việc làm tốt: 7, đã ghi nhận 5", "Dự sinh hoạt: 11/12 buổi"]
    stand.install(bot)

    await sec.send("/xeploai")
    await sec.expect("Xếp loại chất lượng đảng viên năm 2026", "Đảng viên 0001: chưa đề xuất",
                     "Đảng viên 0003: chưa đề xuất")
    await sec.press("Đảng viên 0001")
    card = await sec.expect("Bản tự kiểm điểm:", "Hoàn thành xuất sắc nhiệm vụ, 92 điểm", "Việc làm tốt: 7",
                            "Hoàn thành các việc đăng ký")
    assert "chưa đề xuất" in card.text
    await sec.press("Đề xuất mức xếp loại")
    await sec.expect("Chi bộ đề xuất mức xếp loại nào cho đồng chí Đảng viên 0001?",
                     "Đảng viên tự xếp loại: Hoàn thành xuất sắc nhiệm vụ")
    await sec.press("Hoàn thành tốt nhiệm vụ")
    await sec.expect("Số điểm theo khung 100 điểm", "từ 70 đến dưới 90 điểm")
    await sec.send("150")
    await sec.expect("Số điểm phải từ 0 đến 100")
    await sec.send("95")
    await sec.expect("95 điểm không khớp với mức “Hoàn thành tốt nhiệm vụ”")
    await sec.send("85")
    await sec.expect("Nhận xét của chi bộ về đồng chí Đảng viên 0001")

    # The process restarts in the middle: the half-done proposal is still there.
    await bot.restart()
    stand.install(bot)
    await sec.send("Gương mẫu, tích cực trong sinh hoạt; cần chủ động hơn.")
    await sec.expect("Lưu đề xuất cho đồng chí Đảng viên 0001?", "Mức đề xuất: Hoàn thành tốt nhiệm vụ, 85 điểm",
                     "không thể rút lại bản tự kiểm điểm")
    await sec.press("Lưu đề xuất")
    await sec.expect("Đã lưu đề xuất: Hoàn thành tốt nhiệm vụ")
    await sec.expect("Tình trạng: đã đề xuất", "Mức đề xuất: Hoàn thành tốt nhiệm vụ, 85 điểm")
    rows = await _rows(bot)
    first = rows[people[0]]
    assert (first.status, first.level, first.points) == ("proposed", "good", 85)
    assert first.comment.startswith("Gương mẫu")
    assert stand.locked == [(people[0], YEAR)]

    # Left half done (another command): kept as a draft, listed so, resumed where it stopped.
    await sec.press("Danh sách")
    await sec.expect("Đảng viên 0001: đã đề xuất")
    await sec.press("Đảng viên 0002")
    await sec.expect("Bản tự kiểm điểm: chưa có", "Hồ sơ năm:")
    await sec.press("Đề xuất mức xếp loại")
    await sec.expect("Chi bộ đề xuất mức xếp loại nào")
    await sec.press("Hoàn thành nhiệm vụ")
    await sec.expect("Số điểm")
    await sec.send("/xeploai")
    await sec.expect("Đề xuất cho đồng chí Đảng viên 0002 đã được lưu nháp")
    await sec.expect("Đảng viên 0001: đã đề xuất — Hoàn thành tốt nhiệm vụ",
                     "Đảng viên 0002: chưa đề xuất (có bản nháp)")
    await bot.restart()
    stand.install(bot)
    await sec.send("/xeploai")
    await sec.expect("Đảng viên 0002: chưa đề xuất (có bản nháp)")
    await sec.press("Đảng viên 0002")
    await sec.expect("Tình trạng: chưa đề xuất (có bản nháp)")
    await sec.press("Tiếp tục bản nháp")
    await sec.expect("Số điểm")
    await sec.press("Bỏ qua")
    await sec.expect("Nhận xét của chi bộ")
    await sec.send("Hoàn thành nhiệm vụ được giao.")
    await sec.expect("Mức đề xuất: Hoàn thành nhiệm vụ")
    await sec.press("Lưu đề xuất")
    await sec.expect("Đã lưu đề xuất: Hoàn thành nhiệm vụ")

    # The cap: one "excellent" against one "good" breaks 20%: warned, refused without a reason, then accepted.
    await sec.send("/xeploai")
    await sec.expect("Đảng viên 0002: đã đề xuất — Hoàn thành nhiệm vụ")
    await sec.press("Đảng viên 0003")
    await sec.expect("Tình trạng: chưa đề xuất")
    await sec.press("Đề xuất mức xếp loại")
    await sec.expect("Chi bộ đề xuất mức xếp loại nào")
    await sec.press("Hoàn thành xuất sắc nhiệm vụ")
    await sec.expect("Số điểm")
    await sec.press("Bỏ qua")
    await sec.expect("Nhận xét của chi bộ")
    await sec.send("Nhiều sáng kiến trong năm.")
    await sec.expect("vượt mức trần", "Hướng dẫn 21-HD/BTCTW", "theo hướng dẫn cũ, cần xác minh",
                     "Đồng chí ghi lý do")
    await sec.press("Bỏ qua")
    refusal = await sec.expect("Đề xuất này vượt mức trần", "không vượt quá 20% số đảng viên được xếp loại")
    assert "tối đa 0" in refusal.text
    assert (await _rows(bot))[people[2]].status == "draft"  # refused, nothing saved as a proposal
    await sec.expect("Đồng chí ghi lý do")
    await sec.send("Đạt giải thưởng cấp tỉnh, được đảng uỷ đề nghị.")
    card = await sec.expect("Lưu đề xuất cho đồng chí Đảng viên 0003?", "Lý do vượt mức trần: Đạt giải thưởng",
                            "Điều kiện của mức Hoàn thành xuất sắc nhiệm vụ", "Chưa có hồ sơ năm để đối chiếu")
    await sec.press("Lưu đề xuất")
    await sec.expect("Đã lưu đề xuất: Hoàn thành xuất sắc nhiệm vụ")
    third = (await _rows(bot))[people[2]]
    assert third.status == "proposed" and third.cap_reason and third.cap_reason.startswith("Đạt giải")

    await sec.expect("Tình trạng: đã đề xuất")
    await sec.send("/xeploai")
    await sec.expect("Đảng viên 0003: đã đề xuất")
    await sec.press("Kiểm tra trước hội nghị")
    check = await sec.expect("Kiểm tra trước hội nghị", "vượt mức trần", "Hướng dẫn 21-HD/BTCTW",
                             "Đảng viên 0003: Hoàn thành xuất sắc nhiệm vụ (Đạt giải thưởng")
    assert "ít nhất 3" in check.text  # more than half of the 4 members
    del card


async def _committee_admin(bot, fake_tg, org_id: int, tg_id: int = 5301, name: str = "Đặng Cấp Uỷ"):  # type: ignore[no-untyped-def]
    admin = await bot.app.services.get(IdentityService).resolve(
        UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    invite = await bot.app.services.get(OrgService).create_code(admin, kind="committee_admin", org_id=org_id)
    user = fake_tg.user(tg_id, name)
    await user.send(f"/start {invite.code}")
    await user.expect("quản trị viên")
    return user


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_vote_result_told_and_summary_files(kit, clock):
    bot, sec = kit.bot, kit.branch.secretary
    committee = await _committee_admin(bot, kit.fake_tg, kit.branch.org_id)
    an = await kit.join("7201", "Trần Văn An")
    others = await seed_members(bot, kit.fake_tg, kit.branch.branch_id, 7210, 2)
    ids = bot.app.services.get(IdentityService)
    async with bot.app.db.session() as s:
        an_id = (await s.execute(select(Person.id).where(Person.display_name == "Trần Văn An"))).scalar_one()
    stand = Stand()
    stand.assessments[an_id] = _assessment("good", 80)
    stand.install(bot)
    svc = bot.app.services.get(Classification)
    clock.set(datetime(YEAR, 12, 15, 9, 0, tzinfo=TZ))
    await svc.propose(kit.branch.secretary_actor, kit.branch.branch_id, an_id, "good", 80,
                      "Hoàn thành tốt nhiệm vụ, nhiệt tình.")
    mid = await schedule(bot, kit.branch, datetime(YEAR, 12, 15, 19, 30))
    clock.set(datetime(YEAR, 12, 15, 19, 40, tzinfo=TZ))
    await mark_present(bot, mid, [an_id, *others, kit.branch.secretary_actor.person_id])

    await sec.send("/xeploai")
    await sec.expect("Trần Văn An: đã đề xuất — Hoàn thành tốt nhiệm vụ")
    await sec.press("Trần Văn An")
    await sec.expect("Tình trạng: đã đề xuất", "Bản tự kiểm điểm: Hoàn thành tốt nhiệm vụ, 80 điểm")
    await sec.press("Mở biểu quyết")
    await sec.expect("Đã mở biểu quyết")
    await an.expect("Xếp loại chất lượng năm 2026: đồng chí Trần Văn An", "Hoàn thành tốt nhiệm vụ")
    await an.press("Đồng ý mức đề xuất")
    # The other three present vote through the service: two agree, the secretary abstains.
    vote_id = (await _rows(bot))[an_id].vote_id
    assert vote_id is not None
    for pid, choice in ((others[0], 0), (others[1], 0), (kit.branch.secretary_actor.person_id, 2)):
        actor = await ids.actor_for_person(pid)
        await bot.app.services.get(VoteService).cast(actor, vote_id, choice)
    await sec.press("Kết quả biểu quyết")
    await sec.expect("Biểu quyết vẫn đang mở", "Có mặt 4/4")
    await sec.press("Kết thúc biểu quyết")
    await sec.expect("Kết thúc biểu quyết “Xếp loại chất lượng năm 2026")
    await sec.press("Kết thúc và công bố")
    await sec.expect("Đồng ý mức đề xuất: 3", "Không biểu quyết: 1")
    await sec.send("/xeploai")
    await sec.expect("Trần Văn An: đang biểu quyết")
    await sec.press("Trần Văn An")
    await sec.expect("Tình trạng: đang biểu quyết")
    await sec.press("Kết quả biểu quyết")
    await sec.expect("Đã ghi kết quả: Hoàn thành tốt nhiệm vụ", "Có mặt 4/4")
    row = (await _rows(bot))[an_id]
    assert row.status == "voted" and row.vote_counts == [3, 0, 1]
    await an.expect("Xếp loại chất lượng năm 2026", "Chi bộ đề xuất cho đồng chí: Hoàn thành tốt nhiệm vụ",
                    "Nhận xét: Hoàn thành tốt nhiệm vụ, nhiệt tình.", "tán thành 3", "không biểu quyết 1",
                    "Đảng uỷ quyết định")
    await committee.expect("Chi bộ thôn 1: đồng chí Trần Văn An", "tán thành 3")
    async with bot.app.db.session() as s:
        results = await bot.app.services.deps.ext.providers.classification_results(s, kit.branch.branch_id, YEAR)
    assert results == {an_id: "good"}

    # The summary table for the đảng uỷ: .xlsx (summary sheet first) and .docx, without internal codes.
    await sec.send("/xeploai")
    await sec.expect("Trần Văn An: đã biểu quyết")
    await sec.press("Bảng tổng hợp")
    xl = await sec.expect("xep-loai-dang-vien-2026.xlsx")
    doc = await sec.expect("xep-loai-dang-vien-2026.docx")
    wb = load_workbook(io.BytesIO(kit.fake_tg.files[xl.raw.record.document["file_id"]].data))
    assert wb.sheetnames == ["Tổng hợp", "Xếp loại"]
    summary = list(wb["Tổng hợp"].iter_rows(values_only=True))
    assert ("Hoàn thành tốt nhiệm vụ", 1) in summary and ("Tổng số đảng viên", 4) in summary
    table = list(wb["Xếp loại"].iter_rows(values_only=True))
    assert table[0] == ("STT", "Họ tên", "Mức tự xếp loại", "Chi bộ đề xuất", "Kết quả biểu quyết", "Ghi chú")
    an_row = next(r for r in table if r[1] == "Trần Văn An")
    assert an_row[2:5] == ("Hoàn thành tốt nhiệm vụ", "Hoàn thành tốt nhiệm vụ",
                           "Tán thành 3, không tán thành 0, không biểu quyết 1; thông qua")
    text = docx_text(kit.fake_tg.files[doc.raw.record.document["file_id"]].data)
    assert "BẢNG TỔNG HỢP KẾT QUẢ XẾP LOẠI CHẤT LƯỢNG ĐẢNG VIÊN NĂM 2026" in text
    assert "STT | Họ tên | Mức tự xếp loại | Chi bộ đề xuất | Kết quả biểu quyết | Ghi chú" in text
    assert "Trần Văn An | Hoàn thành tốt nhiệm vụ | Hoàn thành tốt nhiệm vụ | Tán thành 3" in text
    assert "CHI BỘ THÔN 1" in text and "classification" not in text and "good" not in text

    # The committee sees its đảng bộ's branches and confirms the results.
    await committee.send("/xeploai")
    await committee.expect("các chi bộ", "Chi bộ thôn 1: 1/4 đã biểu quyết",
                           "Toàn đảng bộ: Hoàn thành xuất sắc: 0; hoàn thành tốt: 1")
    await committee.press("Chi bộ thôn 1")
    await committee.expect("Trần Văn An: đã biểu quyết")
    await committee.press("Xác nhận kết quả của chi bộ")
    await committee.expect("Đã xác nhận 1 kết quả")
    assert (await _rows(bot))[an_id].status == "confirmed"


async def test_the_list_is_paged_for_a_large_branch(kit, clock):
    bot, sec = kit.bot, kit.branch.secretary
    await seed_members(bot, kit.fake_tg, kit.branch.branch_id, 7400, 44)  # 45 with the secretary
    providers = bot.app.services.deps.ext.providers
    providers.self_assessment = providers.year_file_summary = None  # as without those features: "chưa có"
    await sec.send("/xeploai")
    first = await sec.expect("Trang 1/5", "1. Nguyễn Thị Lan: chưa đề xuất", "10. Đảng viên 0009: chưa đề xuất")
    assert "Đảng viên 0010" not in first.text and len(first.buttons) <= 14
    await sec.press("Trang sau")
    second = await sec.expect("Trang 2/5", "11. Đảng viên 0010", "20. Đảng viên 0019")
    assert "Đảng viên 0009" not in second.text
    await sec.press("Đảng viên 0015")
    await sec.expect("Đảng viên 0015 — xếp loại chất lượng năm 2026", "Bản tự kiểm điểm: chưa có",
                     "Hồ sơ năm: chưa có")


async def test_a_vote_that_did_not_pass_leaves_the_branch_to_propose_again(bot, fake_tg, branch, clock):
    [member] = await seed_members(bot, fake_tg, branch.branch_id, 7500, 1)
    providers = bot.app.services.deps.ext.providers
    opened: list[str] = []

    async def open_vote(s, deps, meeting_id, opener, question, options, anonymous, topic):  # type: ignore[no-untyped-def]
        opened.append(topic)
        return 41

    async def result(s, vote_id):  # type: ignore[no-untyped-def]
        return {"closed": True, "counts": [1, 1, 0], "voters": 2, "present": 2, "members": 2, "quorum": True,
                "passed": False, "result_line": "Tán thành 1, không tán thành 1"}

    providers.open_meeting_vote, providers.vote_result = open_vote, result
    svc = bot.app.services.get(Classification)
    p = await svc.propose(branch.secretary_actor, branch.branch_id, member, "good", None, "Tốt.")
    with pytest.raises(Exception, match="không có buổi sinh hoạt"):  # no meeting today: the vote waits for one
        await svc.open_vote(branch.secretary_actor, p.id)
    await schedule(bot, branch, datetime(2026, 3, 2, 19, 30))
    clock.set(datetime(2026, 3, 2, 19, 35, tzinfo=TZ))
    await svc.open_vote(branch.secretary_actor, p.id)
    assert opened == [f"classification:{p.id}"]
    voted = await svc.record_vote(branch.secretary_actor, p.id)
    assert voted.status == "voted" and voted.vote_passed is False
    async with bot.app.db.session() as s:
        assert await providers.classification_results(s, branch.branch_id, 2026) == {}
    again = await svc.propose(branch.secretary_actor, branch.branch_id, member, "done", None, "Hoàn thành.")
    assert again.status == "proposed" and again.vote_counts is None and again.level == "done"
