"""Pledges: reading a pledge card with its progress, and the member's list of pledges."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.pledges.access import PledgeUseCase
from bot.features.pledges.models import Pledge, PledgeStatus
from bot.features.pledges.reads import item_progress, pledge_content, theme_for
from bot.features.pledges.texts import content_of, render_card, status_label
from bot.i18n import _
from bot.services.actor import Actor
from bot.services.errors import NotFound
from bot.services.permissions import require_branch_manager
from storage.models.org import Branch
from storage.models.people import Person


class PledgeViewing(PledgeUseCase):
    async def card(self, actor: Actor, pledge_id: int | None = None) -> str:
        """A pledge with its progress: the member's own (also after leaving), or one of a managed branch."""
        async with self.deps.db.session() as s:
            if pledge_id is None:
                seat = self._seat(actor)
                p = await self._mine(s, actor, seat, self.year())
                if p is None:
                    raise NotFound(_("You have no pledge this year yet. Send /dangky to register."))
            else:
                p = await s.get(Pledge, pledge_id)
                if p is None:
                    raise NotFound(_("That pledge no longer exists."))
                if p.person_id != actor.person_id:
                    require_branch_manager(actor, p.branch_id, p.org_id, "pledge_view")
            return await self._card(s, p)

    async def _card(self, s: AsyncSession, p: Pledge) -> str:
        if p.version == 0 and p.draft:
            content = content_of(p.draft)
            progress = None
        else:
            content = await pledge_content(s, p)
            progress = await item_progress(s, self.deps.ext, [it["id"] for it in content["items"]])
        person = await s.get(Person, p.person_id)
        branch = await s.get(Branch, p.branch_id)
        return render_card(
            content,
            year=p.year,
            name=person.display_name if person else "",
            branch=branch.name if branch else "",
            theme=await theme_for(s, self.deps.ext, p.org_id, p.year),
            status=status_label(p.status, p.approved_version),
            progress=progress,
            comment=p.secretary_comment if p.status == PledgeStatus.RETURNED else None,
        )

    async def my_pledges(self, actor: Actor) -> list[tuple[int, int, str]]:
        """(pledge id, year, branch name) of every pledge the person ever made, newest first; the person
        keeps this read access after leaving the branch."""
        async with self.deps.db.session() as s:
            rows = await s.execute(
                select(Pledge.id, Pledge.year, Branch.name)
                .join(Branch, Branch.id == Pledge.branch_id)
                .where(Pledge.person_id == actor.person_id, Pledge.version > 0)
                .order_by(Pledge.year.desc(), Pledge.id.desc())
            )
            return [(int(i), int(y), n) for i, y, n in rows.all()]
