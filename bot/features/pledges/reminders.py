"""Pledges: reminding members who have not pledged (the secretary's nudge and the ticks' reminders)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.pledges.access import PledgeUseCase
from bot.features.pledges.callbacks import PledgeDraft
from bot.features.pledges.models import PledgeReminder
from bot.features.pledges.reads import branch_settings, not_pledged
from bot.i18n import _
from bot.messages import Button, Reply
from bot.services import audit
from bot.services.actor import Actor
from bot.services.notify import notify
from storage.models.org import Branch
from storage.models.people import Person

NUDGE_COOLDOWN = timedelta(days=7)


async def recently_reminded(s: AsyncSession, person_id: int, now: datetime) -> bool:
    last = (
        await s.execute(select(func.max(PledgeReminder.at)).where(PledgeReminder.person_id == person_id))
    ).scalar_one_or_none()
    if last is None:
        return False
    from bot.clock import as_utc

    return as_utc(last) > now - NUDGE_COOLDOWN


class PledgeReminders(PledgeUseCase):
    async def nudge_unpledged(self, actor: Actor, branch_id: int) -> tuple[int, int]:
        """One reminder per member without a pledge, at most once a week each. Returns (queued, skipped)."""
        now = self.now()
        year = self.year()
        queued = skipped = 0
        async with self.deps.db.session() as s:
            branch = await self._branch_for_manager(s, actor, branch_id, "pledge_nudge")
            deadline = (await branch_settings(s, branch_id)).deadline
            for pid, _name in await not_pledged(s, branch_id, year):
                if await recently_reminded(s, pid, now):
                    skipped += 1
                    continue
                if await self.remind(
                    s,
                    pid,
                    branch,
                    "nudge",
                    key=f"pledge_nudge:{branch_id}:{pid}:{now.isoformat()}",
                    deadline=deadline,
                    year=year,
                ):
                    queued += 1
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="pledge.nudge",
                org_id=branch.org_id,
                branch_id=branch_id,
                details={"queued": queued, "skipped": skipped},
            )
        return queued, skipped

    async def remind(
        self,
        s: AsyncSession,
        person_id: int,
        branch: Branch,
        kind: str,
        *,
        key: str,
        deadline: date | None,
        year: int,
    ) -> bool:
        person = await s.get(Person, person_id)
        if person is None:
            return False

        def render() -> Reply:
            text = _(
                "📝 A gentle reminder: you have not registered your pledge to study and follow Uncle Hồ "
                "for {year} yet."
            ).format(year=year)
            if deadline is not None:
                text += "\n" + _("The branch's deadline is {date}.").format(
                    date=deadline.strftime("%d/%m/%Y")
                )
            return Reply(text=text, buttons=[[Button(_("📝 Register now"), PledgeDraft("open").pack())]])

        added = await notify(
            s, self.deps, person_id, key=key, kind="pledge_reminder", render=render, branch_id=branch.id,
            priority=5
        )
        if added:
            s.add(PledgeReminder(person_id=person_id, branch_id=branch.id, kind=kind, at=self.now()))
        return added
