"""Meetings: attendance — the secretary's roster and marks, and members checking in with the meeting's code.

The code is short, so guessing it is bounded: it works only around the meeting (``checkin_window``), each
person has ``PERSON_FAILURE_LIMIT`` wrong tries per meeting and the meeting ``MEETING_FAILURE_LIMIT`` in
all (then the code is turned off and the secretary told). Attempts live in the database, so restarts and
several web workers share them, and each try is reserved with one guarded UPDATE before the code is
compared: parallel tries can never pass the limits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import as_utc
from bot.features.meetings.absences import flag_absences
from bot.features.meetings.access import MeetingUseCase
from bot.features.meetings.callbacks import NewCheckinCode
from bot.features.meetings.models import Attendance, AttendanceStatus, CheckinAttempt, Meeting, MeetingRsvp
from bot.features.meetings.rates import expected_members
from bot.features.meetings.scheduling import kind_label, new_checkin_code
from bot.i18n import _
from bot.messages import Button, Reply, esc
from bot.services import audit
from bot.services.actor import Actor
from bot.services.directory import manager_ids
from bot.services.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from bot.services.notify import notify
from bot.text import branch_title
from storage.models.org import Branch
from storage.models.people import Person

STATUSES = tuple(st.value for st in AttendanceStatus)
CYCLE = {
    AttendanceStatus.PRESENT.value: AttendanceStatus.EXCUSED.value,
    AttendanceStatus.EXCUSED.value: AttendanceStatus.ABSENT.value,
    AttendanceStatus.ABSENT.value: AttendanceStatus.PRESENT.value,
}


@dataclass(frozen=True, slots=True)
class SheetLine:
    """One member on the bulk attendance sheet."""

    n: int  # the member's number on the sheet (1..)
    person_id: int
    name: str
    said: bool | None  # the RSVP: will attend, apologised, or no answer
    rsvp_reason: str | None  # the reason given when apologising
    status: str | None  # present | excused | absent, None before any mark
    reason: str | None  # an excused absence's reason


CHECKIN_BEFORE = timedelta(minutes=30)  # members may check in from half an hour before the start...
CHECKIN_AFTER = timedelta(hours=2)  # ...until two hours after it (a meeting has no end time)
PERSON_FAILURE_LIMIT = 5  # wrong codes one person may type for one meeting
MEETING_FAILURE_LIMIT = 20  # wrong codes typed by everyone for one meeting before the code is turned off


def checkin_window(m: Meeting) -> tuple[datetime, datetime]:
    """When the meeting's code is accepted (aware UTC)."""
    start = as_utc(m.starts_at)
    return start - CHECKIN_BEFORE, start + CHECKIN_AFTER


