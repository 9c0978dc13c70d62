"""Good deeds: the đảng bộ's list of deed categories (read by members, replaced by committee admins)."""

from __future__ import annotations

from sqlalchemy import delete

from bot.features.deeds.access import DeedUseCase
from bot.features.deeds.models import DeedCategory
from bot.i18n import _
from bot.services import audit
from bot.services.actor import Actor
from bot.services.errors import InvalidInput, NotFound
from bot.services.permissions import require_org_admin
from storage.models.org import Branch


class DeedCategories(DeedUseCase):
    async def categories(self, org_id: int) -> list[str]:
        async with self.deps.db.session() as s:
            return await self._categories(s, org_id)

    async def categories_for(self, actor: Actor, branch_id: int | None = None) -> list[str]:
        branch_id = branch_id if branch_id is not None else self._branch_for(actor, None)
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            if branch is None:
                raise NotFound(_("That branch does not exist."))
            return await self._categories(s, branch.org_id)

    async def set_categories(self, actor: Actor, org_id: int, names: list[str]) -> list[str]:
        """Replace the đảng bộ's list (committee admins). Old deeds keep the name they were filed under."""
        require_org_admin(actor, org_id, "deed_categories")
        clean: list[str] = []
        for name in names:
            name = " ".join(name.split())
            if name and name.casefold() not in {c.casefold() for c in clean}:
                if len(name) > 100:
                    raise InvalidInput(_("That name is too long (at most {n} characters).").format(n=100))
                clean.append(name)
        if not clean or len(clean) > 12:
            raise InvalidInput(_("Please give between 1 and 12 categories, separated by commas."))
        async with self.deps.db.session() as s:
            await s.execute(delete(DeedCategory).where(DeedCategory.org_id == org_id))
            for i, name in enumerate(clean):
                s.add(DeedCategory(org_id=org_id, name=name, position=i))
            await audit.record(
                s,
                at=self.deps.clock.now(),
                actor_person_id=actor.person_id,
                action="deed.categories",
                org_id=org_id,
                details={"names": clean},
            )
        return clean
