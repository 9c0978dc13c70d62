"""Joining on the dashboard's branch page: the join requests waiting for the secretary."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import _
from bot.services.deps import Deps
from bot.services.extensions import PendingItem
from storage.models.people import Membership, MembershipStatus, Person


async def _join_requests(s: AsyncSession, deps: Deps, branch_id: int) -> list[PendingItem]:
    rows = (
        await s.execute(
            select(Membership.requested_at, Person.display_name)
            .join(Person, Person.id == Membership.person_id)
            .where(Membership.branch_id == branch_id, Membership.status == MembershipStatus.PENDING.value)
            .order_by(Membership.requested_at, Membership.id)
        )
    ).all()
    return [PendingItem(_("{name} asks to join").format(name=name), at) for at, name in rows]
