"""Issue #15, meetings: cancel or move a meeting (each invitee told once, no reminder for the old time), the
bulk attendance sheet in three states for 40 members, repeated absences flagged at 2 and 3, and the bare
check-in code during the meeting only. Chat-style, on Telegram and on Zalo (tests/channels.py)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from bot.features.meetings.attendance import MeetingAttendance
from bot.features.meetings.models import Attendance, Meeting, MeetingRsvp
from bot.features.meetings.notices import MeetingNotices
from bot.features.meetings.scheduling import MeetingScheduling
from bot.messages import UserRef
from bot.services.identity import IdentityService
from bot.services.org import OrgService
from tests.conftest import ADMIN_TG_ID, TZ
from tests.secretary.helpers import seed_members

BOTH = pytest.mark.parametrize("channel", ["telegram", "zalo"])
MEETING_AT = datetime(2026, 3, 5, 19, 30)  # local; the clock starts on Monday 2026-03-02 09:00


@pytest.fixture(autouse=True)
def _no_rate_limits(fake_tg) -> None:
    fake_tg.limits.enabled = False


def _count(user, fragment: str) -> int:
    return sum(1 for m in user.bot_events(user.chat_key) if fragment in m.text and not m.edited)


async def _meeting(kit, starts_local: datetime = MEETING_AT, kind: str = "regular", notice: bool = True) -> Meeting:
    app = kit.bot.app
    m = await app.services.get(MeetingScheduling).schedule(
        kit.branch.secretary_actor, kit.branch.branch_id, kind=kind, starts_local=starts_local, place="Nhà văn hoá")
    if notice:
        await app.services.get(MeetingNotices).send_notice(kit.branch.secretary_actor, m.id)
    return m


async def _choose_meeting(kit, label: str) -> None:
    sec = kit.branch.secretary
    await sec.send("/doihop")
    await sec.expect("muốn huỷ hoặc dời buổi sinh hoạt nào")
    await sec.press(label)
    await sec.expect("Đồng chí muốn làm gì?")


@BOTH
async def test_cancel_tells_each_invitee_once_and_no_reminder_follows(kit, clock):
    an = await kit.join("5701", "Trần Văn An")
    binh = await kit.join("5702", "Lê Bình")
    m = await _meeting(kit)
    await an.expect("Giấy mời sinh hoạt")
    await binh.expect("Giấy mời sinh hoạt")
    sec = kit.branch.secretary
    await _choose_meeting(kit, "Thứ Năm, 05/03/2026")
    await sec.press("Huỷ buổi sinh hoạt")
    card = await sec.expect("Huỷ buổi sinh hoạt định kỳ lúc 19:30, Thứ Năm, 05/03/2026?",
                            "Mọi đảng viên đã được mời sẽ được báo một lần")
    await an.expect_nothing(0.2)  # nothing goes out before the confirmation
    await sec.press("Huỷ và báo đảng viên", message=card)
    await sec.expect("Đã huỷ buổi sinh hoạt", "Sẽ báo cho 3 đảng viên")  # An, Bình and the secretary
    for user in (an, binh):
        await user.expect("Huỷ buổi sinh hoạt", "19:30, Thứ Năm, 05/03/2026", "sẽ không diễn ra")
    # The same card pressed again (a retry of its button), and the whole flow again: nothing more is sent.
    await sec.press_data(next(d for label, d in card.button_data if "Huỷ và báo" in label), card)
    await sec.expect("đồng chí đã trả lời rồi")
    await sec.send("/doihop")
    await sec.expect("Chưa có buổi sinh hoạt sắp tới nào")
    with pytest.raises(Exception, match="đã bị huỷ"):
        await kit.bot.app.services.get(MeetingNotices).send_notice(kit.branch.secretary_actor, m.id)
    # The day before the old time: no RSVP reminder for a cancelled meeting.
    clock.set(datetime(2026, 3, 4, 20, 0, tzinfo=TZ))
    await kit.bot.tick(only=["secretary_reminders"])
    await an.expect_nothing(0.3)
    await binh.expect_nothing(0.1)
    for user in (an, binh):
        assert _count(user, "Huỷ buổi sinh hoạt") == 1
        assert _count(user, "chưa cho biết") == 0
    # At the old time the code no longer checks anyone in: the member is told why.
    clock.set(datetime(2026, 3, 5, 19, 35, tzinfo=TZ))
    await an.send(m.checkin_code)
    await an.expect("Buổi sinh hoạt này đã bị huỷ")
    async with kit.bot.app.db.session() as s:
        assert (await s.execute(select(Attendance))).scalars().all() == []


@BOTH
async def test_move_tells_each_invitee_once_keeps_rsvps_and_reminds_for_the_new_time_only(kit, clock):
    an = await kit.join("5711", "Trần Văn An")
    binh = await kit.join("5712", "Lê Bình")
    m = await _meeting(kit)
    await an.expect("Giấy mời sinh hoạt")
    await an.press("Tôi sẽ dự")
    await an.expect("đồng chí sẽ dự")
    await binh.expect("Giấy mời sinh hoạt")
    sec = kit.branch.secretary
    await _choose_meeting(kit, "Thứ Năm, 05/03/2026")
    await sec.press("Dời sang thời gian khác")
    await sec.expect("Hiện tại: 19:30, Thứ Năm, 05/03/2026", "Dời sang ngày nào?")
    await sec.send("07/03")
    await sec.expect("Thứ Bảy, 07/03/2026", "Lúc mấy giờ?")
    await sec.send("20h")
    card = await sec.expect(
        "Dời buổi sinh hoạt định kỳ từ 19:30, Thứ Năm, 05/03/2026 sang 20:00, Thứ Bảy, 07/03/2026?")
    await sec.press("Dời và báo đảng viên", message=card)
    await sec.expect("Đã dời buổi sinh hoạt sang 20:00, Thứ Bảy, 07/03/2026", "Sẽ báo cho 3 đảng viên",
                     "vẫn được giữ")
    for user in (an, binh):
        moved = await user.expect("Dời buổi sinh hoạt",
                                  "từ 19:30, Thứ Năm, 05/03/2026 sang 20:00, Thứ Bảy, 07/03/2026")
        assert moved.buttons == ["✅ Tôi sẽ dự", "🙏 Xin vắng"]
    await sec.press_data(next(d for label, d in card.button_data if "Dời và báo" in label), card)  # a retry
    await sec.expect("đồng chí đã trả lời rồi")
    async with kit.bot.app.db.session() as s:
        row = await s.get(Meeting, m.id)
        rsvps = (await s.execute(select(MeetingRsvp))).scalars().all()
    assert row is not None and row.moves == 1 and row.moved_from is not None
    assert row.starts_at.astimezone(TZ) == datetime(2026, 3, 7, 20, 0, tzinfo=TZ)
    assert [(r.attending) for r in rsvps] == [True]  # An's answer carried over
    # The day before the OLD time: no reminder. The day before the new time: Bình (no answer) once.
    clock.set(datetime(2026, 3, 4, 20, 0, tzinfo=TZ))
    await kit.bot.tick(only=["secretary_reminders"])
    await binh.expect_nothing(0.3)
    clock.set(datetime(2026, 3, 6, 20, 30, tzinfo=TZ))
    await kit.bot.tick(only=["secretary_reminders"])
    await binh.expect("chưa cho biết có dự sinh hoạt không", "07/03/2026")
    await kit.bot.tick(only=["secretary_reminders"])
    await an.expect_nothing(0.3)
    for user in (an, binh):
        assert _count(user, "Dời buổi sinh hoạt") == 1
        assert _count(user, "05/03/2026") == 2  # the first notice and the move notice; no reminder for it
    assert _count(an, "chưa cho biết") == 0 and _count(binh, "chưa cho biết") == 1
    # The code works around the new time, not the old one.
    clock.set(datetime(2026, 3, 5, 19, 35, tzinfo=TZ))
    await an.send(m.checkin_code)
    await an.expect("Mã điểm danh chỉ dùng được từ 19:30 đến 22:00 ngày 07/03/2026")
    clock.set(datetime(2026, 3, 7, 20, 5, tzinfo=TZ))
    await an.send(m.checkin_code)
    await an.expect("Đồng chí đã điểm danh tại buổi sinh hoạt định kỳ ngày 07/03/2026")


async def _zalo_deputy(kit):
    """On Zalo the sheet is typed: a deputy secretary on Zalo (the kit's secretary is on Telegram)."""
    app = kit.bot.app
    admin = await app.services.get(IdentityService).resolve(
        UserRef("telegram", str(ADMIN_TG_ID), "Quản trị"), str(ADMIN_TG_ID))
    code = await app.services.get(OrgService).create_code(admin, kind="deputy", branch_id=kit.branch.branch_id)
    dep = kit.zalo_user("5799", "Phó Bí Thư")
    await dep.send(code.code)
    await dep.expect("phó bí thư")
    return dep


@BOTH
async def test_bulk_attendance_for_forty_members_with_exceptions_and_reasons(kit, clock):
    app = kit.bot.app
    manager = await _zalo_deputy(kit) if kit.channel == "zalo" else kit.branch.secretary
    people = await seed_members(kit.bot, kit.fake_tg, kit.branch.branch_id, 20100, 40)
    m = await _meeting(kit, notice=False)
    ids = app.services.get(IdentityService)
    apologised = await ids.actor_for_person(people[4])  # "Đảng viên 0005"
    assert apologised is not None
    await app.services.get(MeetingNotices).rsvp(apologised, m.id, False, "Đi công tác")
    _m, lines = await app.services.get(MeetingAttendance).sheet(kit.branch.secretary_actor, m.id)
    total = len(lines)
    assert total >= 41
    number = {ln.person_id: ln.n for ln in lines}
    n = [number[people[i - 1]] for i in (3, 5, 7, 9, 12)]  # members 0003, 0005, 0007, 0009, 0012
    clock.set(datetime(2026, 3, 5, 19, 45, tzinfo=TZ))
    await manager.send("/diemdanh")
    await manager.expect("Buổi sinh hoạt nào?")
    await manager.press("05/03 19:30")
    sheet = await manager.expect("Điểm danh", f"Có mặt 0/{total}", f"chưa đánh dấu {total}",
                                 "Gõ số để đánh dấu vắng không lý do, ví dụ “3 7 12”")
    if kit.channel == "telegram":
        assert sum(1 for b in sheet.buttons if "Đảng viên" in b) == 40  # one screen, one button per name
        assert len(sheet.buttons) <= 100
        await manager.press("Tất cả có mặt", message=sheet)
        edited = await manager.expect(f"Có mặt {total}/{total}")
        assert edited.edited  # the same message, edited in place
    else:
        # The whole numbered list, the apology's reason next to the name.
        assert f"{n[1]}. ⬜ Đảng viên 0005 (−) — đã xin vắng: Đi công tác" in sheet.text
        assert f"{n[0]}. ⬜ Đảng viên 0003" in sheet.text
        assert sheet.buttons == []  # typed: numbers are the members, never a numbered choice
        await manager.send("tất cả có mặt")
        await manager.expect(f"Có mặt {total}/{total}")
    await manager.send(f"{n[0]} {n[2]} {n[4]}")
    await manager.expect("Vắng không lý do: Đảng viên 0003, Đảng viên 0007, Đảng viên 0012",
                         f"Có mặt {total - 3}/{total}", "vắng không lý do 3")
    await manager.send(f"lý do {n[1]}")  # the reason given with the apology is taken
    await manager.expect("Vắng có lý do: Đảng viên 0005", f"{n[1]}. 🟡 Đảng viên 0005 (−) — lý do: Đi công tác")
    await manager.send(f"ly do {n[3]}: Ốm nằm viện")
    await manager.expect("Vắng có lý do: Đảng viên 0009", "lý do: Ốm nằm viện")
    await manager.send("99")
    await manager.expect(f"Danh sách không có số 99 (từ 1 đến {total})")
    await manager.send(f"có mặt {n[4]}")  # a correction
    await manager.expect("Có mặt: Đảng viên 0012", f"Có mặt {total - 4}/{total}")
    await manager.send("xong")
    await manager.expect(f"Đã lưu điểm danh: có mặt {total - 4}/{total}, vắng có lý do 2, vắng không lý do 2")
    async with app.db.session() as s:
        rows = {a.person_id: a for a in (await s.execute(select(Attendance))).scalars().all()}
    assert len(rows) == total
    assert all(a.present == (a.status == "present") for a in rows.values())
    got = {i: (rows[people[i - 1]].status, rows[people[i - 1]].reason) for i in (3, 5, 7, 9, 12)}
    assert got == {3: ("absent", None), 5: ("excused", "Đi công tác"), 7: ("absent", None),
                   9: ("excused", "Ốm nằm viện"), 12: ("present", None)}
    provider = app.services.deps.ext.providers.present_at_meeting
    assert provider is not None
    async with app.db.session() as s:
        present = await provider(s, m.id)
    assert len(present) == total - 4 and people[2] not in present and people[11] in present
    # A sheet left open for hours does not take a later message as marks.
    await manager.send("/diemdanh")
    await manager.expect("Buổi sinh hoạt nào?")
    await manager.press("05/03 19:30")
    await manager.expect("Điểm danh", f"Có mặt {total - 4}/{total}")
    clock.set(datetime(2026, 3, 6, 8, 0, tzinfo=TZ))
    await manager.send(f"{n[4]}")
    await manager.expect("Bảng điểm danh đã mở quá lâu nên đã được đóng")
    async with app.db.session() as s:
        row = (await s.execute(select(Attendance).where(Attendance.person_id == people[11]))).scalar_one()
    assert row.status == "present"


async def test_repeated_unexcused_absences_warn_at_two_and_flag_at_three_once_each(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    app = bot.app
    clock.set(datetime(2026, 1, 1, 9, 0, tzinfo=TZ))
    (an,) = await seed_members(bot, fake_tg, branch.branch_id, 20300, 1)
    sched = app.services.get(MeetingScheduling)
    sec_actor = branch.secretary_actor

    async def meeting(month: int, kind: str = "regular") -> int:
        m = await sched.schedule(sec_actor, branch.branch_id, kind=kind, starts_local=datetime(2026, month, 5, 19, 30))
        assert m.id is not None
        return m.id

    jan, feb, mar, apr, may = [await meeting(mo) for mo in (1, 2, 3, 4, 5)]
    thematic = await meeting(3, "thematic")
    clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=TZ))
    att = app.services.get(MeetingAttendance)
    sec = branch.secretary

    def flags(fragment: str) -> int:
        return sum(1 for m in fake_tg.messages_for(sec.id) if fragment in m.visible)

    await att.set_marks(sec_actor, jan, [an], "absent")
    await att.set_marks(sec_actor, apr, [an], "excused", "Đi viện")  # excused never counts
    await att.set_marks(sec_actor, thematic, [an], "absent")  # not a monthly meeting
    await sec.expect_nothing(0.3)
    await att.set_marks(sec_actor, feb, [an], "absent")
    warn = await sec.expect("Đảng viên 0001 đã vắng không lý do 2 buổi sinh hoạt định kỳ trong năm 2026",
                            "01/2026, 02/2026", "Hệ thống chỉ nêu", "chi bộ xem xét, đề nghị",
                            "cấp uỷ có thẩm quyền quyết định", "Quy định 24-QĐ/TW", "294-QĐ/TW",
                            "còn phải kiểm tra lại")
    assert "xoá tên" not in warn.text
    await att.set_marks(sec_actor, feb, [an], "absent")  # marked again: no second warning
    await sec.expect_nothing(0.3)
    await att.set_marks(sec_actor, mar, [an], "absent")
    await sec.expect("🚩", "Đảng viên 0001 đã vắng không lý do 3 buổi", "01/2026, 02/2026, 03/2026",
                     "có thể xem xét đề nghị xoá tên", "cấp uỷ có thẩm quyền quyết định", "294-QĐ/TW")
    await att.set_marks(sec_actor, may, [an], "absent")  # a fourth: both thresholds already told
    await sec.expect_nothing(0.3)
    assert flags("vắng không lý do 2 buổi") == 1 and flags("vắng không lý do 3 buổi") == 1
    assert flags("vắng không lý do 4 buổi") == 0


@BOTH
async def test_bare_code_checks_in_during_the_meeting_only(kit, clock):
    an = await kit.join("5721", "Trần Văn An")
    m = await _meeting(kit)
    await an.expect("Giấy mời sinh hoạt")
    clock.set(datetime(2026, 3, 5, 12, 0, tzinfo=TZ))  # the same day, hours before
    await an.send(m.checkin_code)
    await an.expect("Mã điểm danh chỉ dùng được từ 19:00 đến 21:30 ngày 05/03/2026")
    clock.set(datetime(2026, 3, 5, 19, 50, tzinfo=TZ))
    await an.send(m.checkin_code)
    await an.expect("Đồng chí đã điểm danh tại buổi sinh hoạt định kỳ ngày 05/03/2026")
    clock.set(datetime(2026, 3, 5, 21, 45, tzinfo=TZ))  # after the window
    await an.send(m.checkin_code)
    await an.expect("Mã điểm danh chỉ dùng được từ 19:00 đến 21:30 ngày 05/03/2026")
    async with kit.bot.app.db.session() as s:
        rows = (await s.execute(select(Attendance))).scalars().all()
    assert [(r.status, r.source, r.present) for r in rows] == [("present", "code", True)]
