""""Học Bác mỗi ngày": a đảng bộ's library — its year theme, importing its own items, search, a random item."""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterable
from pathlib import Path

from bot.content import ContentError, ContentItem, ImportResult, import_file, search
from bot.features.daily.catalog import DailyUseCase, Theme, _insert, actor_org, org_names
from bot.features.daily.models import ContentItemRow, YearTheme
from bot.i18n import _
from bot.services import audit
from bot.services.actor import Actor
from bot.services.errors import InvalidInput
from bot.services.permissions import require_org_admin


class DailyLibrary(DailyUseCase):
    async def get_theme(self, actor: Actor, org_id: int | None = None) -> Theme | None:
        org_id = org_id if org_id is not None else actor_org(actor)
        async with self.deps.db.session() as s:
            return await self.theme(s, org_id, self.local_today().year)

    async def set_theme(self, actor: Actor, org_id: int, title: str, themes: Iterable[str],
                        year: int | None = None) -> Theme:
        """Committee admins only: themes are chosen by each Party committee."""
        require_org_admin(actor, org_id, "set_year_theme")
        title = " ".join(title.split())
        if not title or len(title) > 500:
            raise InvalidInput(_("Please give the theme's title (up to 500 characters)."))
        year = year or self.local_today().year
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            known = await self.topics(s, org_id)
            slugs = tuple(dict.fromkeys(themes))
            unknown = [t for t in slugs if t not in known]
            if unknown:
                raise InvalidInput(_("Unknown topic(s): {names}. Known topics: {known}.").format(
                    names=", ".join(unknown), known=", ".join(sorted(known))))
            stmt = _insert(s)(YearTheme).values(org_id=org_id, year=year, title=title, themes=list(slugs),
                                                set_by=actor.person_id, set_at=now)
            stmt = stmt.on_conflict_do_update(index_elements=["org_id", "year"],
                                              set_={"title": title, "themes": list(slugs),
                                                    "set_by": actor.person_id, "set_at": now})
            await s.execute(stmt)
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="daily.theme",
                               org_id=org_id, target=str(year),
                               details={"title": title, "themes": list(slugs)})
        return Theme(year, title, slugs)

    async def import_items(self, actor: Actor, org_id: int, path: Path) -> ImportResult:
        """Committee admins: validate the whole file, then add every new item in one transaction.
        A broken file raises ContentError (its line and reason) and writes nothing."""
        require_org_admin(actor, org_id, "import_content")
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            existing = await self.org_items(s, org_id)
            result = import_file(path, existing=existing, owner_org_id=org_id,
                                 allowed_domains=self.deps.settings.content_official_domains)
            for item in result.items:
                s.add(ContentItemRow(org_id=org_id, item_id=item.id, kind=item.kind, text=item.text,
                                     source_url=item.source_url, work=item.work, date=item.date,
                                     citation=item.citation, via=item.via,
                                     source_outlet=item.source_outlet, themes=list(item.themes),
                                     occasions=list(item.occasions), lead=item.lead,
                                     reflection=item.reflection,
                                     confidence=item.confidence, also_seen=item.also_seen, note=item.note,
                                     created_by=actor.person_id, created_at=now))
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="daily.import",
                               org_id=org_id, target=path.name, details={"added": len(result.items),
                                                          "skipped": len(result.skipped)})
        return result

    async def import_bytes(self, actor: Actor, org_id: int, data: bytes, file_name: str) -> ImportResult:
        """The same import for a file uploaded in chat (the suffix decides YAML or CSV)."""
        suffix = Path(file_name or "").suffix.lower()
        if suffix not in (".yaml", ".yml", ".csv"):
            raise ContentError(f"{file_name}: unsupported file type (use .yaml or .csv)")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / (Path(file_name).name or f"import{suffix}")
            path.write_bytes(data)
            return await self.import_items(actor, org_id, path)

    async def added_by(self, items: Iterable[ContentItem]) -> dict[int, str]:
        """Names of the đảng bộ that imported ``items`` (for their "Do … bổ sung" line)."""
        items = [i for i in items if i.owner_org_id is not None]
        if not items:
            return {}
        async with self.deps.db.session() as s:
            return await org_names(s, items)

    async def search(self, actor: Actor, query: str, limit: int = 5) -> list[ContentItem]:
        async with self.deps.db.session() as s:
            items = await self.org_items(s, actor_org(actor))
        return search(items, query, limit)

    async def random_item(self, actor: Actor, rng: random.Random | None = None) -> ContentItem:
        async with self.deps.db.session() as s:
            items = await self.org_items(s, actor_org(actor))
        return (rng or random).choice(items)
