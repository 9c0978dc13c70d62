"""Pledges: the base of every use case (clock, year, the member's seat) and who may act on what.

Every use case re-checks who may do it: a member acts only on their own pledge; approve, return, the
status view, reminders and exports need the member's own branch secretary/deputy or its committee admin
(``require_branch_manager``), so a forged or replayed button ends in a logged PermissionDenied. Nobody
approves or returns their own pledge (``require_item_reviewer``): a secretary's goes to the deputy or the
committee.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import local_now
from bot.features.pledges.models import Pledge
from bot.i18n import _
from bot.services.actor import Actor, BranchSeat
from bot.services.deps import Deps
from bot.services.errors import NotFound, PermissionDenied
from bot.services.permissions import require_branch_manager, require_item_reviewer
from storage.models.org import Branch

log = logging.getLogger("hocbac.pledges")


class PledgeUseCase:
    """Shared by the pledge use cases: built once per App by ``services.get``."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    @property
    def tz(self) -> ZoneInfo:
        return self.deps.settings.tz

    def now(self) -> datetime:
        return self.deps.clock.now()

    def year(self) -> int:
        return local_now(self.deps.clock).year

    def _seat(self, actor: Actor) -> BranchSeat:
        seat = actor.primary_branch
        if seat is None:
            raise PermissionDenied(
                _("You have not joined a branch yet. Send the join code from your branch secretary.")
            )
        return seat

    async def _mine(self, s: AsyncSession, actor: Actor, seat: BranchSeat, year: int) -> Pledge | None:
        return (
            await s.execute(
                select(Pledge).where(
                    Pledge.person_id == actor.person_id,
                    Pledge.branch_id == seat.branch_id,
                    Pledge.year == year,
                )
            )
        ).scalar_one_or_none()

    async def _pledge_for_reviewer(self, s: AsyncSession, actor: Actor, pledge_id: int, action: str) -> Pledge:
        """The pledge, if the actor may approve or return it: a manager of its branch, not its author."""
        p = await s.get(Pledge, pledge_id)
        if p is None:
            log.warning("pledge button for a missing pledge: person=%s pledge=%s", actor.person_id, pledge_id)
            raise NotFound(_("That pledge no longer exists."))
        require_item_reviewer(actor, p.branch_id, p.org_id, p.person_id, "pledge", action)
        return p

    async def _branch_for_manager(self, s: AsyncSession, actor: Actor, branch_id: int, action: str) -> Branch:
        branch = await s.get(Branch, branch_id)
        if branch is None:
            raise NotFound(_("That branch does not exist."))
        require_branch_manager(actor, branch.id, branch.org_id, action)
        return branch
