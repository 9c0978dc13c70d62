"""Good deeds: the base of every use case (today, the actor's branch, loading a deed, the categories).

Every use case checks permissions; handlers only hide what would be refused anyway. Anything said
to someone other than the actor (outcomes, group posts, notices to the secretary) goes through the outbox
inside the use case's transaction. Media are media-store keys, never platform file ids.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import local_today
from bot.features.deeds.models import Deed, DeedCategory
from bot.i18n import _
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.errors import InvalidInput, NotFound
from storage.models.org import Branch

DEFAULT_CATEGORIES = ("giúp đỡ nhân dân", "công việc chuyên môn", "giữ gìn môi trường", "từ thiện", "khác")


class DeedUseCase:
    """Shared by the deed use cases: built once per App by ``services.get``."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def today(self) -> date:
        return local_today(self.deps.clock)

    def _branch_for(self, actor: Actor, branch_id: int | None) -> int:
        if branch_id is not None:
            if actor.seat(branch_id) is None:
                raise InvalidInput(_("You are not an active member of that branch."))
            return branch_id
        seat = actor.primary_branch
        if seat is None:
            raise InvalidInput(
                _("You have not joined a branch yet. Send the join code from your branch secretary.")
            )
        return seat.branch_id

    async def _load(self, s: AsyncSession, deed_id: int) -> tuple[Deed, Branch]:
        deed = await s.get(Deed, deed_id)
        if deed is None or deed.erased:
            raise NotFound(_("That good deed no longer exists."))
        branch = await s.get(Branch, deed.branch_id)
        assert branch is not None
        return deed, branch

    async def _categories(self, s: AsyncSession, org_id: int) -> list[str]:
        rows = (
            (
                await s.execute(
                    select(DeedCategory.name)
                    .where(DeedCategory.org_id == org_id)
                    .order_by(DeedCategory.position, DeedCategory.id)
                )
            )
            .scalars()
            .all()
        )
        if rows:
            return list(rows)
        for i, name in enumerate(DEFAULT_CATEGORIES):
            s.add(DeedCategory(org_id=org_id, name=name, position=i))
        await s.flush()
        return list(DEFAULT_CATEGORIES)
