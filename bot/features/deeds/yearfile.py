"""The deeds section of a member's year file (/namcuatoi): every good deed of the year with its review state,
those reported by a plain message or a photo, and those linked to a pledge item."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.deeds.callbacks import LinkDeed
from bot.features.deeds.models import Deed, DeedStatus
from bot.i18n import _
from bot.services.deps import Deps
from bot.services.extensions import YearFigure, YearRow, YearSection

MESSAGE_SOURCES = ("hashtag", "photo", "text")  # reported by a plain message or a photo, not the form
_SHORT = 18


def review_word(status: str) -> str:
    """The review state in the file's words (short, for a dated row)."""
    return {
        DeedStatus.PENDING.value: _("waiting for review"),
        DeedStatus.ACCEPTED.value: _("recorded"),
        DeedStatus.FEATURED.value: _("commended"),
        DeedStatus.RETURNED.value: _("returned"),
    }.get(status, status)


def _short(text: str) -> str:
    words = " ".join(text.split())
    return words if len(words) <= _SHORT else words[:_SHORT + 1].rsplit(" ", 1)[0] + "…"


async def year_deeds(s: AsyncSession, person_id: int, branch_id: int, year: int) -> list[Deed]:
    """The member's deeds done in the year in this branch, withdrawn and erased ones left out."""
    rows = await s.execute(
        select(Deed)
        .where(
            Deed.person_id == person_id,
            Deed.branch_id == branch_id,
            Deed.day >= date(year, 1, 1),
            Deed.day <= date(year, 12, 31),
            Deed.erased.is_(False),
            Deed.status != DeedStatus.WITHDRAWN.value,
        )
        .order_by(Deed.day, Deed.id)
    )
    return list(rows.scalars().all())


async def _year_file_section(
    s: AsyncSession, deps: Deps, person_id: int, branch_id: int, year: int, tz: ZoneInfo
) -> YearSection:
    deeds = await year_deeds(s, person_id, branch_id, year)
    items: dict[int, str] = {}
    if deps.ext.providers.pledge_items is not None:
        items = dict(await deps.ext.providers.pledge_items(s, person_id, year))

    def row(d: Deed, *, offer_link: bool = False) -> YearRow:
        text = d.text or _("(a voice note)")
        line = f"{text} ({review_word(d.status)})"
        if d.pledge_item_id is not None and d.pledge_item_id in items:
            line += " — " + _("pledged deed {item}").format(item=items[d.pledge_item_id])
        action = None
        if offer_link and items and d.pledge_item_id is None and d.id is not None:
            label = _("🎯 Link {day} · {deed}").format(day=d.day.strftime("%d/%m"), deed=_short(text))
            action = (label, LinkDeed(d.id).pack())
        return YearRow(d.day, line, action)

    counted = [d for d in deeds if d.status in (DeedStatus.ACCEPTED.value, DeedStatus.FEATURED.value)]
    featured = [d for d in deeds if d.status == DeedStatus.FEATURED.value]
    by_message = [d for d in deeds if d.source in MESSAGE_SOURCES]
    linked = [d for d in deeds if d.pledge_item_id is not None]
    return YearSection(
        key="deeds",
        title=_("Good deeds"),
        order=20,
        figures=(
            YearFigure("all", _("Good deeds done"), len(deeds), [row(d, offer_link=True) for d in deeds],
                       note=_("recorded {n}").format(n=len(counted))),
            YearFigure("featured", _("Commended by the branch"), len(featured), [row(d) for d in featured]),
            YearFigure("message", _("Reported by a message or a photo"), len(by_message),
                       [row(d, offer_link=True) for d in by_message]),
            YearFigure("linked", _("Linked to a pledged deed"), len(linked), [row(d) for d in linked]),
        ),
    )
