"""Dashboard: an erased person's sign-in links and sessions go (their browser is signed out at once)."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.dashboard.models import DashboardLink, DashboardSession
from bot.services.deps import Deps


async def _erase_dashboard(s: AsyncSession, person_id: int, deps: Deps) -> None:
    await s.execute(delete(DashboardLink).where(DashboardLink.person_id == person_id))
    await s.execute(delete(DashboardSession).where(DashboardSession.person_id == person_id))
