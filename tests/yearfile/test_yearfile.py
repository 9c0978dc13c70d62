"""The year file (/namcuatoi, /hosonam): a seeded year read back through the chat on Telegram and Zalo, each
figure traced to its dated rows, a deed reported by a plain message linked to a pledge item afterwards, the
secretary's view and exports (.docx, .xlsx), and the refusal for anyone else."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy import select

from bot.clock import to_utc
from bot.features.broadcasts.models import Broadcast, BroadcastAck, BroadcastStatus
from bot.features.daily.models import DailyRead
from bot.features.deeds.models import Deed
from bot.features.meetings.models import Attendance, Meeting, MeetingRsvp
from bot.features.pledges.models import (
    Pledge,
    PledgeCheckin,
    PledgeCheckinAnswer,
    PledgeCheckinRound,
    PledgeItem,
)
from bot.features.yearfile.callbacks import YearExport, YearShow
from bot.services.documents import docx_text
from storage.models.outbox import OutboxMessage
from storage.models.people import Person
from tests.conftest import TZ, seed_branch

ITEM_1 = "Giúp hai hộ nghèo làm hồ sơ vay vốn"
ITEM_2 = "Dạy kèm miễn phí cho học sinh yếu"
MESSAGE_DEED = "Dọn rác ở con mương đầu xóm cùng các cháu đoàn viên"


def utc(y: int, m: int, d: int, hh: int = 19, mm: int = 30) -> datetime:
    return to_utc(datetime(y, m, d, hh, mm), TZ)


async def person_id(bot, name: str) -> int:  # type: ignore[no-untyped-def]
    async with bot.app.db.session() as s:
        return (await s.execute(select(Person.id).where(Person.display_name == name))).scalar_one()


async def seed_year(bot, branch, pid: int) -> None:  # type: ignore[no-untyped-def]
    """A year of records for one member, written straight into the features' tables (March to November)."""
    b = branch.branch_id
    sec = branch.secretary_actor.person_id
    async with bot.app.db.session() as s:
        pledge = Pledge(person_id=pid, branch_id=b, org_id=branch.org_id, year=2026, status="approved", version=1,
                        approved_version=1, duty="giáo viên", first_submitted_at=utc(2026, 3, 4),
                        first_approved_at=utc(2026, 3, 5, 9))
        s.add(pledge)
        await s.flush()
        one = PledgeItem(pledge_id=pledge.id, position=0, what=ITEM_1, criterion="hai hộ được vay", when_text="quý 3")
        two = PledgeItem(pledge_id=pledge.id, position=1, what=ITEM_2, criterion="5 em lên lớp", when_text="hằng tuần")
        s.add_all([one, two])
        await s.flush()
        april = PledgeCheckinRound(branch_id=b, year=2026, period="2026-04")
        may = PledgeCheckinRound(branch_id=b, year=2026, period="2026-05")
        s.add_all([april, may])
        await s.flush()
        answered = PledgeCheckin(round_id=april.id, pledge_id=pledge.id, person_id=pid, answered_at=utc(2026, 4, 3, 8))
        s.add_all([answered, PledgeCheckin(round_id=may.id, pledge_id=pledge.id, person_id=pid)])
        await s.flush()
        s.add_all([
            PledgeCheckinAnswer(checkin_id=answered.id, item_id=one.id, status="done", answered_at=utc(2026, 4, 3, 8)),
            PledgeCheckinAnswer(checkin_id=answered.id, item_id=two.id, status="doing", answered_at=utc(2026, 4, 3, 8)),
        ])
        s.add_all([
            Deed(person_id=pid, branch_id=b, text="Dọn vệ sinh khu phố", day=date(2026, 3, 5), status="accepted",
                 source="form", category="giữ gìn môi trường"),
            Deed(person_id=pid, branch_id=b, text="Hướng dẫn hộ nghèo làm hồ sơ", day=date(2026, 6, 10),
                 status="featured", source="form", pledge_item_id=one.id, category="giúp đỡ nhân dân"),
            Deed(person_id=pid, branch_id=b, text="Quyên góp sách cho thư viện", day=date(2026, 9, 2),
                 status="returned", source="text", category="khác"),
            Deed(person_id=pid, branch_id=b, text="Việc đã rút lại", day=date(2026, 9, 3), status="withdrawn",
                 source="form", category="khác"),
        ])
        held = [Meeting(branch_id=b, starts_at=utc(2026, m, d), topic=topic, place="Nhà văn hoá thôn", created_by=sec)
                for m, d, topic in ((3, 10, "Sinh hoạt tháng 3"), (4, 14, "Sinh hoạt tháng 4"),
                                    (5, 12, "Sinh hoạt tháng 5"))]
        cancelled = Meeting(branch_id=b, starts_at=utc(2026, 6, 9), topic="Buổi đã huỷ", cancelled_at=utc(2026, 6, 1))
        s.add_all([*held, cancelled])
        await s.flush()
        s.add(Attendance(meeting_id=held[0].id, person_id=pid, present=True, source="code"))
        s.add(MeetingRsvp(meeting_id=held[1].id, person_id=pid, attending=False, reason="Đi công tác tỉnh"))
        for day in (date(2026, 3, 3), date(2026, 3, 4), date(2026, 4, 1), date(2026, 7, 20), date(2026, 11, 2)):
            s.add(DailyRead(person_id=pid, day=day, branch_id=b))
        asked = Broadcast(author_person_id=sec, org_id=branch.org_id, branch_id=b, text="Họp chi bộ mở rộng tháng 8",
                          ack_requested=True, status=BroadcastStatus.DONE.value)
        plain = Broadcast(author_person_id=sec, org_id=branch.org_id, branch_id=b, text="Lịch trực Tết",
                          status=BroadcastStatus.DONE.value)
        s.add_all([asked, plain])
        await s.flush()
        for bc, at in ((asked, utc(2026, 8, 1, 8)), (plain, utc(2026, 10, 1, 8))):
            s.add(OutboxMessage(key=f"broadcast:{bc.id}:{pid}", kind="broadcast", ref=f"broadcast:{bc.id}",
                                person_id=pid, branch_id=b, channel="telegram", chat_id="1", status="sent",
                                sent_at=at))
        s.add(BroadcastAck(broadcast_id=asked.id, person_id=pid, at=utc(2026, 8, 2, 8)))


