"""One test year of a 12-member branch, on the fake server, through the real bot (issue #15, "Done means").

March to December 2026 with the FakeClock: members join (three by chat, one of them on Zalo; eight seeded),
pledges sent and approved, a deed reported by a plain message then linked to a pledge item and commended,
meetings with attendance in three states, a vote and the minutes with a task, the task's reminder and its
return as "Việc cần kiểm tra" at the next meeting, the review window (refused before 15/11), self-assessments
with one withdrawal and re-sending, the classification proposals, the per-member vote and its result, the
commendation proposal recorded by the committee, and the summary for the đảng uỷ. Every document on the way is
opened (python-docx, openpyxl) and read for its content.

Set HOCBAC_DUMP_DOCS=<path.md> to write the text of the minutes and of one member's year file there.
"""

from __future__ import annotations

import io
import os
import re
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.features.classification.models import ClassificationProposal
from bot.features.classification.service import Classification
from bot.features.deeds.models import Deed
from bot.features.meetings.attendance import MeetingAttendance
from bot.features.meetings.models import Attendance, Meeting, MinutesTask
from bot.features.meetings.scheduling import MeetingScheduling
from bot.features.pledges.models import PledgeItem, PledgeReview, PledgeReviewVersion
from bot.features.votes.models import Vote
from bot.features.votes.service import VoteService
from bot.services.documents import docx_text
from bot.services.identity import IdentityService
from tests.conftest import TZ
from tests.pledges.conftest import DEEDS, pledge_and_approve
from tests.secretary.helpers import seed_members
from tests.votes.helpers import mark_present
from tests.yearend_commend.conftest import committee_admin, person_id

pytestmark = pytest.mark.slow

YEAR = 2026
AN, BINH, CUC = "Trần Văn An", "Lê Văn Bình", "Đỗ Thị Cúc"
MESSAGE_DEED = "Đưa cụ Năm đi khám bệnh ở trạm xá"
INTERNAL = ("excellent", "good", "done", "not_done", "person_id", "branch_id", "meeting:", "None")


