"""Pledges: a branch's pledge settings (deadline, check-in frequency), read and changed by its managers."""

from __future__ import annotations

from datetime import date

from bot.features.pledges.access import PledgeUseCase
from bot.features.pledges.assessment import review_window
from bot.features.pledges.models import PledgeBranchSettings
from bot.features.pledges.reads import branch_settings
from bot.i18n import _
from bot.kernel.callbacks import StaleButton
from bot.services import audit
from bot.services.actor import Actor
from bot.services.errors import InvalidInput, NotFound
from bot.services.permissions import require_review_window_setter
from storage.models.org import Branch


class PledgeSettings(PledgeUseCase):
    async def settings_for(self, actor: Actor, branch_id: int) -> tuple[str, PledgeBranchSettings]:
        async with self.deps.db.session() as s:
            branch = await self._branch_for_manager(s, actor, branch_id, "pledge_settings")
            return branch.name, await branch_settings(s, branch_id)

    async def update_settings(
        self, actor: Actor, branch_id: int, *, deadline: date | None = None, frequency: str | None = None
    ) -> PledgeBranchSettings:
        if frequency is not None and frequency not in ("monthly", "quarterly"):
            raise StaleButton(f"unknown frequency {frequency!r}")
        now = self.now()
        async with self.deps.db.session() as s:
            branch = await self._branch_for_manager(s, actor, branch_id, "pledge_settings")
            row = await s.get(PledgeBranchSettings, branch_id) or PledgeBranchSettings(branch_id=branch_id)
            if deadline is not None:
                row.deadline = deadline
            if frequency is not None:
                row.checkin_frequency = frequency
            row.updated_at, row.updated_by = now, actor.person_id
            s.add(row)
            await audit.record(
                s,
                at=now,
                actor_person_id=actor.person_id,
                action="pledge.settings",
                org_id=branch.org_id,
                branch_id=branch_id,
                details={
                    "deadline": row.deadline.isoformat() if row.deadline else None,
                    "frequency": row.checkin_frequency,
                },
            )
            return row

    async def set_review_window(self, actor: Actor, branch_id: int, start: date, end: date) -> tuple[date, date]:
        """The branch's year-end review window (day and month; the same every year). Returns this year's."""
        if (start.month, start.day) > (end.month, end.day):
            raise InvalidInput(_("The window must open before it closes (both within one calendar year)."))
        now = self.now()
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            if branch is None:
                raise NotFound(_("That branch does not exist."))
            require_review_window_setter(actor, branch.id, branch.org_id)
            row = await s.get(PledgeBranchSettings, branch_id) or PledgeBranchSettings(branch_id=branch_id)
            row.yearend_start_month, row.yearend_start_day = start.month, start.day
            row.yearend_end_month, row.yearend_end_day = end.month, end.day
            row.updated_at, row.updated_by = now, actor.person_id
            s.add(row)
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="pledge.review_window",
                               org_id=branch.org_id, branch_id=branch_id,
                               details={"start": start.strftime("%d/%m"), "end": end.strftime("%d/%m")})
            return review_window(row, self.year())
