"""Meetings: scheduling, the notice with RSVP, attendance (by the secretary or by check-in code) and rates."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import as_utc, to_utc
from bot.features.meetings.callbacks import Rsvp
from bot.features.meetings.models import Attendance, Meeting, MeetingKind, MeetingRsvp
from bot.i18n import _
from bot.messages import Button, MediaRef, Reply, esc
from bot.services import audit
from bot.services.actor import Actor
from bot.services.calendar import load_settings, to_calendar
from bot.services.deps import Deps
from bot.services.directory import managed_branch
from bot.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.services.notify import notify
from storage.models.org import Branch
from storage.models.people import Membership, MembershipStatus, Person

CHECKIN_BEFORE = timedelta(hours=1)  # members may check in from an hour before the start...
CHECKIN_AFTER = timedelta(hours=6)  # ...until six hours after it
ODD_HOURS = (0, 5)  # a start in [00:00, 05:00) asks "are you sure?"


def kind_label(kind: str) -> str:
    return _("thematic meeting") if kind == MeetingKind.THEMATIC else _("regular meeting")


def is_odd_hour(t: time) -> bool:
    return ODD_HOURS[0] <= t.hour < ODD_HOURS[1]


@dataclass(frozen=True, slots=True)
class Rate:
    present: int
    expected: int

    @property
    def pct(self) -> float | None:
        return round(100.0 * self.present / self.expected, 1) if self.expected else None


async def expected_members(s: AsyncSession, m: Meeting) -> set[int]:
    """Members of the branch when the meeting took place (joined before it, not left before it)."""
    rows = await s.execute(
        select(Membership.person_id, Membership.decided_at, Membership.left_at, Membership.status).where(
            Membership.branch_id == m.branch_id,
            Membership.status.in_([MembershipStatus.ACTIVE.value, MembershipStatus.LEFT.value]),
        )
    )
    out: set[int] = set()
    for pid, decided, left, status in rows.all():
        if decided is not None and _utc(decided) > m.starts_at:
            continue
        if status == MembershipStatus.LEFT and (left is None or _utc(left) <= m.starts_at):
            continue
        out.add(pid)
    return out


def _utc(value: datetime) -> datetime:
    from bot.clock import as_utc

    return as_utc(value)


async def meeting_rate(s: AsyncSession, m: Meeting) -> Rate:
    expected = await expected_members(s, m)
    present = set(
        (
            await s.execute(
                select(Attendance.person_id).where(
                    Attendance.meeting_id == m.id, Attendance.present.is_(True)
                )
            )
        )
        .scalars()
        .all()
    )
    return Rate(len(present & expected) + len(present - expected), len(expected | present))


async def _held(s: AsyncSession, branch_id: int, start: datetime, end: datetime) -> list[Meeting]:
    return list(
        (
            await s.execute(
                select(Meeting)
                .where(
                    Meeting.branch_id == branch_id,
                    Meeting.cancelled_at.is_(None),
                    Meeting.starts_at >= start,
                    Meeting.starts_at < end,
                )
                .order_by(Meeting.starts_at)
            )
        )
        .scalars()
        .all()
    )


class MeetingService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def _meeting(
        self, s: AsyncSession, actor: Actor, meeting_id: int, action: str
    ) -> tuple[Meeting, Branch]:
        m = await s.get(Meeting, meeting_id)
        if m is None:
            raise NotFound(_("That meeting does not exist."))
        branch = await managed_branch(s, actor, m.branch_id, action)
        return m, branch

    async def default_time(self, branch_id: int) -> time:
        async with self.deps.db.session() as s:
            return to_calendar(await load_settings(s, branch_id)).meeting_time

    async def schedule(
        self,
        actor: Actor,
        branch_id: int,
        *,
        kind: str,
        starts_local: datetime,
        place: str = "",
        topic: str = "",
        documents: list[dict[str, Any]] | None = None,
        confirmed_odd_hour: bool = False,
    ) -> Meeting:
        now = self.deps.clock.now()
        if kind not in (MeetingKind.REGULAR, MeetingKind.THEMATIC):
            raise InvalidInput(_("Unknown meeting type."))
        starts_at = to_utc(starts_local, self.deps.clock.tz)
        if starts_at <= now:
            raise InvalidInput(_("That date and time are in the past. Please choose a later one."))
        if is_odd_hour(starts_local.time()) and not confirmed_odd_hour:
            raise InvalidInput(
                _("A meeting at {time} is unusual; please confirm the time.").format(
                    time=starts_local.strftime("%H:%M")
                )
            )
        async with self.deps.db.session() as s:
            branch = await managed_branch(s, actor, branch_id, "meeting.schedule")
            m = Meeting(
                branch_id=branch.id,
                kind=kind,
                starts_at=starts_at,
                place=place.strip()[:300],
                topic=topic.strip()[:500],
                documents=documents or None,
                checkin_code=f"{secrets.randbelow(10_000):04d}",
                created_by=actor.person_id,
                created_at=now,
            )
            s.add(m)
            await s.flush()
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="meeting.schedule",
                org_id=branch.org_id,
                branch_id=branch.id,
                target=f"meeting:{m.id}",
            )
            return m

    async def for_date(self, actor: Actor, branch_id: int, day_local: datetime) -> Meeting | None:
        """A scheduled meeting of the branch on that local day, if any."""
        start = to_utc(datetime.combine(day_local.date(), time(0)), self.deps.clock.tz)
        async with self.deps.db.session() as s:
            await managed_branch(s, actor, branch_id, "meeting.read")
            meetings = await _held(s, branch_id, start, start + timedelta(days=1))
            return meetings[0] if meetings else None

    def notice(self, m: Meeting, branch: Branch) -> Reply:
        local = m.starts_at.astimezone(self.deps.clock.tz)
        lines = [
            _("📅 <b>Meeting notice — {branch}</b>").format(branch=esc(branch.name)),
            _("Type: {kind}").format(kind=kind_label(m.kind)),
            _("Time: {time}, {date}").format(time=local.strftime("%H:%M"), date=local.strftime("%d/%m/%Y")),
        ]
        if m.place:
            lines.append(_("Place: {place}").format(place=esc(m.place)))
        if m.topic:
            lines.append(_("Topic: {topic}").format(topic=esc(m.topic)))
        lines.append("")
        lines.append(_("Please tell the secretary whether you will come."))
        docs = m.documents or []
        return Reply(
            text="\n".join(lines),
            buttons=[
                [Button(_("✅ I will attend"), Rsvp(True, m.id).pack()),
                 Button(_("🙏 Apologise"), Rsvp(False, m.id).pack())]
            ],
            media=MediaRef.from_dict(docs[0]) if docs else None,
        )

    async def send_notice(self, actor: Actor, meeting_id: int) -> int:
        """Queue the notice with RSVP buttons to every active member (once per member)."""
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            m, branch = await self._meeting(s, actor, meeting_id, "meeting.notice")
            if m.cancelled_at is not None:
                raise Conflict(_("That meeting was cancelled."))
            members = (
                await s.execute(
                    select(Membership.person_id, Person.locale)
                    .join(Person, Person.id == Membership.person_id)
                    .where(
                        Membership.branch_id == branch.id, Membership.status == MembershipStatus.ACTIVE.value
                    )
                )
            ).all()
            count = 0
            for pid, _locale in members:
                if await notify(
                    s,
                    self.deps,
                    pid,
                    key=f"meeting:{m.id}:{pid}",
                    kind="meeting_notice",
                    render=lambda: self.notice(m, branch),
                    priority=1,
                    ref=f"meeting:{m.id}",
                    branch_id=branch.id,
                    expires_at=m.starts_at,
                ):
                    count += 1
            m.notice_sent_at = m.notice_sent_at or now
            s.add(m)
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="meeting.notice",
                org_id=branch.org_id,
                branch_id=branch.id,
                target=f"meeting:{m.id}",
                details={"size": len(members)},
            )
            return count

    async def rsvp(
        self, actor: Actor, meeting_id: int, attending: bool, reason: str | None = None
    ) -> Meeting:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            m = await s.get(Meeting, meeting_id)
            if m is None or actor.seat(m.branch_id) is None:
                raise PermissionDenied(_("Sorry, you are not allowed to do that."))
            if m.cancelled_at is not None:
                raise Conflict(_("That meeting was cancelled."))
            row = await s.execute(
                select(MeetingRsvp).where(
                    MeetingRsvp.meeting_id == m.id, MeetingRsvp.person_id == actor.person_id
                )
            )
            rsvp = row.scalar_one_or_none() or MeetingRsvp(meeting_id=m.id, person_id=actor.person_id)
            rsvp.attending, rsvp.reason, rsvp.at = attending, (reason or "").strip()[:500] or None, now
            s.add(rsvp)
            return m

    async def remind_unanswered(self, s: AsyncSession, m: Meeting, branch: Branch, now: datetime) -> int:
        answered = select(MeetingRsvp.person_id).where(MeetingRsvp.meeting_id == m.id)
        rows = (
            await s.execute(
                select(Membership.person_id, Person.locale)
                .join(Person, Person.id == Membership.person_id)
                .where(
                    Membership.branch_id == branch.id,
                    Membership.status == MembershipStatus.ACTIVE.value,
                    Membership.person_id.not_in(answered),
                )
            )
        ).all()
        n = 0

        def render() -> Reply:
            reply = self.notice(m, branch)
            reply.text = _("⏰ Reminder: you have not yet said whether you will attend.") + "\n\n" + reply.text
            return reply

        for pid, _locale in rows:
            n += await notify(
                s,
                self.deps,
                pid,
                key=f"meeting_rsvp_reminder:{m.id}:{pid}",
                kind="meeting_reminder",
                render=render,
                priority=1,
                ref=f"meeting:{m.id}",
                branch_id=branch.id,
                expires_at=m.starts_at,
            )
        return n

    async def roster(
        self, actor: Actor, meeting_id: int
    ) -> tuple[Meeting, list[tuple[Person, bool | None, bool]]]:
        """(meeting, [(member, rsvp attending or None, present)]) for the attendance sheet."""
        async with self.deps.db.session() as s:
            m, _branch = await self._meeting(s, actor, meeting_id, "meeting.attendance")
            expected = await expected_members(s, m)
            people = await s.execute(
                select(Person).where(Person.id.in_(expected)).order_by(Person.display_name)
            )
            rsvps = {
                r.person_id: r.attending
                for r in (await s.execute(select(MeetingRsvp).where(MeetingRsvp.meeting_id == m.id)))
                .scalars()
                .all()
            }
            present = {
                a.person_id: a.present
                for a in (await s.execute(select(Attendance).where(Attendance.meeting_id == m.id)))
                .scalars()
                .all()
            }
            return m, [(p, rsvps.get(p.id), bool(present.get(p.id))) for p in people.scalars().all()]

    async def _mark(self, s: AsyncSession, m: Meeting, person_id: int, present: bool, source: str) -> None:
        row = (
            await s.execute(
                select(Attendance).where(Attendance.meeting_id == m.id, Attendance.person_id == person_id)
            )
        ).scalar_one_or_none()
        row = row or Attendance(meeting_id=m.id, person_id=person_id)
        row.present, row.source, row.at = present, source, self.deps.clock.now()
        s.add(row)

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
        code = "".join(ch for ch in code if ch.isdigit())
        branch_ids = [seat.branch_id for seat in actor.active_seats()]
        if not branch_ids:
            raise PermissionDenied(_("Sorry, you are not allowed to do that."))
        async with self.deps.db.session() as s:
            m = (
                (
                    await s.execute(
                        select(Meeting).where(
                            Meeting.branch_id.in_(branch_ids),
                            Meeting.checkin_code == code,
                            Meeting.cancelled_at.is_(None),
                            Meeting.starts_at <= now + CHECKIN_BEFORE,
                            Meeting.starts_at >= now - CHECKIN_AFTER,
                        )
                    )
                )
                .scalars()
                .first()
            )
            if m is None:
                raise InvalidInput(
                    _(
                        "That check-in code does not match a meeting happening now. "
                        "Please check the code with the secretary."
                    )
                )
            await self._mark(s, m, actor.person_id, True, "code")
            return m

    async def recent(self, actor: Actor, branch_id: int, limit: int = 5) -> list[Meeting]:
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            await managed_branch(s, actor, branch_id, "meeting.read")
            return list(
                (
                    await s.execute(
                        select(Meeting)
                        .where(
                            Meeting.branch_id == branch_id,
                            Meeting.cancelled_at.is_(None),
                            Meeting.starts_at <= now + timedelta(days=60),
                        )
                        .order_by(Meeting.starts_at.desc())
                        .limit(limit)
                    )
                )
                .scalars()
                .all()
            )

    # --- rates ---

    async def rate(self, actor: Actor, meeting_id: int) -> Rate:
        async with self.deps.db.session() as s:
            m, _branch = await self._meeting(s, actor, meeting_id, "meeting.attendance")
            return await meeting_rate(s, m)

    async def member_year_rate(self, actor: Actor, branch_id: int, person_id: int, year: int) -> Rate:
        start, end = self._year(year)
        async with self.deps.db.session() as s:
            await managed_branch(s, actor, branch_id, "meeting.attendance")
            present = expected = 0
            for m in await _held(s, branch_id, start, min(end, self.deps.clock.now())):
                if person_id in await expected_members(s, m):
                    expected += 1
                    present += int(
                        (
                            await s.execute(
                                select(func.count())
                                .select_from(Attendance)
                                .where(
                                    Attendance.meeting_id == m.id,
                                    Attendance.person_id == person_id,
                                    Attendance.present.is_(True),
                                )
                            )
                        ).scalar_one()
                    )
            return Rate(present, expected)

    async def branch_year_rate(self, actor: Actor, branch_id: int, year: int) -> Rate:
        start, end = self._year(year)
        async with self.deps.db.session() as s:
            await managed_branch(s, actor, branch_id, "meeting.attendance")
            figures = await _meeting_figures(s, self.deps, branch_id, start, min(end, self.deps.clock.now()))
            return Rate(int(figures["attendance_present"]), int(figures["attendance_expected"]))

    def _year(self, year: int) -> tuple[datetime, datetime]:
        tz = self.deps.clock.tz
        return to_utc(datetime(year, 1, 1), tz), to_utc(datetime(year + 1, 1, 1), tz)


# --- extension points ------------------------------------------------------------------------------


async def _meeting_figures(
    s: AsyncSession, deps: Deps, branch_id: int, start: datetime, end: datetime
) -> dict[str, float | int]:
    regular = thematic = expected = present = 0
    for m in await _held(s, branch_id, start, end):
        if m.kind == MeetingKind.THEMATIC:
            thematic += 1
        else:
            regular += 1
        marked = (
            await s.execute(select(func.count()).select_from(Attendance).where(Attendance.meeting_id == m.id))
        ).scalar_one()
        if marked:  # only meetings whose attendance was taken count towards the rate
            r = await meeting_rate(s, m)
            expected += r.expected
            present += r.present
    return {
        "meetings_regular": regular,
        "meetings_thematic": thematic,
        "attendance_expected": expected,
        "attendance_present": present,
    }


async def _next_meeting(s: AsyncSession, branch_id: int, after: datetime) -> datetime | None:
    """The next scheduled regular meeting, or the next one the branch's calendar setting implies.

    Always aware. The calendar's day and time are local: pass ``after`` in local time (as the hook says)
    to get them right; a UTC ``after`` would read "19:30" as 19:30 UTC."""
    tz = after.tzinfo
    local = after
    after = as_utc(after)  # SQLite compares stored naive UTC as text: query in UTC
    row = (
        await s.execute(
            select(Meeting.starts_at)
            .where(
                Meeting.branch_id == branch_id,
                Meeting.kind == MeetingKind.REGULAR.value,
                Meeting.cancelled_at.is_(None),
                Meeting.starts_at > after,
            )
            .order_by(Meeting.starts_at)
            .limit(1)
        )
    ).scalar_one_or_none()
    if row is not None:
        return as_utc(row)  # aware UTC, whatever the driver hands back
    cal = to_calendar(await load_settings(s, branch_id))
    for months_ahead in range(2):
        y, mo = local.year + (local.month - 1 + months_ahead) // 12, (local.month - 1 + months_ahead) % 12 + 1
        candidate = datetime(
            y, mo, cal.meeting_day, cal.meeting_time.hour, cal.meeting_time.minute, tzinfo=tz
        )
        if candidate > after:
            return candidate
    return None


async def _meeting_sheet(
    s: AsyncSession, deps: Deps, branch_id: int, start: datetime, end: datetime
) -> tuple[list[str], list[list[Any]]]:
    header = [
        _("Date"),
        _("Type"),
        _("Topic"),
        _("Place"),
        _("Member"),
        _("Answer"),
        _("Reason"),
        _("Present"),
    ]
    out: list[list[Any]] = []
    for m in await _held(s, branch_id, start, end):
        expected = await expected_members(s, m)
        rsvps = {
            r.person_id: r
            for r in (await s.execute(select(MeetingRsvp).where(MeetingRsvp.meeting_id == m.id)))
            .scalars()
            .all()
        }
        present = {
            a.person_id
            for a in (
                await s.execute(
                    select(Attendance).where(Attendance.meeting_id == m.id, Attendance.present.is_(True))
                )
            )
            .scalars()
            .all()
        }
        people = (
            (
                await s.execute(
                    select(Person).where(Person.id.in_(expected | present)).order_by(Person.display_name)
                )
            )
            .scalars()
            .all()
        )
        when = m.starts_at.replace(tzinfo=None)
        for p in people:
            r = rsvps.get(p.id)
            answer = "" if r is None else (_("will attend") if r.attending else _("apologised"))
            out.append(
                [
                    when,
                    kind_label(m.kind),
                    m.topic,
                    m.place,
                    p.display_name,
                    answer,
                    (r.reason or "") if r else "",
                    _("yes") if p.id in present else _("no"),
                ]
            )
    return header, out