def document(fake_tg, message) -> bytes:  # type: ignore[no-untyped-def]
    doc = message.raw.record.document
    assert doc is not None, "the message has no document"
    return fake_tg.files[doc["file_id"]].data


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_the_members_year_traced_linked_exported_and_refused_elsewhere(kit, clock):
    bot, sec = kit.bot, kit.branch.secretary
    an = await kit.join("7001", "Trần Văn An")
    pid = await person_id(bot, "Trần Văn An")
    await seed_year(bot, kit.branch, pid)
    clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=TZ))

    # A deed reported by a plain message: no pledge question on the way.
    await an.send(f"#viectot {MESSAGE_DEED}")
    await an.expect("Ghi nhận đây là việc tốt?")
    await an.press("Có, ghi nhận")
    await an.expect("Việc tốt đã được lưu")

    # The member's year: every figure, from records only.
    await an.send("/namcuatoi")
    year = await an.expect(
        "Hồ sơ năm 2026 — Trần Văn An",
        "Đăng ký làm theo", "Việc đăng ký làm theo: 2, đã được bí thư duyệt",
        "Lần trả lời kiểm tra định kỳ: 1, trên 2 lần được hỏi; trả lời “đã làm”: 1",
        "Việc làm tốt: 4, đã ghi nhận 2", "Được chi bộ biểu dương: 1", "Báo bằng tin nhắn hoặc ảnh: 2",
        "Gắn với việc đã đăng ký: 1",
        "Buổi sinh hoạt đã tổ chức: 3", "Có mặt: 1", "Vắng có lý do: 1", "Vắng không lý do: 1",
        "Ngày đã đọc: 5, trong 4 tháng",
        "Thông báo đã nhận: 2", "Thông báo đã xác nhận: 1, trên 1 thông báo cần xác nhận",
    )
    assert "Việc đã rút lại" not in year.text and "Buổi đã huỷ" not in year.text

    # A figure traced to its rows.
    await an.press("🔎 Xem chi tiết: Việc làm tốt", message=year)
    rows = await an.expect(
        "Việc làm tốt", "05/03/2026 — Dọn vệ sinh khu phố (đã ghi nhận)",
        "10/06/2026 — Hướng dẫn hộ nghèo làm hồ sơ (được biểu dương) — việc đã đăng ký 1. " + ITEM_1[:20],
        "02/09/2026 — Quyên góp sách cho thư viện (trả lại)",
        f"30/11/2026 — {MESSAGE_DEED} (chờ duyệt)",
    )
    await an.press("↩️ Về hồ sơ năm", message=rows)
    year = await an.expect("Hồ sơ năm 2026 — Trần Văn An")
    await an.press("🔎 Xem chi tiết: Vắng có lý do", message=year)
    await an.expect("14/04/2026 — Sinh hoạt định kỳ: Sinh hoạt tháng 4 (vắng có lý do: Đi công tác tỉnh)")

    # The message-reported deed is linked to a pledge item afterwards, from the year file.
    await an.send("/namcuatoi")
    year = await an.expect("Hồ sơ năm 2026")
    await an.press("🔎 Xem chi tiết: Báo bằng tin nhắn hoặc ảnh", message=year)
    rows = await an.expect(MESSAGE_DEED)
    await an.press("🎯 Gắn 30/11 · Dọn rác ở con…", message=rows)
    await an.expect("Gắn với việc đã đăng ký", "Việc tốt này thực hiện việc nào")
    await an.press("2. " + ITEM_2)
    await an.expect("Đã gắn với việc đã đăng ký", ITEM_2)
    async with bot.app.db.session() as s:
        linked = (await s.execute(select(Deed).where(Deed.text == MESSAGE_DEED))).scalar_one()
        item = (await s.execute(select(PledgeItem).where(PledgeItem.what == ITEM_2))).scalar_one()
    assert linked.pledge_item_id == item.id
    await an.send("/namcuatoi 2026")
    await an.expect("Gắn với việc đã đăng ký: 2")
    await an.send("/namcuatoi 2025")
    await an.expect("Hồ sơ năm 2025", "Việc làm tốt: 0", "Việc đăng ký làm theo: 0, chưa có phiếu đăng ký")
    await an.send("/namcuatoi 2099")
    await an.expect("ghi năm từ 2000 đến 2026")

    # The secretary: the branch's members, one member's file, its documents, the branch workbook.
    await sec.send("/hosonam")
    members = await sec.expect("Hồ sơ năm 2026 — Chi bộ thôn 1", "Chọn một đồng chí")
    await sec.press("Trần Văn An", message=members)
    file_ = await sec.expect("Hồ sơ năm 2026 — Trần Văn An", "Việc làm tốt: 4, đã ghi nhận 2")
    await sec.press("🔎 Xem chi tiết: Việc làm tốt", message=file_)
    detail = await sec.expect("05/03/2026 — Dọn vệ sinh khu phố (đã ghi nhận)")
    assert not any(b.startswith("🎯") for b in detail.buttons)  # linking is the member's own act
    await sec.press("📄 Tải bản Word (.docx)", message=file_)
    doc = await sec.expect("Hồ sơ năm 2026 của đồng chí Trần Văn An")
    assert doc.raw.record.document["file_name"] == "ho-so-nam-2026-tran-van-an.docx"
    text = docx_text(document(kit.fake_tg, doc))
    for fragment in ("HỒ SƠ NĂM 2026 CỦA ĐẢNG VIÊN", "Họ và tên: Trần Văn An", "CHI BỘ THÔN 1",
                     "I. ĐĂNG KÝ LÀM THEO", "Việc làm tốt | 4 | đã ghi nhận 2",
                     "05/03/2026 | Dọn vệ sinh khu phố (đã ghi nhận)", "Vắng có lý do | 1",
                     "14/04/2026 | Sinh hoạt định kỳ: Sinh hoạt tháng 4 (vắng có lý do: Đi công tác tỉnh)",
                     "03/04/2026 | Kiểm tra tháng 4/2026 — 1. " + ITEM_1 + ": ✓ đã làm",
                     "Ngày đã đọc | 5", "XÁC NHẬN CỦA CHI BỘ"):
        assert fragment in text, fragment
    assert "2026-" not in text and "person" not in text and "broadcast" not in text

    await sec.press("📊 Tải bản Excel (.xlsx)", message=file_)
    book = await sec.expect("Hồ sơ năm 2026 của đồng chí Trần Văn An")
    wb = openpyxl.load_workbook(io.BytesIO(document(kit.fake_tg, book)))
    assert wb.sheetnames[0] == "Tổng hợp"
    assert wb.sheetnames[1:] == ["Đăng ký làm theo", "Việc tốt", "Sinh hoạt chi bộ", "Học Bác mỗi ngày", "Thông báo"]
    summary = [list(r) for r in wb["Tổng hợp"].iter_rows(values_only=True)]
    assert summary[0] == ["Đảng viên", "Phần", "Nội dung", "Số lượng", "Ghi chú"]
    assert ["Trần Văn An", "Việc tốt", "Việc làm tốt", 4, "đã ghi nhận 2"] in summary
    deeds_sheet = wb["Việc tốt"]
    assert deeds_sheet.freeze_panes == "A2"
    cell = deeds_sheet["B2"]
    assert cell.value == datetime(2026, 3, 5) and cell.number_format == "dd/mm/yyyy"
    assert [c.value for c in deeds_sheet[2]][2] == "Dọn vệ sinh khu phố (đã ghi nhận)"

    await sec.press("📊 Xuất Excel cả chi bộ", message=members)
    branch_book = await sec.expect("Hồ sơ năm 2026: trang tổng hợp mỗi đảng viên một dòng")
    wb = openpyxl.load_workbook(io.BytesIO(document(kit.fake_tg, branch_book)))
    head, *people = [list(r) for r in wb["Tổng hợp"].iter_rows(values_only=True)]
    assert head[:3] == ["STT", "Đảng viên", "Việc đăng ký làm theo"] and "Vắng không lý do" in head
    by_name = {row[1]: dict(zip(head, row, strict=True)) for row in people}
    assert set(by_name) == {"Trần Văn An", "Nguyễn Thị Lan"}
    assert by_name["Trần Văn An"]["Việc làm tốt"] == 4 and by_name["Trần Văn An"]["Ngày đã đọc"] == 5
    assert by_name["Nguyễn Thị Lan"]["Việc làm tốt"] == 0
    meetings = [list(r) for r in wb["Sinh hoạt chi bộ"].iter_rows(values_only=True)]
    assert meetings[0] == ["Đảng viên", "Nội dung", "Ngày", "Chi tiết"]
    assert ["Trần Văn An", "Có mặt", datetime(2026, 3, 10), "Sinh hoạt định kỳ: Sinh hoạt tháng 3 (có mặt)"] in meetings

    # Nobody else: another branch's secretary, even with a forged button, and another member of the branch.
    other = await seed_branch(bot, kit.fake_tg, org_name="Đảng bộ xã Bình Minh", branch_name="Chi bộ thôn 9",
                              secretary_id=9301, secretary_name="Lê Văn Cường")
    await other.secretary.send("/hosonam")
    theirs = await other.secretary.expect("Hồ sơ năm 2026 — Chi bộ thôn 9")
    assert "Trần Văn An" not in theirs.text
    for forged in (YearShow(kit.branch.branch_id, pid, 2026), YearExport(kit.branch.branch_id, pid, 2026, "docx")):
        await other.secretary.press_data(forged.pack(), theirs)
        refusal = await other.secretary.expect("không có quyền")
        assert "Trần Văn An" not in refusal.text
    binh = await kit.join("7002", "Phạm Thị Bình", on="telegram")  # a forged button is a Telegram thing
    await binh.send("/namcuatoi")
    own = await binh.expect("Hồ sơ năm 2026 — Phạm Thị Bình", "Việc làm tốt: 0")
    await binh.press_data(YearShow(kit.branch.branch_id, pid, 2026).pack(), own)
    await binh.expect("không có quyền")


async def test_the_year_file_summary_provider_answers_one_line_per_figure(bot, fake_tg, branch, clock):
    from tests.conftest import join_member

    await join_member(bot, fake_tg, branch, 7101, "Trần Văn An")
    pid = await person_id(bot, "Trần Văn An")
    await seed_year(bot, branch, pid)
    clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=TZ))
    provider = bot.app.services.deps.ext.providers.year_file_summary
    assert provider is not None
    from bot.i18n import use_locale

    with use_locale("vi"):
        async with bot.app.db.session() as s:
            lines = await provider(s, pid, branch.branch_id, 2026)
    assert "Việc làm tốt: 3, đã ghi nhận 2" in lines
    assert "Vắng không lý do: 1" in lines and "Ngày đã đọc: 5, trong 4 tháng" in lines