class MeetingAttendance(MeetingUseCase):
    async def _mark(
        self, s: AsyncSession, m: Meeting, person_id: int, present: bool, source: str,
        status: str | None = None, reason: str | None = None,
    ) -> None:
        """One member's mark; ``present`` and ``status`` always agree (contracts §2)."""
        row = (
            await s.execute(
                select(Attendance).where(Attendance.meeting_id == m.id, Attendance.person_id == person_id)
            )
        ).scalar_one_or_none()
        row = row or Attendance(meeting_id=m.id, person_id=person_id)
        status = status or (AttendanceStatus.PRESENT.value if present else AttendanceStatus.ABSENT.value)
        row.status, row.present = status, status == AttendanceStatus.PRESENT.value
        row.reason = ((reason or "").strip()[:500] or None) if status == AttendanceStatus.EXCUSED.value else None
        row.source, row.at = source, self.deps.clock.now()
        s.add(row)

    async def sheet(self, actor: Actor, meeting_id: int) -> tuple[Meeting, list[SheetLine]]:
        """The bulk sheet: every member expected, by name, numbered from 1 (the numbers typed on Zalo)."""
        async with self.deps.db.session() as s:
            m, _branch = await self._meeting(s, actor, meeting_id, "meeting.attendance")
            return m, await self._sheet_lines(s, m)

    async def _sheet_lines(self, s: AsyncSession, m: Meeting) -> list[SheetLine]:
        expected = await expected_members(s, m)
        people = (await s.execute(
            select(Person).where(Person.id.in_(expected)).order_by(Person.display_name, Person.id))).scalars().all()
        rsvps = {r.person_id: r for r in (await s.execute(
            select(MeetingRsvp).where(MeetingRsvp.meeting_id == m.id))).scalars().all()}
        marks = {a.person_id: a for a in (await s.execute(
            select(Attendance).where(Attendance.meeting_id == m.id))).scalars().all()}
        lines = []
        for i, p in enumerate(people, start=1):
            r, a = rsvps.get(p.id), marks.get(p.id)
            lines.append(SheetLine(i, p.id, p.display_name, None if r is None else r.attending,
                                   r.reason if r is not None else None,
                                   a.status if a is not None else None, a.reason if a is not None else None))
        return lines

    async def mark_all_present(self, actor: Actor, meeting_id: int) -> int:
        """"Tất cả có mặt": every member not yet marked, or marked present, is present; the exceptions the
        secretary already marked (excused, absent) stay. Returns how many were marked now."""
        async with self.deps.db.session() as s:
            m, _branch = await self._meeting(s, actor, meeting_id, "meeting.attendance")
            n = 0
            for line in await self._sheet_lines(s, m):
                if line.status is None:
                    await self._mark(s, m, line.person_id, True, "secretary")
                    n += 1
            return n

    async def set_marks(
        self, actor: Actor, meeting_id: int, person_ids: list[int], status: str, reason: str | None = None
    ) -> list[SheetLine]:
        """Mark these members present, excused (with ``reason``, else the reason they gave when they
        apologised) or absent. Members reaching an absence threshold are flagged to the secretary."""
        if status not in STATUSES:
            raise InvalidInput(_("Unknown attendance mark."))
        async with self.deps.db.session() as s:
            m, branch = await self._meeting(s, actor, meeting_id, "meeting.attendance")
            lines = {line.person_id: line for line in await self._sheet_lines(s, m)}
            if not person_ids or any(pid not in lines for pid in person_ids):
                raise NotFound(_("That person is not a member of this branch."))
            for pid in dict.fromkeys(person_ids):
                why = reason if status == AttendanceStatus.EXCUSED.value else None
                if status == AttendanceStatus.EXCUSED.value and not (why or "").strip():
                    why = lines[pid].rsvp_reason  # prefilled from the apology
                await self._mark(s, m, pid, status == AttendanceStatus.PRESENT.value, "secretary", status, why)
            await s.flush()
            if status == AttendanceStatus.ABSENT.value:
                await flag_absences(s, self.deps, branch, m, person_ids)
            return [line for line in await self._sheet_lines(s, m) if line.person_id in person_ids]

    async def cycle(self, actor: Actor, meeting_id: int, person_id: int) -> str:
        """One tap on a name: not marked → present → excused → absent → present."""
        async with self.deps.db.session() as s:
            m, _branch = await self._meeting(s, actor, meeting_id, "meeting.attendance")
            row = (await s.execute(select(Attendance.status).where(
                Attendance.meeting_id == m.id, Attendance.person_id == person_id))).scalar_one_or_none()
        nxt = CYCLE.get(row or "", AttendanceStatus.PRESENT.value)
        await self.set_marks(actor, meeting_id, [person_id], nxt)
        return nxt

    async def toggle(self, actor: Actor, meeting_id: int, person_id: int) -> bool:
        async with self.deps.db.session() as s:
            m, _branch = await self._meeting(s, actor, meeting_id, "meeting.attendance")
            if person_id not in await expected_members(s, m):
                raise NotFound(_("That person is not a member of this branch."))
            row = (
                await s.execute(
                    select(Attendance).where(Attendance.meeting_id == m.id, Attendance.person_id == person_id)
                )
            ).scalar_one_or_none()
            present = not (row is not None and row.present)
            await self._mark(s, m, person_id, present, "secretary")
            return present

    async def mark_all_yes(self, actor: Actor, meeting_id: int) -> int:
        """Everyone who said they would come is marked present; corrections follow one tap each."""
        async with self.deps.db.session() as s:
            m, _branch = await self._meeting(s, actor, meeting_id, "meeting.attendance")
            yes = (
                (
                    await s.execute(
                        select(MeetingRsvp.person_id).where(
                            MeetingRsvp.meeting_id == m.id, MeetingRsvp.attending.is_(True)
                        )
                    )
                )
                .scalars()
                .all()
            )
            for pid in yes:
                await self._mark(s, m, pid, True, "secretary")
            return len(yes)

    async def check_in(self, actor: Actor, code: str) -> Meeting:
        """A member types the code the secretary reads out at the meeting."""
        now = self.deps.clock.now()
        code = "".join(ch for ch in code if ch in "0123456789")[:16]  # ASCII only: compare_digest needs it
        branch_ids = [seat.branch_id for seat in actor.active_seats()]
        if not branch_ids:
            raise PermissionDenied(_("Sorry, you are not allowed to do that."))
        if not code:
            raise InvalidInput(_("Please send the code the secretary reads out, e.g. /comat 123456"))
        async with self.deps.db.session() as s:
            outcome = await self._try_code(s, actor.person_id, branch_ids, code, now)
        # Raised after the session: the counted attempt is committed even when the answer is a refusal.
        if isinstance(outcome, DomainError):
            raise outcome
        return outcome

    async def checkin_state(self, actor: Actor) -> Literal["open", "near", "none"]:
        """Whether a meeting of the person's branches takes check-in codes now ("open"), is within a week
        ("near"), or neither. Nothing is counted: a bare number typed alone is read by it as the meeting's
        code or not."""
        branch_ids = [seat.branch_id for seat in actor.active_seats()]
        if not branch_ids:
            return "none"
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            rows = (
                await s.execute(
                    select(Meeting.starts_at, Meeting.cancelled_at).where(
                        Meeting.branch_id.in_(branch_ids),
                        Meeting.starts_at <= now + timedelta(days=7),
                        Meeting.starts_at >= now - timedelta(days=7),
                    )
                )
            ).all()
        starts = [t for t, cancelled in rows if cancelled is None]
        if any(now - CHECKIN_AFTER <= as_utc(t) <= now + CHECKIN_BEFORE for t in starts):
            return "open"
        # A meeting cancelled at its time still makes its code "near": the member is told it was cancelled.
        return "near" if starts or any(now - CHECKIN_AFTER <= as_utc(t) <= now + CHECKIN_BEFORE
                                       for t, cancelled in rows if cancelled is not None) else "none"

    async def _try_code(
        self, s: AsyncSession, person_id: int, branch_ids: list[int], code: str, now: datetime
    ) -> Meeting | DomainError:
        open_meetings = (
            (
                await s.execute(
                    select(Meeting)
                    .where(
                        Meeting.branch_id.in_(branch_ids),
                        Meeting.cancelled_at.is_(None),
                        Meeting.starts_at <= now + CHECKIN_BEFORE,
                        Meeting.starts_at >= now - CHECKIN_AFTER,
                    )
                    .order_by(Meeting.id)  # one lock order for every worker
                )
            )
            .scalars()
            .all()
        )
        if not open_meetings:
            return await self._outside_window(s, branch_ids, now)
        usable = [m for m in open_meetings if m.checkin_disabled_at is None]
        if not usable:
            return self._off()
        # Reserve one try per open meeting before comparing: a guarded UPDATE each, so parallel tries (several
        # workers, PostgreSQL row locks) can never count past the limits.
        insert = pg_insert if self.deps.db.dialect == "postgresql" else sqlite_insert
        reserved: list[tuple[int, int, int, str]] = []  # (meeting id, person's failures, meeting's, code)
        off_meanwhile = False
        for m in usable:
            await s.execute(
                insert(CheckinAttempt)
                .values(meeting_id=m.id, person_id=person_id, failures=0, updated_at=now)
                .on_conflict_do_nothing(index_elements=["meeting_id", "person_id"])
            )
            mine = (
                await s.execute(
                    update(CheckinAttempt)
                    .where(
                        CheckinAttempt.meeting_id == m.id,
                        CheckinAttempt.person_id == person_id,
                        CheckinAttempt.failures < PERSON_FAILURE_LIMIT,
                    )
                    .values(failures=CheckinAttempt.failures + 1, updated_at=now)
                    .returning(CheckinAttempt.failures)
                    .execution_options(synchronize_session=False)
                )
            ).scalar_one_or_none()
            if mine is None:
                continue  # this person is locked out of this meeting's code
            row = (
                await s.execute(
                    update(Meeting)
                    .where(
                        Meeting.id == m.id,
                        Meeting.checkin_disabled_at.is_(None),
                        Meeting.checkin_failures < MEETING_FAILURE_LIMIT,
                    )
                    .values(checkin_failures=Meeting.checkin_failures + 1)
                    .returning(Meeting.checkin_failures, Meeting.checkin_code)
                    .execution_options(synchronize_session=False)
                )
            ).one_or_none()
            if row is None:  # turned off meanwhile: give the person's try back
                await self._add_failures(s, m.id, person_id, -1, now)
                off_meanwhile = True
                continue
            reserved.append((m.id, mine, row[0], row[1]))
        if not reserved:
            return self._off() if off_meanwhile else self._locked()
        matched = next((r for r in reserved if secrets.compare_digest(r[3], code)), None)
        if matched is not None:
            for mid, *_rest in reserved:  # a right code costs nothing
                await self._add_failures(s, mid, person_id, -1, now)
                await s.execute(
                    update(Meeting)
                    .where(Meeting.id == mid)
                    .values(checkin_failures=Meeting.checkin_failures - 1)
                    .execution_options(synchronize_session=False)
                )
            m = next(m for m in usable if m.id == matched[0])
            await self._mark(s, m, person_id, True, "code")
            return m
        for mid, _mine, total, current in reserved:
            if total >= MEETING_FAILURE_LIMIT:
                await self._turn_off(s, next(m for m in usable if m.id == mid), current, now)
        left = PERSON_FAILURE_LIMIT - max(r[1] for r in reserved)
        if left <= 0:
            return self._locked()
        return InvalidInput(
            _("That check-in code is not right. Please check it with the secretary ({n} tries left).").format(
                n=left
            )
        )

    @staticmethod
    def _off() -> DomainError:
        return InvalidInput(
            _(
                "The check-in code of this meeting was turned off after too many wrong tries. Please ask "
                "the secretary for the new code, or to mark you present."
            )
        )

    @staticmethod
    def _locked() -> DomainError:
        return PermissionDenied(
            _(
                "You have typed a wrong check-in code {n} times for this meeting, so you can no longer check in "
                "with the code. Please ask the secretary to mark you present."
            ).format(n=PERSON_FAILURE_LIMIT)
        )

    @staticmethod
    async def _add_failures(s: AsyncSession, meeting_id: int, person_id: int, delta: int, now: datetime) -> None:
        await s.execute(
            update(CheckinAttempt)
            .where(CheckinAttempt.meeting_id == meeting_id, CheckinAttempt.person_id == person_id)
            .values(failures=CheckinAttempt.failures + delta, updated_at=now)
            .execution_options(synchronize_session=False)
        )

    async def _outside_window(self, s: AsyncSession, branch_ids: list[int], now: datetime) -> DomainError:
        """No meeting is open: name the window of the nearest one. The answer never depends on the code typed,
        so trying codes outside the window tells nothing."""
        near = (
            (
                await s.execute(
                    select(Meeting).where(
                        Meeting.branch_id.in_(branch_ids),
                        Meeting.cancelled_at.is_(None),
                        Meeting.starts_at <= now + timedelta(days=7),
                        Meeting.starts_at >= now - timedelta(days=7),
                    )
                )
            )
            .scalars()
            .all()
        )
        if not near:
            cancelled = (await s.execute(select(Meeting.id).where(
                Meeting.branch_id.in_(branch_ids),
                Meeting.cancelled_at.is_not(None),
                Meeting.starts_at <= now + CHECKIN_BEFORE,
                Meeting.starts_at >= now - CHECKIN_AFTER,
            ).limit(1))).scalar_one_or_none()
            if cancelled is not None:
                return Conflict(_("That meeting was cancelled."))
            return InvalidInput(
                _("No meeting of your branch is open for check-in now. Please check the code with the secretary.")
            )
        m = min(near, key=lambda m: abs(as_utc(m.starts_at) - now))
        opens, closes = (t.astimezone(self.deps.clock.tz) for t in checkin_window(m))
        if opens.date() == closes.date():
            return InvalidInput(
                _("The check-in code can only be used from {start} to {end} on {date}.").format(
                    start=opens.strftime("%H:%M"), end=closes.strftime("%H:%M"), date=opens.strftime("%d/%m/%Y")
                )
            )
        return InvalidInput(
            _("The check-in code can only be used from {start} on {start_date} to {end} on {end_date}.").format(
                start=opens.strftime("%H:%M"),
                start_date=opens.strftime("%d/%m/%Y"),
                end=closes.strftime("%H:%M"),
                end_date=closes.strftime("%d/%m/%Y"),
            )
        )

    async def _turn_off(self, s: AsyncSession, m: Meeting, code: str, now: datetime) -> None:
        """Too many wrong codes in all: the code stops working and the branch's managers are told at once."""
        await s.execute(
            update(Meeting)
            .where(Meeting.id == m.id, Meeting.checkin_disabled_at.is_(None))
            .values(checkin_disabled_at=now)
            .execution_options(synchronize_session=False)
        )
        branch = await s.get(Branch, m.branch_id)
        if branch is None:
            return
        local = as_utc(m.starts_at).astimezone(self.deps.clock.tz)

        def render() -> Reply:
            return Reply(
                text=_(
                    "⚠️ <b>{branch}</b>: the check-in code of the {kind} at {when} was turned off after {n} wrong "
                    "tries. Members can no longer check in with it. Issue a new code and read it out, or mark "
                    "attendance with /diemdanh."
                ).format(
                    branch=esc(branch_title(branch.name)),
                    kind=kind_label(m.kind),
                    when=local.strftime("%H:%M %d/%m/%Y"),
                    n=MEETING_FAILURE_LIMIT,
                ),
                buttons=[[Button(_("🔄 New check-in code"), NewCheckinCode(m.id).pack())]],
            )

        for pid in await manager_ids(s, branch):
            await notify(
                s,
                self.deps,
                pid,
                key=f"meeting_checkin_off:{m.id}:{code}:{pid}",
                kind="meeting_checkin",
                render=render,
                priority=1,
                ref=f"meeting:{m.id}",
                branch_id=branch.id,
                expires_at=now + CHECKIN_AFTER + CHECKIN_BEFORE,
            )

    async def new_code(self, actor: Actor, meeting_id: int) -> Meeting:
        """The secretary issues a new code (the old one stops working, the meeting's count starts again).
        People locked out keep their lock: the secretary marks them present."""
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            m, branch = await self._meeting(s, actor, meeting_id, "meeting.attendance")
            code = new_checkin_code()
            while code == m.checkin_code:
                code = new_checkin_code()
            m.checkin_code, m.checkin_failures, m.checkin_disabled_at = code, 0, None
            s.add(m)
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="meeting.checkin_code",
                org_id=branch.org_id,
                branch_id=branch.id,
                target=f"meeting:{m.id}",
            )
            return m
