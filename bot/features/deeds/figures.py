"""Good deeds: what feature.py declares for reports — figures, the no-deed audience, deeds for pledge items."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.deeds.models import Deed, DeedStatus
from bot.i18n import _
from bot.services.deps import Deps
from bot.services.extensions import BranchScope
from storage.models.people import Membership, MembershipStatus

COUNTED = (DeedStatus.PENDING.value, DeedStatus.ACCEPTED.value, DeedStatus.FEATURED.value)


async def _deeds_for_pledge_items(s: AsyncSession, item_ids: list[int]) -> dict[int, list[tuple[date, str]]]:
    if not item_ids:
        return {}
    rows = (
        (
            await s.execute(
                select(Deed)
                .where(Deed.pledge_item_id.in_(item_ids), Deed.erased.is_(False), Deed.status.in_(COUNTED))
                .order_by(Deed.day)
            )
        )
        .scalars()
        .all()
    )
    out: dict[int, list[tuple[date, str]]] = {}
    for d in rows:
        out.setdefault(d.pledge_item_id, []).append((d.day, d.text or _("(a voice note)")))  # type: ignore[arg-type]
    return out


async def _no_deed_month(s: AsyncSession, deps: Deps, branch_id: int, now: datetime) -> set[int]:
    """Active members of the branch with no deed this (local) month: for gentle encouragement."""
    first = now.astimezone(deps.settings.tz).date().replace(day=1)
    members = set(
        (
            await s.execute(
                select(Membership.person_id).where(
                    Membership.branch_id == branch_id, Membership.status == MembershipStatus.ACTIVE.value
                )
            )
        )
        .scalars()
        .all()
    )
    with_deeds = set(
        (
            await s.execute(
                select(Deed.person_id).where(
                    Deed.branch_id == branch_id, Deed.day >= first, Deed.status.in_(COUNTED)
                )
            )
        )
        .scalars()
        .all()
    )
    return members - with_deeds


async def _figures(
    s: AsyncSession, deps: Deps, branch_id: int, start: datetime, end: datetime
) -> dict[str, float | int]:
    rows = (
        await s.execute(
            select(Deed.status, func.count())
            .where(Deed.branch_id == branch_id, Deed.created_at >= start, Deed.created_at < end)
            .group_by(Deed.status)
        )
    ).all()
    by = {status: int(n) for status, n in rows}
    return {
        "deeds_reported": sum(n for st, n in by.items() if st != DeedStatus.WITHDRAWN.value),
        "deeds_accepted": by.get(DeedStatus.ACCEPTED.value, 0) + by.get(DeedStatus.FEATURED.value, 0),
        "deeds_featured": by.get(DeedStatus.FEATURED.value, 0),
    }


async def _figures_bulk(
    s: AsyncSession, deps: Deps, branch_ids: BranchScope, start: datetime, end: datetime
) -> dict[int, dict[str, float | int]]:
    """``_figures`` for many branches in one GROUP BY query."""
    out: dict[int, dict[str, float | int]] = {
        b: {"deeds_reported": 0, "deeds_accepted": 0, "deeds_featured": 0} for b in branch_ids}
    rows = await s.execute(
        select(Deed.branch_id, Deed.status, func.count())
        .where(branch_ids.where(Deed.branch_id), Deed.created_at >= start, Deed.created_at < end)
        .group_by(Deed.branch_id, Deed.status)
    )
    for branch_id, status, n in rows.all():
        f = out[branch_id]
        if status != DeedStatus.WITHDRAWN.value:
            f["deeds_reported"] += int(n)
        if status in (DeedStatus.ACCEPTED.value, DeedStatus.FEATURED.value):
            f["deeds_accepted"] += int(n)
        if status == DeedStatus.FEATURED.value:
            f["deeds_featured"] += int(n)
    return out
