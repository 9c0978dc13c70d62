"""The minutes (biên bản) of a meeting, through the real bot: the secretary drafts them from what the bot knows
(attendance in three states with reasons, votes) plus what is typed in chat (chair, secretary, discussion,
conclusions, closing time, tasks), exports the .docx; tasks remind their owners on both channels, are marked
done in chat, and the open ones come back at the next meeting as "Việc cần kiểm tra"."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from bot.features.meetings.minutes_tasks import reminder_stage
from bot.features.meetings.models import Attendance, Meeting, MeetingMinutes, MinutesTask
from bot.features.meetings.scheduling import MeetingScheduling
from bot.services.documents import docx_text
from storage.models.outbox import OutboxMessage
from storage.models.people import Person
from tests.conftest import TZ

VOTES = [("Thông qua nghị quyết tháng 3", "Tán thành 3, không tán thành 0, không biểu quyết 0; có mặt 3/4; thông qua")]


async def _pid(bot, name: str) -> int:
    async with bot.app.db.session() as s:
        return (await s.execute(select(Person.id).where(Person.display_name == name))).scalar_one()


async def _schedule(kit, starts_local: datetime, topic: str = "Triển khai nghị quyết tháng 3") -> Meeting:
    return await kit.bot.app.services.get(MeetingScheduling).schedule(
        kit.branch.secretary_actor, kit.branch.branch_id, kind="regular", starts_local=starts_local,
        place="Nhà văn hoá thôn 1", topic=topic,
        documents=[{"kind": "document", "file_name": "Nghi-quyet-thang-3.pdf", "media_key": "k1"}])


def _mark(meeting_id: int, person_id: int, status: str, reason: str | None = None) -> Attendance:
    return Attendance(meeting_id=meeting_id, person_id=person_id, present=status == "present", status=status,
                      reason=reason, source="secretary")


async def _docx(kit, message) -> str:  # type: ignore[no-untyped-def]
    assert message.media == "document"
    return docx_text(kit.fake_tg.files[message.raw.record.document["file_id"]].data)


async def _tick(kit, clock, when: datetime) -> None:
    clock.set(when.replace(tzinfo=TZ))
    assert await kit.bot.tick(only=["minutes_tasks"]) == {"minutes_tasks": "ok"}


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_minutes_from_draft_to_docx_tasks_reminded_done_and_checked_next_time(kit, clock):
    kit.fake_tg.limits.enabled = False
    sec = kit.branch.secretary
    an = await kit.join("7101", "Trần Văn An")  # on the test's channel: owns a task
    await kit.join("7102", "Lê Văn Bình", on="telegram")
    await kit.join("7103", "Phạm Cường", on="telegram")
    bot = kit.bot
    lan_id, an_id, binh_id = [await _pid(bot, n) for n in ("Nguyễn Thị Lan", "Trần Văn An", "Lê Văn Bình")]
    m = await _schedule(kit, datetime(2026, 3, 2, 19, 30))
    # Attendance in three states: Lan and An present; Bình said he could not come, with a reason (excused);
    # Cường neither came nor told anyone (absent without reason).
    async with bot.app.db.session() as s:
        s.add(_mark(m.id, lan_id, "present"))
        s.add(_mark(m.id, an_id, "present"))
        s.add(_mark(m.id, binh_id, "excused", "đi công tác"))

    clock.set(datetime(2026, 3, 2, 20, 30, tzinfo=TZ))
    await sec.send("/bienban")
    await sec.expect("Biên bản của buổi sinh hoạt nào?")
    await sec.press("02/03/2026 19:30")
    draft = await sec.expect("Biên bản", "sinh hoạt định kỳ, 19:30 02/03/2026")
    assert "Tổng số đảng viên: 4; có mặt 2, vắng có lý do 1, vắng không lý do 1" in draft.text
    assert "Vắng có lý do: Lê Văn Bình (đi công tác)" in draft.text
    assert "Vắng không lý do: Phạm Cường" in draft.text
    assert "Biểu quyết: không có biểu quyết" in draft.text  # the votes feature is not installed: None
    assert "Tài liệu: Nghi-quyet-thang-3.pdf" in draft.text
    assert "Chưa điểm danh" not in draft.text

    await sec.press("Chủ trì")
    await sec.expect("Đồng chí nào chủ trì")
    await sec.press("Nguyễn Thị Lan")
    await sec.expect("Đã lưu vào bản nháp")
    await sec.expect("Chủ trì: Nguyễn Thị Lan")
    await sec.press("Thư ký")
    await sec.expect("làm thư ký")
    await sec.press("Trần Văn An")
    await sec.expect("Thư ký: Trần Văn An")
    await sec.press("Ý kiến thảo luận")
    await sec.expect("Nhập ý kiến thảo luận")
    await sec.send("Đồng chí An: nhất trí với dự thảo.\nĐồng chí Bình (gửi ý kiến): đề nghị làm sớm.")
    await sec.expect("Ý kiến thảo luận: Đồng chí An: nhất trí")
    await sec.press("Kết luận")
    await sec.expect("Nhập kết luận")
    await sec.send("Chi bộ thống nhất triển khai nghị quyết trong tháng 3.")
    await sec.expect("Kết luận, nghị quyết: Chi bộ thống nhất")
    await sec.press("Giờ kết thúc")
    await sec.expect("kết thúc lúc mấy giờ")
    await sec.send("25h")
    await sec.expect("⚠️")  # an impossible time is refused and asked again
    await sec.send("21h15")
    await sec.expect("Giờ kết thúc: 21:15")

    # A task: the form survives a restart half-way.
    await sec.press("Phân công nhiệm vụ")
    await sec.expect("Nhiệm vụ là gì?")
    await sec.send("Dọn vệ sinh nhà văn hoá thôn")
    await sec.expect("Đồng chí nào thực hiện?")
    await bot.restart()
    await sec.press("Trần Văn An")
    await sec.expect("Hạn hoàn thành?")
    await sec.send("1/3")  # in the past
    await sec.expect("⚠️")
    await sec.send("5/3")
    await sec.expect("Đã giao nhiệm vụ cho đồng chí Trần Văn An, hạn 05/03/2026")
    await an.expect("Nhiệm vụ được giao cho đồng chí", "Dọn vệ sinh nhà văn hoá thôn", "05/03/2026")
    await sec.expect("Phân công nhiệm vụ (1):")
    # A second task for the secretary herself, due sooner; left open, it comes back at the next meeting.
    await sec.press("Phân công nhiệm vụ")
    await sec.expect("Nhiệm vụ là gì?")
    await sec.send("Nộp báo cáo quý I lên đảng uỷ")
    await sec.expect("Đồng chí nào thực hiện?")
    await sec.press("Nguyễn Thị Lan")
    await sec.expect("Hạn hoàn thành?")
    await sec.send("4/3")
    draft = await sec.expect("Phân công nhiệm vụ (2):")

    # Nothing typed is lost: the draft is in the database.
    async with bot.app.db.session() as s:
        row = (await s.execute(select(MeetingMinutes).where(MeetingMinutes.meeting_id == m.id))).scalar_one()
        assert (row.chair_id, row.recorder_id, row.closing_time) == (lan_id, an_id, "21:15")

    # The votes feature answers (a provider registered for the test): the vote goes into the minutes.
    async def votes(s, meeting_id: int) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
        return VOTES if meeting_id == m.id else []

    bot.app.services.deps.ext.providers.meeting_votes = votes
    await sec.press("Xuất biên bản", message=draft)
    text = await _docx(kit, await sec.expect("Biên bản để hoàn chỉnh và ký"))
    for part in (
        "ĐẢNG BỘ XÃ AN BÌNH", "CHI BỘ THÔN 1", "ĐẢNG CỘNG SẢN VIỆT NAM", "Ngày 02 tháng 03 năm 2026", "BIÊN BẢN",
        "Sinh hoạt chi bộ thường kỳ ngày 02/03/2026",
        "I. THỜI GIAN, ĐỊA ĐIỂM", "Thời gian: bắt đầu lúc 19:30 ngày 02/03/2026.", "Địa điểm: Nhà văn hoá thôn 1.",
        "II. THÀNH PHẦN", "Chủ trì: đồng chí Nguyễn Thị Lan.", "Thư ký: đồng chí Trần Văn An.",
        "Tổng số đảng viên của chi bộ: 4; có mặt: 2; vắng có lý do: 1; vắng không lý do: 1.",
        "Vắng có lý do: Lê Văn Bình (đi công tác).", "Vắng không lý do: Phạm Cường.",
        "III. NỘI DUNG", "Chương trình: Triển khai nghị quyết tháng 3", "- Nghi-quyet-thang-3.pdf",
        "IV. Ý KIẾN THẢO LUẬN", "- Đồng chí An: nhất trí với dự thảo.",
        "- Đồng chí Bình (gửi ý kiến): đề nghị làm sớm.",
        "V. BIỂU QUYẾT", f"1 | {VOTES[0][0]} | {VOTES[0][1]}",
        "VI. KẾT LUẬN, NGHỊ QUYẾT", "- Chi bộ thống nhất triển khai nghị quyết trong tháng 3.",
        "VII. PHÂN CÔNG NHIỆM VỤ", "STT | Nhiệm vụ | Người thực hiện | Thời hạn",
        "1 | Dọn vệ sinh nhà văn hoá thôn | Trần Văn An | 05/03/2026",
        "2 | Nộp báo cáo quý I lên đảng uỷ | Nguyễn Thị Lan | 04/03/2026",
        "Buổi sinh hoạt kết thúc lúc 21:15 cùng ngày.", "Biên bản đã được thông qua trước chi bộ.",
        "CHỦ TRÌ (Ký, ghi rõ họ tên) Nguyễn Thị Lan | THƯ KÝ (Ký, ghi rõ họ tên) Trần Văn An",
    ):
        assert part in text, part
    assert text.index("I. THỜI GIAN") < text.index("II. THÀNH PHẦN") < text.index("III. NỘI DUNG") \
        < text.index("IV. Ý KIẾN") < text.index("V. BIỂU QUYẾT") < text.index("VI. KẾT LUẬN") \
        < text.index("VII. PHÂN CÔNG") < text.index("Biên bản đã được thông qua")
    assert "2026-03" not in text and "Việc cần kiểm tra" not in text  # no ISO dates; nothing open before
    assert f"meeting:{m.id}" not in text and "media_key" not in text

    # The member's own tasks.
    await an.send("/viec")
    await an.expect("Nhiệm vụ của đồng chí", "Dọn vệ sinh nhà văn hoá thôn", "hạn 05/03/2026")

    # Reminders: two days before (once), on the day, and a catch-up for a deadline the bot was down on.
    await _tick(kit, clock, datetime(2026, 3, 3, 8, 0))
    await an.expect("Nhắc việc: nhiệm vụ đến hạn vào", "05/03/2026", "Dọn vệ sinh")
    await sec.expect("Nhắc việc", "04/03/2026", "Nộp báo cáo quý I")
    await _tick(kit, clock, datetime(2026, 3, 4, 8, 0))  # the secretary's deadline; An was reminded already
    await sec.expect("Nhiệm vụ đến hạn hôm nay", "04/03/2026")
    await _tick(kit, clock, datetime(2026, 3, 4, 8, 1))
    await an.expect_nothing(within=0.5)
    # The bot is down all of 05/03, An's deadline: the next morning it catches up, once.
    await _tick(kit, clock, datetime(2026, 3, 6, 8, 0))
    await an.expect("Nhiệm vụ đã quá hạn", "05/03/2026", "Dọn vệ sinh")
    await _tick(kit, clock, datetime(2026, 3, 6, 9, 0))
    await an.expect_nothing(within=0.5)
    async with bot.app.db.session() as s:
        keys = sorted((await s.execute(select(OutboxMessage.key).where(OutboxMessage.key.like("minutes_task:%"))))
                      .scalars().all())
    assert len(keys) == len(set(keys)) == 6  # 2 assigned + 2 before + 2 due: no double send

    # An marks the task done from the reminder.
    await an.press("Đã xong")
    await an.expect("Đã ghi nhận", "Dọn vệ sinh nhà văn hoá thôn", "đã hoàn thành")
    await an.send("/viec")
    await an.expect("không có nhiệm vụ nào đang chờ")
    await _tick(kit, clock, datetime(2026, 3, 7, 8, 0))
    await an.expect_nothing(within=0.5)

    # The next meeting: the open task comes back to the secretary the day before, and in its minutes.
    m2 = await _schedule(kit, datetime(2026, 4, 2, 19, 30), topic="Sinh hoạt tháng 4")
    await _tick(kit, clock, datetime(2026, 4, 1, 20, 0))
    notice = await sec.expect("việc cần kiểm tra tại buổi sinh hoạt định kỳ ngày 02/04/2026")
    assert "Nộp báo cáo quý I lên đảng uỷ — Nguyễn Thị Lan, hạn 04/03/2026 (quá hạn)" in notice.text
    assert "Dọn vệ sinh" not in notice.text  # done
    await _tick(kit, clock, datetime(2026, 4, 1, 20, 5))
    clock.set(datetime(2026, 4, 2, 19, 0, tzinfo=TZ))
    await sec.press("Biên bản buổi sinh hoạt này", message=notice)
    draft2 = await sec.expect("Việc cần kiểm tra", "Nộp báo cáo quý I")
    assert "Dọn vệ sinh" not in draft2.text
    assert "Chưa điểm danh: đồng chí điểm danh bằng /diemdanh" in draft2.text  # nobody marked at meeting 2 yet
    assert sum("việc cần kiểm tra" in e.text for e in sec.bot_events(sec.chat_key)) == 1  # told once
    await sec.press("Xuất biên bản")
    text2 = await _docx(kit, await sec.expect("Biên bản để hoàn chỉnh và ký"))
    assert "Việc cần kiểm tra (được phân công tại các buổi sinh hoạt trước)" in text2
    assert "1 | Nộp báo cáo quý I lên đảng uỷ | Nguyễn Thị Lan | 04/03/2026 | quá hạn, chưa xong" in text2
    assert "Không có biểu quyết." in text2  # the provider answers [] for this meeting
    assert "Không có nhiệm vụ được phân công." in text2
    assert "kết thúc lúc …… giờ" in text2 and "Chủ trì: đồng chí …" in text2  # left to fill by hand
    async with bot.app.db.session() as s:
        assert (await s.get(MinutesTask, 1)).done_at is not None
    assert m2.id != m.id


async def test_member_cannot_draft_and_refusals_are_polite(bot, fake_tg, branch, clock):
    from tests.conftest import join_member

    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 7201, "Trần Văn An")
    m = await bot.app.services.get(MeetingScheduling).schedule(
        branch.secretary_actor, branch.branch_id, kind="regular", starts_local=datetime(2026, 3, 2, 19, 30))
    await an.send("/bienban")
    await an.expect("Lệnh này chỉ dành cho bí thư")  # the dispatcher's polite refusal
    # A forged button of the secretary's draft is refused by the service.
    from bot.features.meetings.minutes_callbacks import MinutesExport, MinutesOpen

    await an.send("/viec")
    msg = await an.expect("không có nhiệm vụ nào")
    await an.press_data(MinutesOpen(m.id).pack(), msg)
    await an.expect("không có quyền thực hiện việc này")
    await an.press_data(MinutesExport(m.id).pack(), msg)
    await an.expect("không có quyền thực hiện việc này")
    assert not [x for x in fake_tg.messages_for(an.id) if x.document]
    async with bot.app.db.session() as s:
        assert (await s.execute(select(MeetingMinutes))).scalars().all() == []


def test_reminder_stages():
    due = date(2026, 3, 5)
    stages = {d: reminder_stage(due, date(2026, 3, d)) for d in range(1, 10)}
    assert stages == {1: None, 2: None, 3: "before", 4: "before", 5: "due", 6: "overdue", 7: "overdue",
                      8: "overdue", 9: None}


async def test_task_bad_input_removal_and_another_branch(bot, fake_tg, branch, clock):
    """Bad deadlines and owners are refused politely; a removed task is never reminded; the secretary of
    another branch can neither read the draft nor close a task; the owner's "done" twice is told so."""
    from bot.features.meetings.minutes import MeetingMinutesService, MinutesTasks
    from bot.i18n import use_locale
    from bot.services.errors import DomainError, PermissionDenied
    from tests.conftest import join_member, seed_branch

    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 7301, "Trần Văn An")
    an_id = await _pid(bot, "Trần Văn An")
    other = await seed_branch(bot, fake_tg, org_name="Đảng bộ xã Bình Minh", branch_name="Chi bộ thôn 9",
                              secretary_id=7399, secretary_name="Đỗ Văn Khác")
    svc = bot.app.services.get(MeetingMinutesService)
    m = await bot.app.services.get(MeetingScheduling).schedule(
        branch.secretary_actor, branch.branch_id, kind="regular", starts_local=datetime(2026, 3, 2, 19, 30))
    sec = branch.secretary_actor
    for text, owner, due, said in (
        ("", an_id, date(2026, 3, 5), "Nhiệm vụ đang trống"),
        ("Việc", an_id, date(2026, 3, 1), "Hạn hoàn thành phải từ hôm nay"),
        ("Việc", an_id, date(2027, 6, 1), "Hạn hoàn thành phải từ hôm nay"),
        ("Việc", other.secretary_actor.person_id, date(2026, 3, 5), "không phải đảng viên của chi bộ"),
    ):
        with use_locale("vi"), pytest.raises(DomainError) as err:
            await svc.add_task(sec, m.id, text, owner, due)
        assert said in err.value.message, (said, err.value.message)
    with pytest.raises(PermissionDenied):
        await svc.view(other.secretary_actor, m.id)
    with pytest.raises(PermissionDenied):
        await svc.export(other.secretary_actor, m.id)
    kept = await svc.add_task(sec, m.id, "Chuẩn bị hội trường", an_id, date(2026, 3, 4))
    dropped = await svc.add_task(sec, m.id, "Việc giao nhầm", an_id, date(2026, 3, 4))
    assert await svc.remove_task(sec, dropped.id) == m.id
    with pytest.raises(PermissionDenied):
        await bot.app.services.get(MinutesTasks).done(other.secretary_actor, kept.id)
    clock.set(datetime(2026, 3, 3, 8, 0, tzinfo=TZ))
    await bot.tick(only=["minutes_tasks"])
    reminder = await an.expect("Nhắc việc", "Chuẩn bị hội trường")
    assert "Việc giao nhầm" not in reminder.text
    await an.press("Đã xong", message=reminder)
    await an.expect("Đã ghi nhận")
    await an.press_data(f"mn.done:{kept.id}", reminder)
    await an.expect("đã được đánh dấu hoàn thành")
    body, name, _branch = await svc.export(sec, m.id)
    assert name == "bien-ban-02-03-2026.docx"
    text = docx_text(body)
    assert "Việc giao nhầm" not in text and "1 | Chuẩn bị hội trường | Trần Văn An | 04/03/2026" in text
