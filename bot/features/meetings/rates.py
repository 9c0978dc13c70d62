"""Meetings: who was expected, the meetings held, and attendance rates (one meeting, a member's year, a
branch's year)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import to_utc
from bot.features.meetings.access import MeetingUseCase
from bot.features.meetings.models import Attendance, Meeting, MeetingKind
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.directory import managed_branch
from bot.services.extensions import BranchScope
from storage.models.people import Membership, MembershipStatus


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


async def _meeting_counts(
    s: AsyncSession, deps: Deps, branch_id: int, start: datetime, end: datetime
) -> dict[str, float | int]:
    """Meetings held in the period, by kind (the committee's flags read this for a quarter, so it is a
    provider of its own: no attendance sets computed for nothing)."""
    held = await _held(s, branch_id, start, end)
    thematic = sum(1 for m in held if m.kind == MeetingKind.THEMATIC)
    return {"meetings_regular": len(held) - thematic, "meetings_thematic": thematic}


async def _meeting_figures(
    s: AsyncSession, deps: Deps, branch_id: int, start: datetime, end: datetime
) -> dict[str, float | int]:
    """Attendance in the period: expected and present people over the meetings whose attendance was taken."""
    expected = present = 0
    for m in await _held(s, branch_id, start, end):
        marked = (
            await s.execute(select(func.count()).select_from(Attendance).where(Attendance.meeting_id == m.id))
        ).scalar_one()
        if marked:  # only meetings whose attendance was taken count towards the rate
            r = await meeting_rate(s, m)
            expected += r.expected
            present += r.present
    return {"attendance_expected": expected, "attendance_present": present}


def _held_in(branch_ids: BranchScope, start: datetime, end: datetime) -> tuple[ColumnElement[bool], ...]:
    return (branch_ids.where(Meeting.branch_id), Meeting.cancelled_at.is_(None), Meeting.starts_at >= start,
            Meeting.starts_at < end)


async def _meeting_counts_bulk(
    s: AsyncSession, deps: Deps, branch_ids: BranchScope, start: datetime, end: datetime
) -> dict[int, dict[str, float | int]]:
    """``_meeting_counts`` for many branches in one GROUP BY query."""
    out: dict[int, dict[str, float | int]] = {b: {"meetings_regular": 0, "meetings_thematic": 0} for b in branch_ids}
    kinds = await s.execute(select(Meeting.branch_id, Meeting.kind, func.count()).where(
        *_held_in(branch_ids, start, end)).group_by(Meeting.branch_id, Meeting.kind))
    for branch_id, kind, n in kinds.all():
        key = "meetings_thematic" if kind == MeetingKind.THEMATIC else "meetings_regular"
        out[branch_id][key] += int(n)
    return out


async def _meeting_figures_bulk(
    s: AsyncSession, deps: Deps, branch_ids: BranchScope, start: datetime, end: datetime
) -> dict[int, dict[str, float | int]]:
    """``_meeting_figures`` for many branches in two GROUP BY queries. A meeting's expected people are
    ``expected_members`` ∪ those marked present (as ``meeting_rate``): the members at its start, plus the
    present who were not."""
    out: dict[int, dict[str, float | int]] = {
        b: {"attendance_expected": 0, "attendance_present": 0} for b in branch_ids}
    held = _held_in(branch_ids, start, end)
    # Only meetings whose attendance was taken count towards the rate.
    marked = exists().where(Attendance.meeting_id == Meeting.id)
    expected_at_start = and_(
        Membership.branch_id == Meeting.branch_id,
        Membership.status.in_([MembershipStatus.ACTIVE.value, MembershipStatus.LEFT.value]),
        or_(Membership.decided_at.is_(None), Membership.decided_at <= Meeting.starts_at),
        or_(Membership.status != MembershipStatus.LEFT.value,
            and_(Membership.left_at.is_not(None), Membership.left_at > Meeting.starts_at)),
    )
    expected = await s.execute(
        select(Meeting.branch_id, func.count()).select_from(Meeting).join(Membership, expected_at_start)
        .where(*held, marked).group_by(Meeting.branch_id))
    for branch_id, n in expected.all():
        out[branch_id]["attendance_expected"] += int(n)
    present = await s.execute(
        select(Meeting.branch_id, func.count(),
               func.sum(case((~exists().where(expected_at_start, Membership.person_id == Attendance.person_id), 1),
                             else_=0)))
        .select_from(Attendance).join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(*held, Attendance.present.is_(True)).group_by(Meeting.branch_id))
    for branch_id, n, unexpected in present.all():
        out[branch_id]["attendance_present"] += int(n)
        out[branch_id]["attendance_expected"] += int(unexpected or 0)
    return out


class MeetingRates(MeetingUseCase):
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