def at(month: int, day: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(YEAR, month, day, hh, mm, tzinfo=TZ)


def _file(kit, message) -> tuple[str, bytes]:  # type: ignore[no-untyped-def]
    doc = message.raw.record.document
    assert doc is not None, "the message has no document"
    return doc["file_name"], kit.fake_tg.files[doc["file_id"]].data


def _docx(kit, message) -> str:  # type: ignore[no-untyped-def]
    name, data = _file(kit, message)
    assert name.endswith(".docx"), name
    text = docx_text(data)
    _clean(text)
    return text


def _xlsx(kit, message) -> dict[str, list[tuple]]:  # type: ignore[no-untyped-def]
    name, data = _file(kit, message)
    assert name.endswith(".xlsx"), name
    wb = load_workbook(io.BytesIO(data))
    book = {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
    for rows in book.values():
        for row in rows:
            for cell in row:
                if isinstance(cell, str):
                    _clean(cell)
    return book


def _clean(text: str) -> None:
    """Ready to file: no ISO dates, no internal codes or ids."""
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", text), text[:300]
    for word in INTERNAL:
        assert not re.search(rf"\b{re.escape(word)}\b", text), (word, text[:300])


async def _schedule(kit, when: datetime, topic: str) -> Meeting:  # type: ignore[no-untyped-def]
    return await kit.bot.app.services.get(MeetingScheduling).schedule(
        kit.branch.secretary_actor, kit.branch.branch_id, kind="regular", starts_local=when.replace(tzinfo=None),
        place="Nhà văn hoá thôn 1", topic=topic)


@pytest.mark.parametrize("channel", ["zalo"])  # the secretary and most members on Telegram, Cúc on Zalo
async def test_a_year_of_a_twelve_member_branch(kit, clock):
    kit.fake_tg.limits.enabled = False
    bot, sec = kit.bot, kit.branch.secretary
    app = bot.app
    ids = app.services.get(IdentityService)
    dumped: dict[str, str] = {}

    # --- 1. Twelve members: the secretary, three joining by chat (Cúc on Zalo), eight seeded ------------------
    clock.set(at(3, 2, 8, 0))
    an = await kit.join("7001", AN, on="telegram")
    binh = await kit.join("7002", BINH, on="telegram")
    cuc = await kit.join("7003", CUC, on="zalo")
    seeded = await seed_members(bot, kit.fake_tg, kit.branch.branch_id, 7100, 8)
    committee = await committee_admin(bot, kit.fake_tg, kit.branch)
    an_id, binh_id, cuc_id = [await person_id(bot, n) for n in (AN, BINH, CUC)]
    lan_id = kit.branch.secretary_actor.person_id
    everyone = [lan_id, an_id, binh_id, cuc_id, *seeded]
    assert len(set(everyone)) == 12
    await cuc.send("/help")
    await cuc.expect("Đồng chí có thể dùng")

    # --- 2. Pledges through the chat form, approved by the secretary; deeds reported, linked, commended -------
    await pledge_and_approve(an, sec, DEEDS)
    await pledge_and_approve(binh, sec, DEEDS[:1])
    await an.send(f"#viectot {MESSAGE_DEED}")
    await an.expect("Ghi nhận đây là việc tốt?")
    await an.press("Có, ghi nhận")
    await an.expect("Việc tốt đã được lưu")
    await an.send("/cuatoi")
    mine = await an.expect("Việc tốt của tôi")
    await an.press("🎯 Gắn 02/03 · Đưa cụ Năm đi khám…", message=mine)
    await an.expect("Gắn với việc đã đăng ký", MESSAGE_DEED)
    await an.press("2. " + DEEDS[1][0])
    await an.expect("Đã gắn với việc đã đăng ký", DEEDS[1][0])
    await cuc.send("#viectot Quét dọn nhà văn hoá thôn trước ngày lễ")
    await cuc.expect("Ghi nhận đây là việc tốt?")
    await cuc.press("Có, ghi nhận")
    await cuc.expect("Việc tốt đã được lưu")
    clock.set(at(3, 2, 19, 0))
    await bot.tick(only=["deeds_digest"])
    summary = await sec.expect("Còn 2 việc tốt chờ duyệt")
    await sec.press("Mở để duyệt", message=summary)
    card = await sec.expect(MESSAGE_DEED)
    await sec.press("Biểu dương", message=card)
    await sec.expect(f"Đã biểu dương: {AN}")
    await an.expect("đã được chi bộ biểu dương")
    await sec.send("🗂 Duyệt việc tốt")
    card2 = await sec.expect("Quét dọn nhà văn hoá thôn")
    await sec.press("Ghi nhận", message=card2)
    await sec.expect(f"Đã ghi nhận: {CUC}")
    await cuc.expect("đã được chi bộ ghi nhận")
    async with app.db.session() as s:
        deeds = {d.person_id: d for d in (await s.execute(select(Deed))).scalars()}
        item = (await s.execute(select(PledgeItem).where(PledgeItem.what == DEEDS[1][0]))).scalar_one()
    assert deeds[an_id].status == "featured" and deeds[an_id].pledge_item_id == item.id
    assert deeds[an_id].source == "hashtag" and deeds[cuc_id].status == "accepted"

    # --- 3. The March meeting: attendance in three states, a vote, the minutes with a task ----------------------
    march = await _schedule(kit, at(3, 10, 19, 30), "Triển khai nghị quyết tháng 3")
    _m, lines = await app.services.get(MeetingAttendance).sheet(kit.branch.secretary_actor, march.id)
    number = {ln.person_id: ln.n for ln in lines}
    assert len(lines) == 12
    clock.set(at(3, 10, 19, 45))
    await sec.send("/diemdanh")
    await sec.expect("Buổi sinh hoạt nào?")
    await sec.press("10/03 19:30")
    await sec.expect("Điểm danh", "Có mặt 0/12", "chưa đánh dấu 12")
    await sec.send("tất cả có mặt")
    await sec.expect("Có mặt 12/12")
    await sec.send(f"lý do {number[binh_id]}: Đi công tác tỉnh")
    await sec.expect(f"Vắng có lý do: {BINH}", "lý do: Đi công tác tỉnh")
    await sec.send(str(number[seeded[7]]))
    await sec.expect("Vắng không lý do: Đảng viên 0008")
    await sec.send("xong")
    await sec.expect("Đã lưu điểm danh: có mặt 10/12, vắng có lý do 1, vắng không lý do 1")

    clock.set(at(3, 10, 20, 0))
    await sec.send("/bieuquyet")
    await sec.expect("Biểu quyết", "buổi sinh hoạt ngày 10/03/2026")
    await sec.press("Biểu quyết mới")
    await sec.expect("Đồng chí gửi nội dung cần biểu quyết")
    await sec.send("Thông qua kế hoạch làm đường thôn")
    await sec.expect("Các phương án biểu quyết?")
    await sec.press("Tán thành / Không tán thành / Không biểu quyết")
    card = await sec.expect("Mở biểu quyết này?", "Thông qua kế hoạch làm đường thôn")
    assert "Phiếu sẽ gửi tới 10 đồng chí đã điểm danh có mặt (trên tổng số 12)" in card.text
    await sec.press("Mở biểu quyết và gửi phiếu")
    await sec.expect("Đã mở biểu quyết", "phiếu đã gửi tới 10 đồng chí có mặt")
    ballot = await an.expect("Biểu quyết", "Thông qua kế hoạch làm đường thôn")
    await an.press("Tán thành", message=ballot)
    await an.expect("Tán thành", "có thể đổi")
    ballot = await cuc.expect("Thông qua kế hoạch làm đường thôn")
    await cuc.press("Không biểu quyết", message=ballot)
    await cuc.expect("Không biểu quyết", "có thể đổi")
    async with app.db.session() as s:
        vote_id = (await s.execute(select(Vote.id))).scalar_one()
    for pid in (lan_id, *seeded[:6]):
        await app.services.get(VoteService).cast(await ids.actor_for_person(pid), vote_id, 0)
    await sec.send("/bieuquyet")
    await sec.expect("Thông qua kế hoạch làm đường thôn", "đang biểu quyết")
    await sec.press("1. Thông qua kế hoạch")
    live = await sec.expect("Đã biểu quyết 9, có mặt 10, tổng số đảng viên 12")
    await sec.press("Kết thúc biểu quyết", message=live)
    await sec.expect("Kết thúc biểu quyết “Thông qua kế hoạch làm đường thôn”?")
    await sec.press("Kết thúc và công bố kết quả")
    result = await sec.expect("đã kết thúc", "Kết quả:")
    assert "• Tán thành: 8" in result.text and "• Không biểu quyết: 1" in result.text
    assert "thông qua" in result.text and "không thông qua" not in result.text
    await an.expect("Kết quả biểu quyết", "Thông qua kế hoạch làm đường thôn")

    clock.set(at(3, 10, 20, 40))  # before the quiet hours: the task notice goes out at once
    await sec.send("/bienban")
    await sec.expect("Biên bản của buổi sinh hoạt nào?")
    await sec.press("10/03/2026 19:30")
    draft = await sec.expect("Biên bản", "sinh hoạt định kỳ, 19:30 10/03/2026")
    assert "Tổng số đảng viên: 12; có mặt 10, vắng có lý do 1, vắng không lý do 1" in draft.text
    assert f"Vắng có lý do: {BINH} (Đi công tác tỉnh)" in draft.text
    await sec.press("Chủ trì")
    await sec.expect("Đồng chí nào chủ trì")
    await sec.press("Nguyễn Thị Lan")
    await sec.expect("Chủ trì: Nguyễn Thị Lan")
    await sec.press("Thư ký")
    await sec.expect("làm thư ký")
    await sec.press(AN)
    await sec.expect(f"Thư ký: {AN}")
    await sec.press("Ý kiến thảo luận")
    await sec.expect("Nhập ý kiến thảo luận")
    await sec.send("Đồng chí An: nhất trí, nhận lập danh sách hộ góp đất.\n"
                   "Đồng chí Cúc: đề nghị làm xong trước mùa mưa.")
    await sec.expect("Ý kiến thảo luận: Đồng chí An: nhất trí")
    await sec.press("Kết luận")
    await sec.expect("Nhập kết luận")
    await sec.send("Chi bộ thống nhất làm đường thôn trong quý II.")
    await sec.expect("Kết luận, nghị quyết: Chi bộ thống nhất")
    await sec.press("Giờ kết thúc")
    await sec.expect("kết thúc lúc mấy giờ")
    await sec.send("21h15")
    await sec.expect("Giờ kết thúc: 21:15")
    await sec.press("Phân công nhiệm vụ")
    await sec.expect("Nhiệm vụ là gì?")
    await sec.send("Lập danh sách hộ góp đất làm đường")
    await sec.expect("Đồng chí nào thực hiện?")
    await sec.press(AN)
    await sec.expect("Hạn hoàn thành?")
    await sec.send("20/3")
    await sec.expect(f"Đã giao nhiệm vụ cho đồng chí {AN}, hạn 20/03/2026")
    await an.expect("Nhiệm vụ được giao cho đồng chí", "Lập danh sách hộ góp đất", "20/03/2026")
    draft = await sec.expect("Phân công nhiệm vụ (1):")
    await sec.press("Xuất biên bản", message=draft)
    minutes = _docx(kit, await sec.expect("Biên bản để hoàn chỉnh và ký"))
    dumped["Biên bản buổi sinh hoạt 10/03/2026 (bien-ban-10-03-2026.docx)"] = minutes
    for part in (
        "ĐẢNG BỘ XÃ AN BÌNH", "CHI BỘ THÔN 1", "BIÊN BẢN", "Sinh hoạt chi bộ thường kỳ ngày 10/03/2026",
        "Thời gian: bắt đầu lúc 19:30 ngày 10/03/2026.", "Chủ trì: đồng chí Nguyễn Thị Lan.",
        f"Thư ký: đồng chí {AN}.",
        "Tổng số đảng viên của chi bộ: 12; có mặt: 10; vắng có lý do: 1; vắng không lý do: 1.",
        f"Vắng có lý do: {BINH} (Đi công tác tỉnh).", "Vắng không lý do: Đảng viên 0008.",
        "Chương trình: Triển khai nghị quyết tháng 3",
        "1 | Thông qua kế hoạch làm đường thôn | Tán thành 8, không tán thành 0, không biểu quyết 1; có mặt 10/12; "
        "thông qua",
        "- Chi bộ thống nhất làm đường thôn trong quý II.", "- Đồng chí Cúc: đề nghị làm xong trước mùa mưa.",
        f"1 | Lập danh sách hộ góp đất làm đường | {AN} | 20/03/2026",
        "Buổi sinh hoạt kết thúc lúc 21:15 cùng ngày.",
    ):
        assert part in minutes, part

    # The task's reminder reaches its owner; left open, it comes back at the April meeting.
    clock.set(at(3, 18, 8, 0))
    assert await bot.tick(only=["minutes_tasks"]) == {"minutes_tasks": "ok"}
    await an.expect("Nhắc việc", "20/03/2026", "Lập danh sách hộ góp đất")
    # The monthly pledge check-in: An answers on his items (Bình's stays unanswered).
    clock.set(at(4, 2, 7, 1))
    await bot.tick(only=["pledges_checkin"])
    checkin = await an.expect("Kiểm tra việc làm theo — tháng 3/2026", DEEDS[0][0], DEEDS[1][0])
    await binh.expect("Kiểm tra việc làm theo — tháng 3/2026")
    await an.press("✓ Việc 1", message=checkin)
    await an.expect("✓ đã làm")
    await an.press("⏳ Việc 2", message=checkin)
    await an.expect("⏳ đang làm", "Câu trả lời đã được lưu")
    april = await _schedule(kit, at(4, 7, 19, 30), "Sinh hoạt tháng 4")
    clock.set(at(4, 6, 20, 0))
    assert await bot.tick(only=["minutes_tasks"]) == {"minutes_tasks": "ok"}
    notice = await sec.expect("việc cần kiểm tra tại buổi sinh hoạt định kỳ ngày 07/04/2026")
    assert f"Lập danh sách hộ góp đất làm đường — {AN}, hạn 20/03/2026 (quá hạn)" in notice.text
    clock.set(at(4, 7, 21, 0))
    await sec.press("Biên bản buổi sinh hoạt này", message=notice)
    await sec.expect("Việc cần kiểm tra", "Lập danh sách hộ góp đất")
    await sec.press("Xuất biên bản")
    april_minutes = _docx(kit, await sec.expect("Biên bản để hoàn chỉnh và ký"))
    assert (f"1 | Lập danh sách hộ góp đất làm đường | {AN} | 20/03/2026 | quá hạn, chưa xong"
            in april_minutes)
    async with app.db.session() as s:
        assert (await s.execute(select(MinutesTask))).scalar_one().done_at is None
        # Later meetings of the year, marked through the service (three states again).
        att = app.services.get(MeetingAttendance)
        del s
    for month, day in ((6, 9), (9, 8)):
        m = await _schedule(kit, at(month, day, 19, 30), f"Sinh hoạt tháng {month}")
        clock.set(at(month, day, 19, 45))
        await att.set_marks(kit.branch.secretary_actor, m.id, [p for p in everyone if p != cuc_id], "present")
        await att.set_marks(kit.branch.secretary_actor, m.id, [cuc_id], "excused", "Ốm")
    await att.set_marks(kit.branch.secretary_actor, april.id, everyone, "present")

    # --- 4. The review window: refused before 15/11, then self-assessments with one withdrawal ------------------
    clock.set(at(11, 10))
    await an.send("/tudanhgia")
    await an.expect("bản tự đánh giá cuối năm mở từ ngày 15/11/2026", "15/11/2026–31/12/2026")
    clock.set(at(11, 16, 8, 0))
    await bot.tick(only=["pledges_yearend"])
    await an.expect("Tự đánh giá cuối năm 2026", "Ưu điểm, kết quả đạt được")
    await binh.expect("Tự đánh giá cuối năm 2026")
    await an.press("Sửa")
    await an.expect("Đồng chí muốn sửa phần nào?")
    await an.press("Chấm điểm")
    await an.expect("Điểm nhóm tiêu chí chung")
    await an.send("28")
    await an.expect("Điểm nhóm tiêu chí kết quả")
    await an.send("64")
    await an.expect("Đã lưu điểm", "92/100")
    await an.expect("Tự đánh giá cuối năm 2026", "92/100")
    await an.press("Sửa")
    await an.expect("Đồng chí muốn sửa phần nào?")
    await an.press("Tự xếp loại")
    await an.expect("Đồng chí tự đề xuất mức xếp loại nào?")
    await an.press("Hoàn thành xuất sắc nhiệm vụ")
    await an.expect("Tự đề xuất mức xếp loại: Hoàn thành xuất sắc nhiệm vụ")
    await an.press("Gửi")
    await an.expect("Gửi bản tự đánh giá cuối năm 2026 cho bí thư?")
    await an.press("Xác nhận gửi")
    await an.expect("đã được gửi bí thư")
    await sec.expect(f"Tự đánh giá cuối năm 2026 — {AN}", "Hoàn thành xuất sắc nhiệm vụ", "28/30")
    # The one withdrawal: a shortcoming added, then sent again.
    await an.send("/rutdanhgia")
    await an.expect("Đã rút lại, bí thư đã được báo")
    await sec.expect(f"{AN} đã rút lại bản tự đánh giá cuối năm 2026")
    await an.expect("Tự đánh giá cuối năm 2026", "đã rút lại để sửa")
    await an.press("Sửa")
    await an.expect("Đồng chí muốn sửa phần nào?")
    await an.press("Hạn chế, khuyết điểm")
    await an.expect("gửi nội dung mới của phần “Hạn chế, khuyết điểm”")
    await an.send("Có lúc đi họp muộn; chưa hoàn thành đúng hạn việc lập danh sách hộ góp đất.")
    await an.expect("Đã lưu")
    await an.expect("Tự đánh giá cuối năm 2026", "chưa hoàn thành đúng hạn")
    await an.press("Gửi")
    await an.expect("Gửi bản tự đánh giá cuối năm 2026 cho bí thư?")
    await an.press("Xác nhận gửi")
    await an.expect("đã được gửi bí thư")
    await sec.expect(f"Tự đánh giá cuối năm 2026 — {AN}", "chưa hoàn thành đúng hạn")
    await binh.press("Sửa")
    await binh.expect("Đồng chí muốn sửa phần nào?")
    await binh.press("Tự xếp loại")
    await binh.expect("Đồng chí tự đề xuất mức xếp loại nào?")
    await binh.press("Hoàn thành tốt nhiệm vụ")
    await binh.expect("Tự đề xuất mức xếp loại: Hoàn thành tốt nhiệm vụ")
    await binh.press("Gửi")
    await binh.expect("Gửi bản tự đánh giá cuối năm 2026 cho bí thư?")
    await binh.press("Xác nhận gửi")
    await binh.expect("đã được gửi bí thư")
    await sec.expect(f"Tự đánh giá cuối năm 2026 — {BINH}")
    async with app.db.session() as s:
        reviews = {r.person_id: r for r in (await s.execute(
            select(PledgeReview).where(PledgeReview.kind == "yearend"))).scalars()}
        versions = (await s.execute(select(PledgeReviewVersion).order_by(PledgeReviewVersion.id))).scalars().all()
    assert (reviews[an_id].status, reviews[an_id].level, reviews[an_id].version) == ("submitted", "excellent", 2)
    assert reviews[binh_id].status == "submitted" and reviews[binh_id].level == "good"
    assert len(versions) == 3

    # The year file: the member's own, and its documents.
    clock.set(at(11, 30))
    await an.send("/namcuatoi")
    year = await an.expect(f"Hồ sơ năm 2026 — {AN}", "Việc đăng ký làm theo: 2, đã được bí thư duyệt",
                           "Được chi bộ biểu dương: 1", "Báo bằng tin nhắn hoặc ảnh: 1",
                           "Gắn với việc đã đăng ký: 1", "Buổi sinh hoạt đã tổ chức: 4", "Có mặt: 4",
                           "Lần trả lời kiểm tra định kỳ: 1, trên 1 lần được hỏi; trả lời “đã làm”: 1")
    await an.press("📄 Tải bản Word (.docx)", message=year)
    year_doc = _docx(kit, await an.expect("Hồ sơ năm 2026 của đồng chí"))
    dumped[f"Hồ sơ năm 2026 của đồng chí {AN} (/namcuatoi → .docx)"] = year_doc
    for part in ("HỒ SƠ NĂM 2026 CỦA ĐẢNG VIÊN", AN, "CHI BỘ THÔN 1", "I. ĐĂNG KÝ LÀM THEO", DEEDS[0][0],
                 MESSAGE_DEED, "02/03/2026", "10/03/2026", "Lần trả lời kiểm tra định kỳ | 1",
                 f"02/04/2026 | Kiểm tra tháng 3/2026 — 1. {DEEDS[0][0]}: ✓ đã làm"):
        assert part in year_doc, part
    await an.press("📊 Tải bản Excel (.xlsx)", message=year)
    year_book = _xlsx(kit, await an.expect("Hồ sơ năm 2026 của đồng chí"))
    assert next(iter(year_book)) == "Tổng hợp"
    assert any(AN in str(c) for r in year_book["Tổng hợp"] for c in r)
    # The secretary's branch workbook: one row per member, the three attendance states counted.
    await sec.send("/hosonam")
    members = await sec.expect("Hồ sơ năm 2026 — Chi bộ thôn 1", "Chọn một đồng chí")
    await sec.press("📊 Xuất Excel cả chi bộ", message=members)
    branch_book = _xlsx(kit, await sec.expect("Hồ sơ năm 2026: trang tổng hợp mỗi đảng viên một dòng"))
    head, *rows = branch_book["Tổng hợp"]
    by_name = {row[1]: dict(zip(head, row, strict=True)) for row in rows}
    assert len(by_name) == 12
    assert (by_name[BINH]["Có mặt"], by_name[BINH]["Vắng có lý do"], by_name[BINH]["Vắng không lý do"]) == (3, 1, 0)
    assert (by_name[CUC]["Có mặt"], by_name[CUC]["Vắng có lý do"]) == (2, 2)
    assert by_name["Đảng viên 0008"]["Vắng không lý do"] == 1
    assert by_name[AN]["Được chi bộ biểu dương"] == 1 and by_name[AN]["Việc đăng ký làm theo"] == 2
    assert (BINH, "Vắng có lý do", datetime(2026, 3, 10),
            "Sinh hoạt định kỳ: Triển khai nghị quyết tháng 3 (vắng có lý do: Đi công tác tỉnh)"
            ) in branch_book["Sinh hoạt chi bộ"]

    # --- 5. Classification: proposals, the vote at the meeting, the result told --------------------------------
    clock.set(at(12, 1))
    await sec.send("/xeploai")
    await sec.expect("Xếp loại chất lượng đảng viên năm 2026", f"{AN}: chưa đề xuất")
    await sec.press(AN)
    await sec.expect("Bản tự kiểm điểm: Hoàn thành xuất sắc nhiệm vụ, 92 điểm", "Được chi bộ biểu dương: 1")
    await sec.press("Đề xuất mức xếp loại")
    await sec.expect("Chi bộ đề xuất mức xếp loại nào", "Đảng viên tự xếp loại: Hoàn thành xuất sắc nhiệm vụ")
    await sec.press("Hoàn thành tốt nhiệm vụ")
    await sec.expect("Số điểm")
    await sec.send("88")
    await sec.expect(f"Nhận xét của chi bộ về đồng chí {AN}")
    await sec.send("Tích cực vận động làm đường thôn; cần đúng hạn hơn.")
    await sec.expect(f"Lưu đề xuất cho đồng chí {AN}?", "Mức đề xuất: Hoàn thành tốt nhiệm vụ, 88 điểm")
    await sec.press("Lưu đề xuất")
    await sec.expect("Đã lưu đề xuất: Hoàn thành tốt nhiệm vụ")
    await an.send("/rutdanhgia")  # the branch has acted: no more withdrawal
    await an.expect("chi bộ đã xem xét bản tự đánh giá nên không rút lại được nữa")
    classify = app.services.get(Classification)
    await classify.propose(kit.branch.secretary_actor, kit.branch.branch_id, binh_id, "good", 80,
                           "Hoàn thành tốt nhiệm vụ.")
    for pid in seeded:
        await classify.propose(kit.branch.secretary_actor, kit.branch.branch_id, pid, "done", None,
                               "Hoàn thành nhiệm vụ.")

    december = await _schedule(kit, at(12, 15, 19, 30), "Kiểm điểm, xếp loại cuối năm")
    clock.set(at(12, 15, 19, 40))
    await mark_present(bot, december.id, everyone)
    await sec.send("/xeploai")
    await sec.expect(f"{AN}: đã đề xuất — Hoàn thành tốt nhiệm vụ", f"{BINH}: đã đề xuất")
    await sec.press(AN)
    await sec.expect("Tình trạng: đã đề xuất")
    await sec.press("Mở biểu quyết")
    opened = await sec.expect("Đã mở biểu quyết")
    await an.expect(f"Xếp loại chất lượng năm 2026: đồng chí {AN}", "Hoàn thành tốt nhiệm vụ")
    await an.press("Đồng ý mức đề xuất")
    async with app.db.session() as s:
        an_vote = (await s.execute(select(ClassificationProposal.vote_id)
                                   .where(ClassificationProposal.person_id == an_id))).scalar_one()
    assert an_vote is not None
    for pid in (lan_id, binh_id, *seeded[:7]):
        await app.services.get(VoteService).cast(await ids.actor_for_person(pid), an_vote, 0)
    # Lan votes too, so the vote's own card may reach her after this reply: press the button on the reply.
    await sec.press("Kết quả biểu quyết", message=opened)
    await sec.expect("Biểu quyết vẫn đang mở", "Có mặt 12/12")
    await sec.press("Kết thúc biểu quyết")
    await sec.expect("Kết thúc biểu quyết “Xếp loại chất lượng năm 2026")
    await sec.press("Kết thúc và công bố")
    await sec.expect("Đồng ý mức đề xuất: 10")
    await sec.send("/xeploai")
    await sec.expect(f"{AN}: đang biểu quyết")
    await sec.press(AN)
    await sec.expect("Tình trạng: đang biểu quyết")
    await sec.press("Kết quả biểu quyết")
    await sec.expect("Đã ghi kết quả: Hoàn thành tốt nhiệm vụ", "Có mặt 12/12")
    await an.expect("Xếp loại chất lượng năm 2026", "Chi bộ đề xuất cho đồng chí: Hoàn thành tốt nhiệm vụ",
                    "Tích cực vận động làm đường thôn", "tán thành 10")
    await committee.expect(f"Chi bộ thôn 1: đồng chí {AN}", "tán thành 10")
    # Bình's vote through the services (the same path, without the chat).
    async with app.db.session() as s:
        binh_prop = (await s.execute(select(ClassificationProposal)
                                     .where(ClassificationProposal.person_id == binh_id))).scalar_one()
    await classify.open_vote(kit.branch.secretary_actor, binh_prop.id)
    async with app.db.session() as s:
        binh_vote = (await s.get(ClassificationProposal, binh_prop.id)).vote_id
    for pid in everyone[:9]:
        await app.services.get(VoteService).cast(await ids.actor_for_person(pid), binh_vote, 0)
    await app.services.get(VoteService).close(kit.branch.secretary_actor, binh_vote)
    await classify.record_vote(kit.branch.secretary_actor, binh_prop.id)
    async with app.db.session() as s:
        results = await app.services.deps.ext.providers.classification_results(s, kit.branch.branch_id, YEAR)
    assert results == {an_id: "good", binh_id: "good"}
    async with app.db.session() as s:
        assert (await s.execute(select(PledgeReview.status).where(PledgeReview.person_id == an_id,
                                                                  PledgeReview.kind == "yearend"))
                ).scalar_one() == "locked"

    # --- 6. Commendation proposal to the đảng uỷ; the committee records it -------------------------------------
    await sec.send("/khenthuong")
    shortlist = await sec.expect("Danh sách xét khen thưởng năm 2026")
    assert f"{AN}: Hoàn thành tốt nhiệm vụ" in shortlist.text and MESSAGE_DEED in shortlist.text
    await sec.press("Đề nghị cá nhân", message=shortlist)
    await sec.expect("Chi bộ đề nghị khen thưởng ai?")
    await sec.press(f"⭐ {AN}")
    await sec.expect("Lý do đề nghị")
    await sec.send("Vận động các hộ góp đất làm đường thôn")
    await sec.press("Gửi đảng uỷ", message=await sec.expect("kiểm tra lại đề nghị gửi đảng uỷ", AN))
    await sec.expect(f"Đề nghị khen thưởng {AN} đã được gửi đảng uỷ")
    await committee.expect("Đề nghị khen thưởng", "Chi bộ thôn 1", "cá nhân", AN)
    await committee.send("/khenthuong")
    await committee.expect("Khen thưởng năm 2026", "Chi bộ thôn 1: 1 đề nghị, 0 đã khen thưởng, 1 chờ xét")
    an_card = await committee.expect(AN, "cá nhân", "Căn cứ:")
    await committee.press("Ghi nhận khen thưởng", message=an_card)
    await committee.expect(f"Hình thức khen thưởng {AN} (năm 2026)?")
    await committee.press("Giấy khen")
    confirm = await committee.expect("Ghi nhận khen thưởng?", f"{AN}, năm 2026: Giấy khen")
    await committee.press("Ghi nhận khen thưởng", message=confirm)
    await committee.expect(f"Đã ghi nhận: {AN}, năm 2026, Giấy khen")
    await sec.expect(f"Đảng uỷ đã khen thưởng {AN} (năm 2026): Giấy khen.")
    await sec.send("/khenthuong")
    menu = await sec.expect("Danh sách xét khen thưởng năm 2026", "Đề nghị năm 2026")
    assert f"{AN} (cá nhân): đã khen thưởng" in menu.text
    await sec.press("Danh sách đề nghị (.docx)", message=menu)
    commend_doc = _docx(kit, await sec.expect("Danh sách đề nghị khen thưởng."))
    assert "DANH SÁCH ĐỀ NGHỊ KHEN THƯỞNG NĂM 2026" in commend_doc
    assert f"1 | {AN} | Vận động các hộ góp đất làm đường thôn" in commend_doc
    assert "Biểu dương ngày 02/03/2026: " + MESSAGE_DEED in commend_doc and "đã khen thưởng" in commend_doc
    await sec.press("Xuất Excel", message=menu)
    commend_book = _xlsx(kit, await sec.expect("Bảng tính khen thưởng"))
    assert list(commend_book) == ["Tổng hợp", "Danh sách xét", "Đề nghị", "Khen thưởng"]
    figures = {r[0]: r[1] for r in commend_book["Tổng hợp"][1:]}
    assert figures["Đảng viên"] == 12 and figures["Số đề nghị đã gửi"] == 1 and figures["Khen thưởng trong năm"] == 1
    proposals = {r[1]: r for r in commend_book["Đề nghị"][1:]}
    assert proposals[AN][6] == "đã khen thưởng"

    # --- 7. The committee summary: the classification table for the đảng uỷ -------------------------------------
    await sec.send("/xeploai")
    await sec.expect(f"{AN}: đã biểu quyết")
    await sec.press("Bảng tổng hợp")
    xl = _xlsx(kit, await sec.expect("xep-loai-dang-vien-2026.xlsx"))
    doc = _docx(kit, await sec.expect("xep-loai-dang-vien-2026.docx"))
    assert list(xl) == ["Tổng hợp", "Xếp loại"]
    assert ("Tổng số đảng viên", 12) in xl["Tổng hợp"] and ("Hoàn thành tốt nhiệm vụ", 2) in xl["Tổng hợp"]
    an_row = next(r for r in xl["Xếp loại"] if r[1] == AN)
    assert an_row[2:4] == ("Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành tốt nhiệm vụ")
    assert an_row[4].startswith("Tán thành 10")
    assert "BẢNG TỔNG HỢP KẾT QUẢ XẾP LOẠI CHẤT LƯỢNG ĐẢNG VIÊN NĂM 2026" in doc
    assert f"{AN} | Hoàn thành xuất sắc nhiệm vụ | Hoàn thành tốt nhiệm vụ | Tán thành 10" in doc
    assert f"{BINH} | Hoàn thành tốt nhiệm vụ | Hoàn thành tốt nhiệm vụ" in doc
    await committee.send("/xeploai")
    await committee.expect("Chi bộ thôn 1: 2/12 đã biểu quyết")
    await committee.press("Chi bộ thôn 1")
    await committee.expect(f"{AN}: đã biểu quyết")
    await committee.press("Xác nhận kết quả của chi bộ")
    await committee.expect("Đã xác nhận 2 kết quả")

    async with app.db.session() as s:
        marks = (await s.execute(select(Attendance.status).where(Attendance.meeting_id == march.id))).scalars().all()
    assert sorted(marks).count("present") == 10

    if path := os.environ.get("HOCBAC_DUMP_DOCS"):
        _dump(path, dumped)


def _dump(path: str, documents: dict[str, str]) -> None:
    """The documents' text, for the closing note (a file write after the bot is done)."""
    Path(path).write_text("".join(f"## {title}\n\n```\n{text}\n```\n\n" for title, text in documents.items()),
                          encoding="utf-8")
