"""Checking in at a meeting with its code: the code cannot be guessed from home (hardening item 8).

Wrong codes are limited per person and per meeting, the code works only around the meeting, new meetings
get 6 digits, and the secretary can issue a new code. The races are in test_meeting_checkin_race.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from bot.features.meetings.attendance import MEETING_FAILURE_LIMIT, PERSON_FAILURE_LIMIT, MeetingAttendance
from bot.features.meetings.models import Attendance, CheckinAttempt, Meeting
from bot.features.meetings.scheduling import MeetingScheduling
from bot.services.errors import DomainError
from bot.services.identity import IdentityService
from storage.models.people import Identity
from tests.conftest import TZ, join_member
from tests.secretary.helpers import seed_members

MEETING_AT = datetime(2026, 3, 2, 19, 30)  # local; the fixture's clock is 2026-03-02 09:00


async def _schedule(bot, branch, starts_local: datetime = MEETING_AT) -> Meeting:
    return await bot.app.services.get(MeetingScheduling).schedule(
        branch.secretary_actor, branch.branch_id, kind="regular", starts_local=starts_local
    )


def _wrong(code: str, k: int) -> str:
    """A code of the same length that is not ``code``."""
    n = len(code)
    return f"{(int(code) + k) % 10**n:0{n}d}"


async def _present(bot, meeting_id: int) -> set[int]:
    async with bot.app.db.session() as s:
        rows = await s.execute(
            select(Attendance.person_id).where(Attendance.meeting_id == meeting_id, Attendance.present.is_(True))
        )
        return set(rows.scalars().all())


async def _person_id(bot, uid: int) -> int:
    async with bot.app.db.session() as s:
        return (
            await s.execute(
                select(Identity.person_id).where(Identity.channel == "telegram", Identity.external_id == str(uid))
            )
        ).scalar_one()


async def test_guessing_the_code_in_chat_locks_the_guesser_only(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5401, "Trần Văn An")
    binh = await join_member(bot, fake_tg, branch, 5402, "Lê Bình")
    m = await _schedule(bot, branch)
    assert len(m.checkin_code) == 6 and m.checkin_code.isdigit()  # new meetings: 6 digits
    clock.set(datetime(2026, 3, 2, 19, 40, tzinfo=TZ))
    await an.send("/comat ١٢٣٤٥٦")  # digits of another script are no code (and cost no try)
    await an.expect("Vui lòng gửi mã bí thư đọc")
    for k in range(1, PERSON_FAILURE_LIMIT):
        await an.send(f"/comat {_wrong(m.checkin_code, k)}")
        await an.expect("Mã điểm danh không khớp", f"còn {PERSON_FAILURE_LIMIT - k} lần thử")
    await an.send(f"/comat {_wrong(m.checkin_code, PERSON_FAILURE_LIMIT)}")
    await an.expect("đã nhập sai mã điểm danh 5 lần", "đề nghị bí thư đánh dấu có mặt")
    # Locked: even the right code is refused now, and the refusal costs nothing more.
    await an.send(f"/comat {m.checkin_code}")
    await an.expect("đã nhập sai mã điểm danh 5 lần")
    an_id, binh_id = await _person_id(bot, 5401), await _person_id(bot, 5402)
    assert an_id not in await _present(bot, m.id)
    # Another member is not affected by An's lock.
    await binh.send(f"/comat {m.checkin_code}")
    await binh.expect("đã điểm danh tại buổi sinh hoạt định kỳ ngày 02/03/2026")
    assert await _present(bot, m.id) == {binh_id}
    async with bot.app.db.session() as s:
        rows = (await s.execute(select(CheckinAttempt))).scalars().all()
        meeting = await s.get(Meeting, m.id)
    assert {(r.person_id, r.failures) for r in rows} == {(an_id, PERSON_FAILURE_LIMIT), (binh_id, 0)}
    assert meeting is not None and meeting.checkin_failures == PERSON_FAILURE_LIMIT
    # The lock is in the database: it survives a restart.
    await bot.restart()
    await an.send(f"/comat {m.checkin_code}")
    await an.expect("đã nhập sai mã điểm danh 5 lần")
    assert an_id not in await _present(bot, m.id)


async def test_code_works_only_around_the_meeting(bot, fake_tg, branch, clock):
    fake_tg.limits.enabled = False
    an = await join_member(bot, fake_tg, branch, 5411, "Trần Văn An")
    binh = await join_member(bot, fake_tg, branch, 5412, "Lê Bình")
    m = await _schedule(bot, branch)
    window = "Mã điểm danh chỉ dùng được từ 19:00 đến 21:30 ngày 02/03/2026"
    # The morning of the meeting (the old rule: from an hour before) and just before the window opens.
    for at in (datetime(2026, 3, 2, 9, 5, tzinfo=TZ), datetime(2026, 3, 2, 18, 59, tzinfo=TZ)):
        clock.set(at)
        await an.send(f"/comat {m.checkin_code}")
        await an.expect(window)
        # A wrong code gets the same answer: outside the window nothing tells a right code from a wrong one.
        await an.send(f"/comat {_wrong(m.checkin_code, 1)}")
        await an.expect(window)
    clock.set(datetime(2026, 3, 2, 21, 31, tzinfo=TZ))  # the old rule accepted it until 01:30
    await binh.send(f"/comat {m.checkin_code}")
    await binh.expect(window)
    assert await _present(bot, m.id) == set()
    async with bot.app.db.session() as s:
        assert (await s.execute(select(CheckinAttempt))).scalars().all() == []  # nothing to count outside
    clock.set(datetime(2026, 3, 2, 19, 0, tzinfo=TZ))
    await an.send(f"/comat {m.checkin_code}")
    await an.expect("đã điểm danh tại buổi sinh hoạt định kỳ ngày 02/03/2026")
    clock.set(datetime(2026, 3, 2, 21, 30, tzinfo=TZ))
    await binh.send(f"/comat {m.checkin_code}")
    await binh.expect("đã điểm danh")
    assert len(await _present(bot, m.id)) == 2
    # No meeting near at all: a clear answer, not the window of a meeting far away.
    clock.set(datetime(2026, 3, 20, 19, 30, tzinfo=TZ))
    await an.send(f"/comat {m.checkin_code}")
    await an.expect("Hiện không có buổi sinh hoạt nào của chi bộ đang mở điểm danh")


async def test_too_many_wrong_codes_turn_the_code_off_and_the_secretary_issues_a_new_one(
    bot, fake_tg, branch, clock
):
    fake_tg.limits.enabled = False
    sec = branch.secretary
    chi = await join_member(bot, fake_tg, branch, 5421, "Phạm Chi")
    m = await _schedule(bot, branch)
    # Many members each try a few wrong codes (never reaching their own limit) until the meeting's is reached.
    per_person = PERSON_FAILURE_LIMIT - 1
    guessers = await seed_members(bot, fake_tg, branch.branch_id, 7000, -(-MEETING_FAILURE_LIMIT // per_person))
    ids = bot.app.services.get(IdentityService)
    svc = bot.app.services.get(MeetingAttendance)
    clock.set(datetime(2026, 3, 2, 19, 45, tzinfo=TZ))
    tries = 0
    for pid in guessers:
        actor = await ids.actor_for_person(pid)
        for k in range(per_person):
            if tries == MEETING_FAILURE_LIMIT:
                break
            try:
                await svc.check_in(actor, _wrong(m.checkin_code, 1 + k))
            except DomainError:
                tries += 1
    assert tries == MEETING_FAILURE_LIMIT
    # The code is off: even the right code is refused, with the reason and what to do.
    await chi.send(f"/comat {m.checkin_code}")
    await chi.expect("Mã điểm danh của buổi sinh hoạt này đã bị khoá", "hỏi bí thư mã mới")
    # The secretary is told at once (not held for quiet hours: the meeting is on), with the button.
    await bot.tick()
    alert = await sec.expect("Mã điểm danh của buổi sinh hoạt định kỳ lúc 19:30 02/03/2026 đã bị khoá")
    assert alert.buttons == ["🔄 Đổi mã điểm danh"]
    await sec.press("Đổi mã điểm danh", message=alert)
    fresh = await sec.expect("Mã điểm danh mới")
    async with bot.app.db.session() as s:
        meeting = await s.get(Meeting, m.id)
    assert meeting is not None and meeting.checkin_code != m.checkin_code and len(meeting.checkin_code) == 6
    assert meeting.checkin_code in fresh.text
    assert (meeting.checkin_failures, meeting.checkin_disabled_at) == (0, None)
    await chi.send(f"/comat {m.checkin_code}")  # the old code no longer works
    await chi.expect("Mã điểm danh không khớp")
    await chi.send(f"/comat {meeting.checkin_code}")
    await chi.expect("đã điểm danh tại buổi sinh hoạt định kỳ")


async def test_new_code_from_the_sheet_invalidates_the_old_one_and_old_four_digit_codes_still_work(
    bot, fake_tg, branch, clock
):
    fake_tg.limits.enabled = False
    sec = branch.secretary
    an = await join_member(bot, fake_tg, branch, 5431, "Trần Văn An")
    binh = await join_member(bot, fake_tg, branch, 5432, "Lê Bình")
    m = await _schedule(bot, branch)
    old = m.checkin_code
    await sec.send("/diemdanh")
    await sec.expect("Buổi sinh hoạt nào?")
    await sec.press("02/03 19:30")
    sheet = await sec.expect("Điểm danh", f"Mã điểm danh: {old}")
    await sec.press("Đổi mã điểm danh", message=sheet)
    await sec.expect("Mã điểm danh mới", "Mã cũ không còn dùng được")
    async with bot.app.db.session() as s:
        new = (await s.get(Meeting, m.id)).checkin_code  # type: ignore[union-attr]
    assert new != old and len(new) == 6
    clock.set(datetime(2026, 3, 2, 19, 35, tzinfo=TZ))
    await an.send(f"/comat {old}")
    await an.expect("Mã điểm danh không khớp")
    await an.send(f"/comat {new}")
    await an.expect("đã điểm danh")
    # A member cannot press the secretary's button (a forged press changes nothing).
    await binh.send("/comat")
    own = await binh.expect("Vui lòng gửi mã bí thư đọc", "/comat 123456")
    await binh.press_data(f"mt.code:{m.id}", own)
    await binh.expect("không có quyền")
    async with bot.app.db.session() as s:
        assert (await s.get(Meeting, m.id)).checkin_code == new  # type: ignore[union-attr]
    # A meeting scheduled before this change keeps its 4-digit code, and it still works.
    second = await _schedule(bot, branch, datetime(2026, 3, 3, 19, 30))
    async with bot.app.db.session() as s:
        await s.execute(update(Meeting).where(Meeting.id == second.id).values(checkin_code="0427"))
    clock.set(datetime(2026, 3, 3, 19, 20, tzinfo=TZ))
    await binh.send("/comat 0427")
    await binh.expect("đã điểm danh tại buổi sinh hoạt định kỳ ngày 03/03/2026")
