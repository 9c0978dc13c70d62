"""The reading section of a member's year file (/namcuatoi): the days they marked the daily item read."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.daily.models import DailyRead
from bot.i18n import _
from bot.services.deps import Deps
from bot.services.extensions import YearFigure, YearRow, YearSection


async def _year_file_section(
    s: AsyncSession, deps: Deps, person_id: int, branch_id: int, year: int, tz: ZoneInfo
) -> YearSection:
    # Reading is the person's own habit, not a branch's: every day they read counts, whichever chat it was in.
    days = list(
        (
            await s.execute(
                select(DailyRead.day)
                .where(DailyRead.person_id == person_id, DailyRead.day >= date(year, 1, 1),
                       DailyRead.day <= date(year, 12, 31))
                .order_by(DailyRead.day)
            )
        ).scalars()
    )
    months = len({d.month for d in days})
    return YearSection(
        key="reading",
        title=_("Studying Uncle Hồ every day"),
        order=40,
        figures=(
            YearFigure("days", _("Reading days"), len(days), [YearRow(d, _("Read the daily item")) for d in days],
                       note=_("in {n} month(s)").format(n=months) if days else ""),
        ),
    )
