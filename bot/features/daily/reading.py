""""Học Bác mỗi ngày": reading receipts — marking today's item read, the streak, the branch's week of reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, func, select

from bot.features.daily.catalog import DailyUseCase, _insert, _not_joined
from bot.features.daily.models import DailyRead
from bot.i18n import _
from bot.kernel.callbacks import StaleButton
from bot.services.actor import Actor
from bot.services.errors import NotFound
from bot.services.permissions import require_branch_manager
from storage.models.org import Branch
from storage.models.people import Identity, Membership, MembershipStatus

READ_WINDOW_DAYS = 7  # a "Đã đọc" press older than this is refused as stale


@dataclass(frozen=True, slots=True)
class WeekReads:
    since: date
    members: int
    readers: int
    reads: int
    unreachable: int


class DailyReading(DailyUseCase):
    async def mark_read(self, actor: Actor, day: date) -> int:
        """Record "Đã đọc ✓" for ``day`` (idempotent); returns the current streak."""
        today = self.local_today()
        if day > today or day < today - timedelta(days=READ_WINDOW_DAYS):
            raise StaleButton(f"read button of {day} is out of the window")
        seat = actor.primary_branch
        if seat is None:
            raise _not_joined()
        async with self.deps.db.session() as s:
            await s.execute(_insert(s)(DailyRead).values(person_id=actor.person_id, day=day,
                                                         branch_id=seat.branch_id, at=self.deps.clock.now())
                            .on_conflict_do_nothing(index_elements=["person_id", "day"]))
        return await self.streak(actor.person_id)

    async def streak(self, person_id: int) -> int:
        """Consecutive days read, ending today (or yesterday, when today's is not read yet)."""
        today = self.local_today()
        async with self.deps.db.session() as s:
            days = set((await s.execute(
                select(DailyRead.day).where(DailyRead.person_id == person_id,
                                            DailyRead.day >= today - timedelta(days=400))
            )).scalars())
        day = today if today in days else today - timedelta(days=1)
        count = 0
        while day in days:
            count += 1
            day -= timedelta(days=1)
        return count

    async def week_reads(self, actor: Actor, branch_id: int) -> WeekReads:
        """For the secretary: how many members read this week (a count, never a ranking)."""
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            if branch is None:
                raise NotFound(_("That branch does not exist."))
            require_branch_manager(actor, branch_id, branch.org_id, "daily_week_reads")
            since = self.local_today() - timedelta(days=self.local_today().weekday())
            active = select(Membership.person_id).where(Membership.branch_id == branch_id,
                                                        Membership.status == MembershipStatus.ACTIVE.value)
            members = (await s.execute(select(func.count()).select_from(active.subquery()))).scalar_one()
            readers, reads = (await s.execute(
                select(func.count(func.distinct(DailyRead.person_id)), func.count())
                .where(DailyRead.person_id.in_(active), DailyRead.day >= since)
            )).one()
            reachable = exists().where(Identity.person_id == Membership.person_id,
                                       Identity.reachable.is_(True))
            unreachable = (await s.execute(
                select(func.count()).select_from(Membership)
                .where(Membership.branch_id == branch_id, Membership.status == MembershipStatus.ACTIVE.value,
                       ~reachable)
            )).scalar_one()
        return WeekReads(since, int(members), int(readers), int(reads), int(unreachable))
