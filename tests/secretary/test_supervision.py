"""Supervision visits (kiểm tra, giám sát): the committee plans a visit, the secretary is told, findings are
recorded (resumed after a restart), conclusions and tasks go to the branch, a reminder comes on the right
day, the secretary reports a task fixed, the committee closes it; the .xlsx and the .docx are opened."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.features.supervision.callbacks import SupMinutes, SupVisit
from bot.features.supervision.exports import visits_xlsx
from bot.features.supervision.models import SupervisionItem, SupervisionTask, SupervisionVisit
from bot.features.supervision.service import SupervisionService, org_visits
from bot.messages import UserRef
from bot.services.documents import docx_text
from bot.services.identity import IdentityService
from bot.services.org import OrgService
from storage.models.outbox import OutboxMessage
from tests.conftest import ADMIN_TG_ID, TZ, join_member, seed_branch

PHOTO = b"\xff\xd8\xff\xe0" + b"evidence-photo" * 40


async def _committee(bot, fake_tg, branch):  # type: ignore[no-untyped-def]
    org = bot.app.services.get(OrgService)
    ids = bot.app.services.get(IdentityService)
    admin = await ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    await org.create_branch(admin, branch.org_id, "Chi bộ thôn 2")
    invite = await org.create_code(admin, kind="committee_admin", org_id=branch.org_id)
    boss = fake_tg.user(9301, "Đảng uỷ viên")
    await boss.send(f"/start {invite.code}")
    await boss.expect("quản trị")
    return boss


async def _plan(boss, day: str = "10/3"):  # type: ignore[no-untyped-def]
    await boss.send("/giamsat")
    await boss.expect("Kiểm tra, giám sát — Đảng bộ xã An Bình")
    await boss.press("Lên kế hoạch kiểm tra")
    await boss.expect("Kiểm tra chi bộ nào?")
    await boss.press("Chi bộ thôn 1")
    await boss.expect("Vào ngày nào?")
    await boss.send(day)
    await boss.expect("Thành phần đoàn kiểm tra?")
    await boss.send("Đ/c Trần Văn Nam, Đ/c Lê Thị Hoa")
    prompt = await boss.expect("Nội dung kiểm tra: mỗi dòng một nội dung")
    assert "Đảng viên đăng ký làm theo" in prompt.text  # the Directive 05 default is shown
    await boss.press("Bỏ qua")
    card = await boss.expect("Kế hoạch kiểm tra, giám sát", "10/03/2026", "Trần Văn Nam")
    assert "Bí thư chi bộ sẽ được thông báo" in card.text
    await boss.press("Lên kế hoạch và báo chi bộ")
    await boss.expect("Đã lên kế hoạch kiểm tra ngày 10/03/2026")


async def test_visit_with_findings_and_follow_up(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    sec = branch.secretary
    member = await join_member(bot, fake_tg, branch, 9401, "Phạm Văn Bình")
    boss = await _committee(bot, fake_tg, branch)
    await _plan(boss)
    told = await sec.expect("Kế hoạch kiểm tra, giám sát", "Chi bộ thôn 1", "10/03/2026")
    assert "Đ/c Trần Văn Nam" in told.text and "Chi bộ sinh hoạt định kỳ, chuyên đề" in told.text

    # The member cannot reach the visits at all.
    await member.send("/giamsat")
    await member.expect("chỉ dành cho bí thư")
    # The secretary does not see a visit before its conclusions.
    async with bot.app.db.session() as s:
        visit = (await s.execute(select(SupervisionVisit))).scalars().one()
    await sec.send("/giamsat")
    none_yet = await sec.expect("chưa có cuộc kiểm tra")
    await sec.press_data(SupVisit(int(visit.id or 0)).pack(), none_yet)
    await sec.expect("không có quyền")

    # Findings: one item at a time; the bot's figures are shown where it knows them.
    await boss.press("Xem cuộc kiểm tra")
    await boss.expect("Kiểm tra, giám sát Chi bộ thôn 1", "chưa ghi")
    await boss.press("Ghi kết quả")
    await boss.expect("Nội dung 1/5", "Chi bộ xây dựng và đăng ký kế hoạch năm")
    await boss.press("Đạt")
    await boss.expect("Nhận xét về nội dung này?")
    await boss.send("Có kế hoạch năm 2026, ban hành đúng hạn")
    await boss.expect("Minh chứng")
    await boss.send("Kế hoạch số 01-KH/CB")
    await boss.expect("Đã lưu: Chi bộ xây dựng và đăng ký kế hoạch năm — đạt.")
    second = await boss.expect("Nội dung 2/5", "Đảng viên đăng ký làm theo")
    assert "Số liệu trên hệ thống: 0/2 đảng viên đã đăng ký làm theo" in second.text
    await boss.press("Chưa đạt")
    await boss.expect("Nhận xét")
    await boss.send("Chưa đảng viên nào đăng ký")
    await boss.expect("Minh chứng")
    await boss.send_photo(PHOTO)
    await boss.expect("Đã lưu", "chưa đạt")
    third = await boss.expect("Nội dung 3/5")
    assert "buổi sinh hoạt định kỳ" in third.text
    # A restart mid-form loses nothing: the question is still open, and then answered.
    await bot.restart()
    await boss.press("Chưa đạt", message=third)
    await boss.expect("Nhận xét")
    await boss.press("Bỏ qua")
    await boss.expect("Minh chứng")
    await boss.press("Không có minh chứng")
    await boss.expect("Nội dung 4/5", "Việc tốt được xem xét, ghi nhận", "0 việc tốt đã báo")
    # Leaving and coming back resumes at the first item not recorded.
    await boss.send("/giamsat")
    await boss.press("Chi bộ thôn 1 10/03/2026", message=await boss.expect("Kiểm tra, giám sát — "))
    await boss.press("Kết luận", message=await boss.expect("Kiểm tra, giám sát Chi bộ thôn 1"))
    await boss.expect("cần ghi kết quả cho mọi nội dung kiểm tra trước (còn 2)")
    await boss.press("Ghi kết quả")
    for n in (4, 5):
        await boss.expect(f"Nội dung {n}/5")
        await boss.press("Đạt")
        await boss.expect("Nhận xét")
        await boss.press("Bỏ qua")
        await boss.expect("Minh chứng")
        await boss.press("Không có minh chứng")
    await boss.expect("Đã ghi kết quả mọi nội dung kiểm tra")

    # Conclusions and tasks, each with a deadline.
    await boss.press("Kết luận")
    await boss.expect("Kết luận của cuộc kiểm tra?")
    await boss.send("Chi bộ thực hiện cơ bản tốt; còn chậm việc đăng ký làm theo.")
    await boss.expect("Nhiệm vụ chi bộ cần khắc phục?")
    await boss.send("Hướng dẫn đảng viên đăng ký làm theo")
    await boss.expect("Hạn hoàn thành nhiệm vụ này?")
    await boss.send("20/3")
    await boss.expect("Nhiệm vụ chi bộ cần khắc phục?")
    await boss.send("Sinh hoạt chuyên đề quý I")
    await boss.send("hôm qua")  # a deadline in the past is refused politely and asked again
    await boss.expect("Hạn hoàn thành nhiệm vụ này?")
    await boss.expect("Hạn hoàn thành nhiệm vụ này?")
    await boss.send("31/3")
    await boss.expect("Nhiệm vụ chi bộ cần khắc phục?")
    await boss.press("Bỏ qua")
    card = await boss.expect("Kết luận", "20/03/2026", "31/03/2026")
    assert "sẽ được gửi tới chi bộ" in card.text
    await boss.press("Gửi chi bộ")
    await boss.expect("Đã gửi chi bộ: kết luận và 2 nhiệm vụ khắc phục.")
    got = await sec.expect("Kết luận kiểm tra, giám sát", "Chi bộ thôn 1")
    assert "Chưa đạt:" in got.text and "Đảng viên đăng ký làm theo: Chưa đảng viên nào đăng ký" in got.text
    assert "Hướng dẫn đảng viên đăng ký làm theo (hạn 20/03/2026; chưa xong)" in got.text
    # A second conclusion of the same visit is refused.
    await boss.press_data(f"sup.concl:{visit.id}", card)
    await boss.expect("đã kết luận")

    # Reminders: 3 days before the deadline, not earlier; a second tick sends nothing more.
    async def reminders() -> list[OutboxMessage]:
        async with bot.app.db.session() as s:
            return list((await s.execute(select(OutboxMessage).where(
                OutboxMessage.kind == "supervision_task_reminder"))).scalars())

    clock.set(datetime(2026, 3, 16, 9, 0, tzinfo=TZ))
    await bot.tick(only=["supervision_task_reminders"])
    assert await reminders() == []
    clock.set(datetime(2026, 3, 17, 9, 0, tzinfo=TZ))
    await bot.tick(only=["supervision_task_reminders"])
    await bot.tick(only=["supervision_task_reminders"])
    rows = await reminders()
    assert len(rows) == 1
    await sec.expect("Nhiệm vụ khắc phục", "sau 3 ngày nữa (20/03/2026)", "Hướng dẫn đảng viên")
    # The tick missed the 28th (3 days before 31/03): on the 31st it catches up with one "today" reminder.
    clock.set(datetime(2026, 3, 31, 9, 0, tzinfo=TZ))
    await bot.tick(only=["supervision_task_reminders"])
    assert len(await reminders()) == 2
    await sec.expect("đến hạn hôm nay (31/03/2026)", "Sinh hoạt chuyên đề quý I")

    # The secretary reports the first task fixed, with evidence.
    await sec.send("/giamsat")
    view = await sec.expect("Kết luận kiểm tra, giám sát")
    await sec.press("Báo cáo đã khắc phục nhiệm vụ 1", message=view)
    await sec.expect("Chi bộ đã khắc phục thế nào?")
    await sec.send("Đã hướng dẫn tại buổi sinh hoạt ngày 15/3; 2/2 đảng viên đăng ký")
    await sec.expect("Đã báo cáo khắc phục")
    await boss.expect("Chi bộ thôn 1 báo cáo đã khắc phục nhiệm vụ: Hướng dẫn đảng viên đăng ký làm theo")

    # The committee's view, then it closes the task.
    await boss.send("/giamsat")
    summary = await boss.expect("Kiểm tra, giám sát — Đảng bộ xã An Bình")
    lines = summary.text.splitlines()
    thon1 = next(line for line in lines if line.startswith("• Chi bộ thôn 1"))
    assert "đã kiểm tra 1" in thon1 and "nội dung chưa đạt: 2" in thon1 and "nhiệm vụ chưa xong: 2" in thon1
    assert "(quá hạn 0)" in thon1  # task 1 reported, task 2 due today
    assert next(line for line in lines if line.startswith("• Chi bộ thôn 2")).count(": 0") == 2
    await boss.press("Chi bộ thôn 1 10/03/2026", message=summary)
    detail = await boss.expect("Kiểm tra, giám sát Chi bộ thôn 1")
    assert "đã báo cáo khắc phục" in detail.text
    await boss.press("Đóng nhiệm vụ 1", message=detail)
    await boss.expect("Đã đóng nhiệm vụ: Hướng dẫn đảng viên")
    await sec.expect("Đảng uỷ đã đóng nhiệm vụ: Hướng dẫn đảng viên")
    async with bot.app.db.session() as s:
        tasks = (await s.execute(select(SupervisionTask).order_by(SupervisionTask.id))).scalars().all()
        items = (await s.execute(select(SupervisionItem).order_by(SupervisionItem.position))).scalars().all()
    assert [t.status for t in tasks] == ["closed", "open"] and tasks[0].report_text.startswith("Đã hướng dẫn")
    assert [i.passed for i in items] == [True, False, False, True, True]
    assert items[1].evidence_media_key and items[0].evidence_text == "Kế hoạch số 01-KH/CB"

    # The workbook: summary first, then visits, findings and tasks.
    await boss.send("/giamsat")
    await boss.press("Xuất Excel", message=await boss.expect("Kiểm tra, giám sát — "))
    doc = await boss.expect("Kiểm tra, giám sát: tổng hợp theo chi bộ")
    wb = load_workbook(io.BytesIO(fake_tg.files[doc.raw.record.document["file_id"]].data))
    assert wb.sheetnames == ["Tổng hợp", "Các cuộc kiểm tra", "Kết quả kiểm tra", "Nhiệm vụ khắc phục"]
    head, *rows_ = list(wb["Tổng hợp"].iter_rows(values_only=True))
    assert head[0] == "Chi bộ" and ("Chi bộ thôn 1", 0, 1, 2, 1, 0) in rows_
    findings = list(wb["Kết quả kiểm tra"].iter_rows(values_only=True))
    assert len(findings) == 6 and findings[2][4] == "chưa đạt" and findings[2][6] == "ảnh"
    assert wb["Kết quả kiểm tra"]["B2"].number_format == "dd/mm/yyyy"
    assert wb["Kết quả kiểm tra"]["B2"].value.date() == date(2026, 3, 10)
    tasks_sheet = list(wb["Nhiệm vụ khắc phục"].iter_rows(values_only=True))
    assert [r[4] for r in tasks_sheet[1:]] == ["đã đóng", "chưa xong"]

    # The minutes (.docx): ready to file, no internal ids.
    await boss.press_data(SupMinutes(int(visit.id or 0)).pack(), summary)
    doc = await boss.expect("Biên bản kiểm tra, giám sát")
    text = docx_text(fake_tg.files[doc.raw.record.document["file_id"]].data)
    assert "BIÊN BẢN KIỂM TRA, GIÁM SÁT" in text
    assert "Đơn vị được kiểm tra: Chi bộ thôn 1" in text and "Ngày kiểm tra: 10/03/2026" in text
    assert "Đoàn kiểm tra: Đ/c Trần Văn Nam, Đ/c Lê Thị Hoa" in text
    assert "Chi bộ thực hiện cơ bản tốt" in text and "31/03/2026" in text and "có ảnh kèm theo" in text
    assert "ĐẢNG BỘ XÃ AN BÌNH" in text and "chưa đạt" in text
    assert "2026-03" not in text and "visit" not in text and "sup." not in text
    # The secretary gets the minutes of their branch's concluded visit too.
    await sec.press_data(SupMinutes(int(visit.id or 0)).pack(), view)
    await sec.expect("Biên bản kiểm tra, giám sát")


async def test_other_branch_and_other_committee_are_refused(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    boss = await _committee(bot, fake_tg, branch)
    await _plan(boss)
    await branch.secretary.expect("Kế hoạch kiểm tra, giám sát")
    async with bot.app.db.session() as s:
        visit = (await s.execute(select(SupervisionVisit))).scalars().one()
    other = await seed_branch(bot, fake_tg, org_name="Đảng bộ phường B", branch_name="Chi bộ khu 5",
                              secretary_id=9201, secretary_name="Vũ Minh")
    org = bot.app.services.get(OrgService)
    ids = bot.app.services.get(IdentityService)
    admin = await ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    invite = await org.create_code(admin, kind="committee_admin", org_id=other.org_id)
    boss_b = fake_tg.user(9302, "Cấp uỷ B")
    await boss_b.send(f"/start {invite.code}")
    await boss_b.expect("quản trị")
    await boss_b.send("/giamsat")
    view_b = await boss_b.expect("Kiểm tra, giám sát — Đảng bộ phường B")
    assert "Chi bộ thôn 1" not in view_b.text
    for data in (SupVisit(int(visit.id or 0)).pack(), SupMinutes(int(visit.id or 0)).pack(),
                 f"sup.rec:{visit.id}", f"sup.xlsx:{branch.org_id}", f"sup.plan:{branch.org_id}"):
        await boss_b.press_data(data, view_b)
        await boss_b.expect("không có quyền")
    await other.secretary.send("/giamsat")
    own = await other.secretary.expect("chưa có cuộc kiểm tra")
    await other.secretary.press_data(SupMinutes(int(visit.id or 0)).pack(), own)
    await other.secretary.expect("không có quyền")
    assert not [m for m in fake_tg.messages_for(9302) if m.document]


async def test_workbook_keeps_formula_like_text_as_text(bot, fake_tg, branch, clock):
    """The team, findings and tasks are typed by people: a formula-like text stays text in the workbook."""
    evil = '=HYPERLINK("http://evil.example","Bấm vào đây")'
    ids = bot.app.services.get(IdentityService)
    admin = await ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    svc = bot.app.services.get(SupervisionService)
    visit = await svc.plan(admin, branch.branch_id, date(2026, 3, 10), evil, [evil])
    view = await svc.start_recording(admin, int(visit.id or 0))
    await svc.record_finding(admin, int(view.items[0].id or 0), False, evil, "+1+1", None)
    await svc.conclude(admin, int(visit.id or 0), "@SUM(A1)", [(evil, date(2026, 4, 1))])
    _org, rows = await svc.committee_view(admin, branch.org_id)
    wb = load_workbook(io.BytesIO(visits_xlsx(rows, await org_visits(svc, admin, branch.org_id))))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells}
    assert evil in texts and "+1+1" in texts and "@SUM(A1)" in texts


async def test_demo_seed_gives_the_committee_a_visit_and_open_tasks(bot, fake_tg, branch, clock):
    from bot.features.supervision.demo import seed_supervision

    ids = bot.app.services.get(IdentityService)
    admin = await ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    await seed_supervision(bot.app.services, admin, branch.branch_id)
    _org, rows = await bot.app.services.get(SupervisionService).committee_view(admin, branch.org_id)
    assert [(r.done, r.not_met, r.open_tasks) for r in rows] == [(1, 2, 2)]


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_deputy_reads_conclusions_and_reports_fixed_on_both_channels(kit):
    """The branch side on the test's channel: the deputy is told of the visit and its conclusions, then
    reports a task fixed with a photo (numbered choices on Zalo), and the committee can close it."""
    kit.fake_tg.limits.enabled = False
    bot, branch = kit.bot, kit.branch
    ids = bot.app.services.get(IdentityService)
    admin = await ids.resolve(UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    code = await bot.app.services.get(OrgService).create_code(admin, kind="deputy", branch_id=branch.branch_id)
    hoa = kit.user("5301", "Lê Thị Hoa")
    await hoa.send(code.code)
    await hoa.expect("phó bí thư")
    svc = bot.app.services.get(SupervisionService)
    visit = await svc.plan(admin, branch.branch_id, date(2026, 3, 10), "Đ/c Trần Văn Nam", ["Sổ sách chi bộ"])
    await hoa.expect("Kế hoạch kiểm tra, giám sát", "10/03/2026", "Sổ sách chi bộ")
    view = await svc.start_recording(admin, int(visit.id or 0))
    await svc.record_finding(admin, int(view.items[0].id or 0), False, "Thiếu sổ ghi biên bản", None, None)
    await svc.conclude(admin, int(visit.id or 0), "Cần bổ sung sổ sách.", [("Lập sổ biên bản", date(2026, 3, 31))])
    await hoa.expect("Kết luận kiểm tra, giám sát", "Lập sổ biên bản (hạn 31/03/2026; chưa xong)")
    await hoa.send("/giamsat")
    shown = await hoa.expect("Kết luận kiểm tra, giám sát")
    if kit.channel == "zalo":
        assert "1." in shown.text  # the buttons are numbered choices
    await hoa.press("Báo cáo đã khắc phục nhiệm vụ 1")
    await hoa.expect("Chi bộ đã khắc phục thế nào?")
    await hoa.send_photo(PHOTO)
    await hoa.expect("Đã báo cáo khắc phục")
    async with bot.app.db.session() as s:
        task = (await s.execute(select(SupervisionTask))).scalars().one()
    assert task.status == "reported" and task.report_media_key
    closed = await svc.close_task(admin, int(task.id or 0))
    assert closed.status == "closed"
    await hoa.expect("Đảng uỷ đã đóng nhiệm vụ: Lập sổ biên bản")
