"""Good deeds on the dashboard's branch page: deeds per week (reported, accepted) and the deeds to review."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.deeds.models import Deed, DeedStatus
from bot.i18n import _
from bot.services.deps import Deps
from bot.services.extensions import PendingItem
from bot.services.timeline import buckets, count_days, local_day
from storage.models.people import Person

ACCEPTED = (DeedStatus.ACCEPTED.value, DeedStatus.FEATURED.value)
SHORT = 80  # characters of a deed shown in the list of work waiting


async def _per_week(s: AsyncSession, deps: Deps, branch_id: int, start: datetime, end: datetime,
                    statuses: tuple[str, ...] | None) -> list[tuple[str, float | int]]:
    # Counted as the report's figures count them: by when the deed was sent, a withdrawn one never.
    q = select(Deed.created_at).where(Deed.branch_id == branch_id, Deed.created_at >= start, Deed.created_at < end)
    q = q.where(Deed.status.in_(statuses)) if statuses else q.where(Deed.status != DeedStatus.WITHDRAWN.value)
    tz = deps.settings.tz
    days = [local_day(at, tz) for at in (await s.execute(q)).scalars().all()]
    return list(count_days(buckets(start, end, tz, deps.clock.now()), days))


async def _reported_series(s: AsyncSession, deps: Deps, branch_id: int, start: datetime,
                           end: datetime) -> list[tuple[str, float | int]]:
    return await _per_week(s, deps, branch_id, start, end, None)


async def _accepted_series(s: AsyncSession, deps: Deps, branch_id: int, start: datetime,
                           end: datetime) -> list[tuple[str, float | int]]:
    return await _per_week(s, deps, branch_id, start, end, ACCEPTED)


async def _to_review(s: AsyncSession, deps: Deps, branch_id: int) -> list[PendingItem]:
    rows = (
        await s.execute(
            select(Deed, Person.display_name)
            .join(Person, Person.id == Deed.person_id)
            .where(Deed.branch_id == branch_id, Deed.status == DeedStatus.PENDING.value, Deed.erased.is_(False))
            .order_by(Deed.created_at, Deed.id)
        )
    ).all()
    out: list[PendingItem] = []
    for deed, name in rows:
        text = deed.text or _("(a voice note)")
        if len(text) > SHORT:
            text = text[: SHORT - 1].rstrip() + "…"
        out.append(PendingItem(f"{name}: {text}", deed.created_at))
    return out
