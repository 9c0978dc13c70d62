"""/baocao figures, the chart, the Excel workbook, the committee view and permission denials."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import load_workbook
from sqlalchemy import select

from bot.features.meetings.attendance import MeetingAttendance
from bot.features.meetings.callbacks import AttendanceSheet
from bot.features.meetings.scheduling import MeetingScheduling
from bot.features.reports.callbacks import ReportExport, ShowReport
from bot.messages import UserRef
from bot.services.identity import IdentityService
from bot.services.org import OrgService
from storage.models.system import AuditLog
from tests.conftest import TZ, seed_branch
from tests.secretary.helpers import seed_members


async def _fixture(bot, fake_tg, branch, clock):  # type: ignore[no-untyped-def]
    """Branch 1: 4 members, a thematic meeting on 02/03 with 3 present (75%). Another đảng bộ's branch."""
    fake_tg.limits.enabled = False
    people = await seed_members(bot, fake_tg, branch.branch_id, 730_000, 3)
    meetings = bot.app.services.get(MeetingScheduling)
    attendance = bot.app.services.get(MeetingAttendance)
    m = await meetings.schedule(
        branch.secretary_actor,
        branch.branch_id,
        kind="thematic",
        starts_local=datetime(2026, 3, 2, 19, 30),
        place="Hội trường",
        topic="Chỉ thị 05",
    )
    clock.set(datetime(2026, 3, 2, 21, 0, tzinfo=TZ))
    for pid in people[:2]:
        await attendance.toggle(branch.secretary_actor, m.id, pid)
    await attendance.toggle(branch.secretary_actor, m.id, branch.secretary_actor.person_id)
    clock.set(datetime(2026, 3, 3, 9, 0, tzinfo=TZ))
    other = await seed_branch(
        bot,
        fake_tg,
        org_name="Đảng bộ phường B",
        branch_name="Chi bộ khu 5",
        secretary_id=9201,
        secretary_name="Vũ Minh",
    )
    return m, other


async def test_baocao_numbers_chart_and_workbook(bot, fake_tg, branch, clock):
    await _fixture(bot, fake_tg, branch, clock)
    sec = branch.secretary
    await sec.send("📊 Báo cáo")
    await sec.expect("Báo cáo cho khoảng thời gian nào?")
    await sec.press("Tháng này")
    report = await sec.expect("Báo cáo Chi bộ thôn 1", "tháng 3/2026")
    assert "Số đảng viên: 4" in report.text
    assert "Buổi sinh hoạt: 0 định kỳ, 1 chuyên đề" in report.text
    assert "Tỷ lệ dự sinh hoạt: 75%" in report.text
    assert "Đã đăng ký làm theo: 0%" in report.text  # the pledges feature's figure: nobody pledged yet
    chart = await sec.expect("")  # the PNG chart follows
    while chart.media != "photo":
        chart = await sec.expect("")
    photo = chart.raw.record.photo[-1]
    assert fake_tg.files[photo["file_id"]].data.startswith(b"\x89PNG")
    await sec.press("Xuất Excel", message=report)
    doc = await sec.expect("Sổ tổng hợp của chi bộ")
    assert doc.media == "document"
    data = fake_tg.files[doc.raw.record.document["file_id"]].data
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames[:6] == [
        "Tổng hợp", "Đảng viên", "Đăng ký làm theo", "Việc tốt", "Sinh hoạt và điểm danh", "Thông báo"]
    members = list(wb["Đảng viên"].iter_rows(values_only=True))
    assert members[0][:3] == ("STT", "Họ tên", "Vai trò") and len(members) == 5
    assert {r[1] for r in members[1:]} == {
        "Nguyễn Thị Lan",
        "Đảng viên 0001",
        "Đảng viên 0002",
        "Đảng viên 0003",
    }
    att = list(wb["Sinh hoạt và điểm danh"].iter_rows(values_only=True))
    assert len(att) == 5 and sum(1 for r in att[1:] if r[-1] == "có") == 3
    assert all(r[1] == "sinh hoạt chuyên đề" and r[2] == "Chỉ thị 05" for r in att[1:])
    pledges_sheet = list(wb["Đăng ký làm theo"].iter_rows(values_only=True))
    assert pledges_sheet[0][:2] == ("STT", "Họ và tên") and len(pledges_sheet) == 1  # no pledge yet
    async with bot.app.db.session() as s:
        audit = (await s.execute(select(AuditLog).where(AuditLog.action == "report.export"))).scalars().one()
    assert audit.branch_id == branch.branch_id and audit.details["rows"] >= 8


async def test_committee_view_flags_lagging_branch(bot, fake_tg, branch, clock):
    _m, _other = await _fixture(bot, fake_tg, branch, clock)
    # A second branch of the same đảng bộ with no thematic meeting this quarter.
    org = bot.app.services.get(OrgService)
    ids = bot.app.services.get(IdentityService)
    admin = await ids.resolve(UserRef("telegram", "9001", "Quản trị"), "9001")
    await org.create_branch(admin, branch.org_id, "Chi bộ thôn 2")
    invite = await org.create_code(admin, kind="committee_admin", org_id=branch.org_id)
    boss = fake_tg.user(9301, "Đảng uỷ viên")
    await boss.send(f"/start {invite.code}")
    await boss.expect("quản trị")
    await boss.send("/baocao")
    await boss.expect("Báo cáo của đảng bộ")
    await boss.press("Tháng này")
    view = await boss.expect("Đảng bộ xã An Bình", "2 chi bộ")
    lines = view.text.splitlines()
    thon1 = lines.index(next(line for line in lines if line.startswith("• Chi bộ thôn 1")))
    thon2 = lines.index(next(line for line in lines if line.startswith("• Chi bộ thôn 2")))
    assert "dự sinh hoạt 75%" in lines[thon1] and "tỷ lệ dự sinh hoạt 75% (dưới 80%)" in lines[thon1 + 1]
    assert "quý này chưa sinh hoạt chuyên đề" in lines[thon2 + 1]
    assert "Chi bộ khu 5" not in view.text  # another đảng bộ's branch is never shown
    assert "Số chi bộ chậm: 2" in view.text
    await boss.send("/nguong 70")
    await boss.expect("dưới 70%")
    await boss.send("/baocao")
    await boss.press("Tháng này", message=await boss.expect("Báo cáo của đảng bộ"))
    view = await boss.expect("2 chi bộ")
    assert "dưới 80%" not in view.text and "dưới 70%" not in view.text  # 75% attendance is fine now


async def test_secretary_cannot_read_another_branch(bot, fake_tg, branch, clock):
    _m, other = await _fixture(bot, fake_tg, branch, clock)
    await other.secretary.send("/baocao")
    own = await other.secretary.expect("Báo cáo cho khoảng thời gian nào?")
    await other.secretary.press_data(ShowReport("m", branch.branch_id).pack(), own)
    await other.secretary.expect("không có quyền")
    await other.secretary.press_data(ReportExport("y", branch.branch_id).pack(), own)
    await other.secretary.expect("không có quyền")
    await other.secretary.press_data(AttendanceSheet(1).pack(), own)  # branch 1's meeting attendance
    await other.secretary.expect("không có quyền")
    assert not [m for m in fake_tg.messages_for(other.secretary.id) if m.document]
