"""Emulation: the report figure ("emulation_projects": emulation projects registered in the period, per branch)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.emulation.models import EmulationProject
from bot.services.deps import Deps
from bot.services.extensions import BranchScope


async def _figures(s: AsyncSession, deps: Deps, branch_id: int, start: datetime,
                   end: datetime) -> dict[str, float | int]:
    n = (await s.execute(select(func.count()).select_from(EmulationProject).where(
        EmulationProject.branch_id == branch_id, EmulationProject.created_at >= start,
        EmulationProject.created_at < end))).scalar_one()
    return {"emulation_projects": int(n)}


async def _figures_bulk(s: AsyncSession, deps: Deps, branch_ids: BranchScope, start: datetime,
                        end: datetime) -> dict[int, dict[str, float | int]]:
    rows = await s.execute(select(EmulationProject.branch_id, func.count()).where(
        branch_ids.where(EmulationProject.branch_id), EmulationProject.created_at >= start,
        EmulationProject.created_at < end)
        .group_by(EmulationProject.branch_id))
    counts = dict(rows.all())
    return {b: {"emulation_projects": int(counts.get(b, 0))} for b in branch_ids}
