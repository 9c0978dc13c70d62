""""Học Bác mỗi ngày": what every use case shares — the clock, the items one đảng bộ sees, its year theme,
and how today's item is shown."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.content import ContentError, ContentItem, load_library
from bot.content import render_item as _render
from bot.features.daily.callbacks import MarkRead
from bot.features.daily.models import ContentItemRow, YearTheme
from bot.i18n import _
from bot.messages import Button, Reply, esc
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.errors import NotFound
from bot.services.permissions import committee_org
from storage.models.org import Organization


@cache
def shipped_items() -> tuple[ContentItem, ...]:
    """The shipped library, loaded and validated once per process."""
    return tuple(load_library().all())


def check_library(path: Path | None = None) -> int:
    """Start-up check: the library loads and has shippable items, else stop with one clear line."""
    try:
        count = len(shipped_items()) if path is None else len(load_library(path))
    except ContentError as exc:
        raise SystemExit(f"hocbac: cannot start, content library: {exc}") from None
    if count == 0:  # load_library refuses an empty library; this guards a future change of that rule
        raise SystemExit("hocbac: cannot start, content library: no shippable items")
    return count


DAILY_EXAMPLE = "06:30"  # the example time shown when a delivery time cannot be read


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return pg_insert if dialect == "postgresql" else sqlite_insert


def _row_to_item(row: ContentItemRow) -> ContentItem:
    return ContentItem(id=row.item_id, kind=row.kind, text=row.text, source_url=row.source_url, work=row.work,
                       date=row.date, citation=row.citation, via=row.via, source_outlet=row.source_outlet,
                       themes=tuple(row.themes or ()),
                       occasions=tuple(row.occasions or ()), lead=row.lead, reflection=row.reflection,
                       confidence=row.confidence, also_seen=row.also_seen, note=row.note,
                       owner_org_id=row.org_id)


def _not_joined() -> NotFound:
    return NotFound(_("You have not joined a branch yet. Send the join code from your branch secretary."))


def actor_org(actor: Actor) -> int | None:
    """The đảng bộ whose items a person sees: their branch's, else the one they administer."""
    seat = actor.primary_branch
    if seat is not None:
        return seat.org_id
    return committee_org(actor)


@dataclass(frozen=True, slots=True)
class Theme:
    year: int
    title: str
    themes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Today:
    day: date
    item: ContentItem
    theme: Theme | None
    added_by: str | None = None  # the đảng bộ that imported the item (None for the shipped library)

    @property
    def header(self) -> str | None:
        if self.theme and set(self.theme.themes).intersection(self.item.themes):
            return _("Year theme {year}: {title}").format(year=self.theme.year, title=self.theme.title)
        return None


def render_daily(today: Today, *, with_button: bool = True) -> Reply:
    """The daily message (in the current locale): item, source, and the voluntary "Đã đọc ✓" button."""
    buttons = [[Button(_("Read ✓"), MarkRead(today.day).pack())]] if with_button else []
    return Reply(text=with_added_by(today.item, today.header, today.added_by), buttons=buttons)


def with_added_by(item: ContentItem, header: str | None, added_by: str | None) -> str:
    """The rendered item, with "Do <đảng bộ> bổ sung" right after its source lines for an imported item.

    The renderer knows nothing of đảng bộ: the line goes where the item's own lines end, i.e. before our
    reflection when there is one (the reflection is always rendered last)."""
    full = _render(item, header)
    if item.owner_org_id is None or not added_by:
        return full
    line = "<i>" + esc(_("Added by {org}").format(org=added_by)) + "</i>"
    body = _render(replace(item, reflection=None), header) if item.reflection else full
    if not full.startswith(body):  # a renderer that does not end with the reflection: put it last
        return f"{full}\n{line}"
    return f"{body}\n{line}{full[len(body):]}"


async def org_names(s: AsyncSession, items: Iterable[ContentItem]) -> dict[int, str]:
    """The names of the đảng bộ that imported any of ``items`` (for the "Do … bổ sung" line)."""
    ids = sorted({i.owner_org_id for i in items if i.owner_org_id is not None})
    if not ids:
        return {}
    rows = await s.execute(select(Organization.id, Organization.name).where(Organization.id.in_(ids)))
    return {org_id: name for org_id, name in rows.all()}


class DailyUseCase:
    """Shared by the daily use cases: built once per App by ``services.get``."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    @property
    def tz(self):  # type: ignore[no-untyped-def]
        return self.deps.clock.tz

    def local_today(self) -> date:
        return self.deps.clock.now().astimezone(self.tz).date()

    async def org_items(self, s: AsyncSession, org_id: int | None) -> list[ContentItem]:
        """Shipped items plus those imported by ``org_id``: never another đảng bộ's."""
        items = list(shipped_items())
        if org_id is not None:
            rows = (await s.execute(select(ContentItemRow).where(ContentItemRow.org_id == org_id))).scalars()
            items.extend(_row_to_item(r) for r in rows)
        return items

    async def topics(self, s: AsyncSession, org_id: int | None) -> set[str]:
        """Theme slugs in use by the items this đảng bộ sees (what a year theme may point at)."""
        return {t for i in await self.org_items(s, org_id) for t in i.themes}

    async def theme(self, s: AsyncSession, org_id: int | None, year: int) -> Theme | None:
        if org_id is None:
            return None
        row = await s.get(YearTheme, (org_id, year))
        return Theme(row.year, row.title, tuple(row.themes or ())) if row else None
