"""Contests: the report figure ("contest_entries": contest entries submitted in the period, per branch)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.contests.models import ContestEntry
from bot.services.deps import Deps
from bot.services.extensions import BranchScope


async def _figures(s: AsyncSession, deps: Deps, branch_id: int, start: datetime,
                   end: datetime) -> dict[str, float | int]:
    n = (await s.execute(select(func.count()).select_from(ContestEntry).where(
        ContestEntry.branch_id == branch_id, ContestEntry.created_at >= start,
        ContestEntry.created_at < end))).scalar_one()
    return {"contest_entries": int(n)}


async def _figures_bulk(s: AsyncSession, deps: Deps, branch_ids: BranchScope, start: datetime,
                        end: datetime) -> dict[int, dict[str, float | int]]:
    rows = await s.execute(select(ContestEntry.branch_id, func.count()).where(
        branch_ids.where(ContestEntry.branch_id), ContestEntry.created_at >= start,
        ContestEntry.created_at < end)
        .group_by(ContestEntry.branch_id))
    counts = dict(rows.all())
    return {b: {"contest_entries": int(counts.get(b, 0))} for b in branch_ids}
