"""Good deeds: who may see a deed, one deed, and the branch's commended deeds."""

from __future__ import annotations

import logging

from sqlalchemy import select

from bot.features.deeds.access import DeedUseCase
from bot.features.deeds.models import Deed, DeedStatus, ShareConsent
from bot.i18n import _
from bot.services.actor import Actor
from bot.services.errors import NotFound
from bot.services.permissions import can_manage_branch
from storage.models.org import Branch
from storage.models.people import Person

log = logging.getLogger("hocbac.deeds")


class DeedViewing(DeedUseCase):
    @staticmethod
    def can_see(actor: Actor, deed: Deed, branch: Branch) -> bool:
        """The member, their branch's secretary/deputy and committee admins of the đảng bộ; other
        members of the branch only featured deeds the member agreed to share."""
        if deed.erased:
            return False
        if deed.person_id == actor.person_id or can_manage_branch(actor, branch.id, branch.org_id):
            return True
        return (
            deed.status == DeedStatus.FEATURED.value
            and deed.share == ShareConsent.YES.value
            and actor.seat(branch.id) is not None
        )

    async def view(self, actor: Actor, deed_id: int) -> tuple[Deed, str]:
        async with self.deps.db.session() as s:
            deed, branch = await self._load(s, deed_id)
            if not self.can_see(actor, deed, branch):
                log.warning("deed %s: person %s may not see it", deed_id, actor.person_id)
                raise NotFound(_("That good deed no longer exists."))
            person = await s.get(Person, deed.person_id)
            return deed, person.display_name if person else "?"

    async def featured(
        self, actor: Actor, branch_id: int | None = None, limit: int = 10
    ) -> list[tuple[Deed, str]]:
        """Featured deeds of the actor's branch that the actor may see (shared ones, for plain members)."""
        branch_id = self._branch_for(actor, branch_id)
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            assert branch is not None
            rows = (
                await s.execute(
                    select(Deed, Person.display_name)
                    .join(Person, Person.id == Deed.person_id)
                    .where(
                        Deed.branch_id == branch_id,
                        Deed.status == DeedStatus.FEATURED.value,
                        Deed.erased.is_(False),
                    )
                    .order_by(Deed.reviewed_at.desc())
                    .limit(limit * 3)
                )
            ).all()
            return [(d, n) for d, n in rows if self.can_see(actor, d, branch)][:limit]
