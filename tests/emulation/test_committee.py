"""The committee's side: opening a call, counts per branch and category, laggards, the workbook,
appraisal and commendation; late and duplicate registrations refused; reminders before milestones."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.features.emulation.callbacks import Appraise, ConfirmMilestone, ExportEmulation, RegisterProject
from bot.features.emulation.models import EmulationProject
from bot.features.emulation.service import EmulationService
from bot.services.errors import Conflict, PermissionDenied
from bot.services.org import OrgService
from storage.models.outbox import OutboxMessage
from tests.conftest import TZ, join_member, seed_branch
from tests.emulation.helpers import actor_of, committee, open_call, register, system_admin


async def _world(bot, fake_tg, branch):  # type: ignore[no-untyped-def]
    """Đảng bộ xã An Bình: Chi bộ thôn 1 (a member with two projects) and Chi bộ thôn 2 (none); another
    đảng bộ with its own committee and branch."""
    fake_tg.limits.enabled = False
    await bot.app.services.get(OrgService).create_branch(await system_admin(bot), branch.org_id, "Chi bộ thôn 2")
    boss = await committee(bot, fake_tg, branch.org_id)
    await open_call(boss)
    an = await join_member(bot, fake_tg, branch, 5201, "Trần Văn An")
    an_actor = await actor_of(bot, "telegram", "5201")
    road = await register(bot, an_actor, branch.branch_id, "Tuyến đường hoa", "Mô hình",
                          [(date(2026, 3, 5), "Khảo sát"), (date(2026, 4, 30), "Trồng xong")])
    await register(bot, an_actor, branch.branch_id, "Tủ sách thôn", "Công trình", [(date(2026, 5, 1), "Khai trương")])
    other = await seed_branch(bot, fake_tg, org_name="Đảng bộ phường B", branch_name="Chi bộ khu 5",
                              secretary_id=9202, secretary_name="Vũ Minh")
    return boss, an, an_actor, road, other


async def test_counts_laggards_workbook_appraisal_and_commendation(bot, fake_tg, branch, clock):
    boss, an, _an_actor, road, other = await _world(bot, fake_tg, branch)
    clock.set(datetime(2026, 3, 9, 9, 0, tzinfo=TZ))  # the road's survey (05/03) was never reported
    await boss.send("/thidua")
    view = await boss.expect("Công trình thi đua — Đảng bộ xã An Bình")
    assert "• Chi bộ thôn 1: 2 công trình (Công trình 1, Mô hình 1)" in view.text
    assert "• Chi bộ thôn 2: 0 công trình" in view.text
    assert "Tổng: 2 công trình, 1/2 chi bộ đã đăng ký" in view.text
    assert "⚠️ Chưa đăng ký công trình: Chi bộ thôn 2" in view.text
    assert "⚠️ Chậm tiến độ: Tuyến đường hoa (Chi bộ thôn 1), 1 mốc quá hạn chưa báo cáo" in view.text
    assert "Tủ sách thôn (" not in view.text.split("Chậm tiến độ")[-1]
    assert "Chi bộ khu 5" not in view.text  # another đảng bộ's branch is never shown

    await boss.press("Xuất Excel", view)
    doc = await boss.expect("Công trình thi đua: tổng hợp")
    wb = load_workbook(io.BytesIO(fake_tg.files[doc.raw.record.document["file_id"]].data))
    assert wb.sheetnames == ["Tổng hợp", "Công trình", "Mốc tiến độ"]
    summary = list(wb["Tổng hợp"].iter_rows(values_only=True))
    assert summary[0] == ("STT", "Chi bộ", "Công trình", "Phần việc", "Mô hình", "Sáng kiến", "Việc làm cụ thể",
                          "Tổng cộng")
    assert summary[1] == (1, "Chi bộ thôn 1", 1, 0, 1, 0, 0, 2)
    assert summary[2] == (2, "Chi bộ thôn 2", 0, 0, 0, 0, 0, 0)
    assert summary[3][1:] == ("Tổng cộng", 1, 0, 1, 0, 0, 2)
    projects = list(wb["Công trình"].iter_rows(values_only=True))
    assert [r[2] for r in projects[1:]] == ["Tuyến đường hoa", "Tủ sách thôn"]
    assert projects[1][4:6] == ("nhóm đảng viên", "Trần Văn An") and projects[1][8] == "đang thực hiện"
    stones = list(wb["Mốc tiến độ"].iter_rows(values_only=True))
    assert len(stones) == 4 and stones[1][3] == "Khảo sát" and stones[1][4] == datetime(2026, 3, 5)
    assert wb["Mốc tiến độ"]["E2"].number_format == "dd/mm/yyyy"

    await boss.press("Thẩm định công trình", view)
    card = await boss.expect("Tuyến đường hoa", "Mốc đã xác nhận: 0/2")
    await boss.press("Đạt", card)
    await boss.expect("Nhận xét của đồng chí về <b>Tuyến đường hoa</b>".replace("<b>", "").replace("</b>", ""))
    await boss.send("Làm tốt, người dân đồng tình")
    await boss.expect("Gửi kết quả thẩm định này?", "Tuyến đường hoa: đạt")
    await boss.press("Xác nhận gửi")
    done = await boss.expect("Đã thẩm định: Tuyến đường hoa — đạt")
    await an.expect("Cấp uỷ đã thẩm định", "Tuyến đường hoa", "đạt", "Làm tốt, người dân đồng tình")
    await branch.secretary.expect("Cấp uỷ đã thẩm định", "Tuyến đường hoa")
    await boss.press("Biểu dương", done)
    await boss.expect("Đã biểu dương: Tuyến đường hoa")
    await an.expect("Cấp uỷ biểu dương công trình thi đua", "Tuyến đường hoa")

    # A second verdict on the same project, from an old card: refused politely, nothing changes.
    await boss.press_data(Appraise("failed", road).pack(), card)
    await boss.expect("Công trình này đã được thẩm định (đạt)")
    async with bot.app.db.session() as s:
        p = await s.get(EmulationProject, road)
    assert (p.status, p.appraisal, p.commended) == ("passed", "Làm tốt, người dân đồng tình", True)

    # Another đảng bộ's committee cannot see or act on this one.
    other_boss = await committee(bot, fake_tg, other.org_id, uid=9302, name="Cấp uỷ B")
    await other_boss.send("/thidua")
    own = await other_boss.expect("Chưa có đợt đăng ký công trình thi đua")
    await other_boss.press_data(ExportEmulation(branch.org_id).pack(), own)
    await other_boss.expect("không có quyền")
    await other_boss.press_data(Appraise("passed", road + 1).pack(), own)
    await other_boss.expect("không có quyền")
    assert not [m for m in fake_tg.messages_for(other_boss.id) if m.document]


async def test_member_cannot_appraise_and_secretary_not_another_branch(bot, fake_tg, branch, clock):
    _boss, an, an_actor, road, other = await _world(bot, fake_tg, branch)
    svc = bot.app.services.get(EmulationService)
    with pytest.raises(PermissionDenied):
        await svc.appraise(an_actor, road, "passed", "Tự chấm")
    await an.send("/thidua")
    await an.expect("chỉ dành cho quản trị viên đảng bộ")  # a committee command
    milestone = (await svc.my_projects(an_actor))[0][1][0]
    await svc.report(an_actor, milestone.id, text="Đã khảo sát", link=None, media=[])
    await branch.secretary.expect("báo cáo mốc")
    # The secretary of another đảng bộ's branch presses a forged confirm button.
    await other.secretary.send("/xacnhanmoc")
    own = await other.secretary.expect("Không có mốc nào chờ xác nhận")
    await other.secretary.press_data(ConfirmMilestone(milestone.id).pack(), own)
    await other.secretary.expect("không có quyền")
    with pytest.raises(PermissionDenied):
        await svc.pending_confirmations(other.secretary_actor, branch.branch_id)
    # The owner cannot confirm their own milestone either.
    with pytest.raises(PermissionDenied):
        await svc.confirm(an_actor, milestone.id)
    await branch.secretary.send("/xacnhanmoc")
    card = await branch.secretary.expect("Tuyến đường hoa", "Khảo sát", "Đã khảo sát")
    await branch.secretary.press("Xác nhận", card)
    await branch.secretary.expect("Đã xác nhận: Khảo sát")


async def test_late_and_duplicate_registrations_are_refused(bot, fake_tg, branch, clock):
    _boss, an, an_actor, _road, _other = await _world(bot, fake_tg, branch)
    svc = bot.app.services.get(EmulationService)
    call = await svc.open_call_for(an_actor, branch.branch_id)
    with pytest.raises(Conflict, match="Tuyến đường hoa"):
        await svc.register(an_actor, branch.branch_id, call.id, by_branch=False, name="  tuyến ĐƯỜNG hoa ",
                           category="Mô hình", goal="", criteria="", milestones=[(date(2026, 4, 1), "X")])
    with pytest.raises(PermissionDenied):  # a plain member cannot register for the branch itself
        await svc.register(an_actor, branch.branch_id, call.id, by_branch=True, name="Chợ sạch",
                           category="Mô hình", goal="", criteria="", milestones=[(date(2026, 4, 1), "X")])
    await an.send("/congtrinh")
    listing = await an.expect("Tuyến đường hoa", "Đợt đang mở")
    clock.set(datetime(2026, 4, 1, 9, 0, tzinfo=TZ))  # the day after the deadline (31/03)
    await an.send("/congtrinh")
    late = await an.expect("đã hết hạn đăng ký ngày 31/03/2026", "không nhận đăng ký muộn")
    assert "Đăng ký công trình" not in " ".join(late.buttons)
    await an.press("Đăng ký công trình", listing)  # the old button from before the deadline
    await an.expect("không nhận đăng ký muộn")
    await an.press_data(RegisterProject(call.id).pack(), listing)
    await an.expect("không nhận đăng ký muộn")
    with pytest.raises(Conflict):
        await svc.register(an_actor, branch.branch_id, call.id, by_branch=False, name="Chợ sạch",
                           category="Mô hình", goal="", criteria="", milestones=[(date(2026, 5, 1), "X")])
    async with bot.app.db.session() as s:
        assert len((await s.execute(select(EmulationProject))).scalars().all()) == 2


async def test_milestone_reminders_three_days_before_and_on_the_day(bot, fake_tg, branch, clock):
    _boss, an, an_actor, _road, _other = await _world(bot, fake_tg, branch)
    await register(bot, an_actor, branch.branch_id, "Vườn thuốc nam", "Sáng kiến", [(date(2026, 3, 12), "Trồng cây")])
    clock.set(datetime(2026, 3, 8, 9, 0, tzinfo=TZ))  # four days before: nothing yet
    await bot.tick(only=["emulation_reminders"])
    await an.expect_nothing(0.3)
    # No tick ran on the 9th (three days before): the tick of the 10th catches up, once.
    clock.set(datetime(2026, 3, 10, 9, 0, tzinfo=TZ))
    await bot.tick(only=["emulation_reminders"])
    note = await an.expect("Mốc “Trồng cây” thuộc", "Vườn thuốc nam", "đến hạn ngày 12/03/2026")
    assert note.buttons == ["📎 Báo cáo mốc này"]
    await bot.tick(only=["emulation_reminders"])
    await bot.restart()
    await bot.tick(only=["emulation_reminders"])
    await an.expect_nothing(0.3)
    clock.set(datetime(2026, 3, 12, 9, 0, tzinfo=TZ))
    await bot.tick(only=["emulation_reminders"])
    await an.expect("Hôm nay là hạn của mốc “Trồng cây”")
    async with bot.app.db.session() as s:
        keys = sorted(k for k in (await s.execute(select(OutboxMessage.key)
                                                  .where(OutboxMessage.kind == "emulation_reminder"))).scalars())
    assert len(keys) == 2 and keys[0].endswith(":before") and keys[1].endswith(":day")
    # The reminder's button opens the report form.
    await an.press("Báo cáo mốc này")
    await an.expect("Trồng cây", "Đã làm được gì?")


async def test_workbook_keeps_formula_like_text_as_text(bot, fake_tg, branch, clock):
    _boss, _an, an_actor, _road, _other = await _world(bot, fake_tg, branch)
    await register(bot, an_actor, branch.branch_id, "=HYPERLINK(\"http://x\",\"y\")", "Sáng kiến",
                   [(date(2026, 4, 2), "+cmd|' /C calc'!A0")])
    admin = await system_admin(bot)
    data, name, branch_ids = await bot.app.services.get(EmulationService).workbook(admin, branch.org_id)
    assert len(branch_ids) == 2  # both branches of the đảng bộ, never the other đảng bộ's
    assert name == "cong-trinh-thi-dua-2026.xlsx"
    wb = load_workbook(io.BytesIO(data))
    names = [r[2] for r in wb["Công trình"].iter_rows(min_row=2, values_only=True)]
    assert "=HYPERLINK(\"http://x\",\"y\")" in names
    cell = next(c for c in wb["Công trình"]["C"] if c.value and str(c.value).startswith("=HYPER"))
    assert cell.data_type == "s"  # text, never a formula
