"""The materials library's rules: who uploads what for whom, what a member sees, opening, per-branch counts.

Limits: a file is at most 20 MB (what Telegram lets a bot download) and one of PDF, Word (.doc, .docx), or a
JPG/PNG image; a link is http(s) only. Every refusal names the limit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, false, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.library.models import LibraryAttachment, LibraryItem, LibraryOpenCount
from bot.i18n import _
from bot.messages import MediaRef
from bot.services import audit
from bot.services.actor import Actor
from bot.services.deps import Deps
from bot.services.errors import InvalidInput, NotFound
from bot.services.permissions import (
    can_upload_material,
    require_material_counts_reader,
    require_material_reader,
    require_material_uploader,
)
from bot.text import branch_title, fold
from storage.models.org import Branch, Organization

MAX_BYTES = 20 * 1024 * 1024  # Telegram bots download files up to 20 MB
PAGE_SIZE = 5
# extension -> the mime type kept with the file
ALLOWED_FILES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
}
_LINK_RE = re.compile(r"https?://[^\s<>\"]+\.[^\s<>\"]+", re.IGNORECASE)


def type_refusal() -> str:
    return _("This file type cannot be kept in the library. Accepted: PDF, Word (.doc, .docx), JPG or PNG "
             "images up to {limit} MB, or a link starting with http:// or https://.").format(
        limit=MAX_BYTES // 1_048_576)


def check_file(kind: str, mime: str, file_name: str, size: int | None) -> tuple[str, str]:
    """(media kind, mime) of an accepted upload; InvalidInput naming the limit otherwise."""
    if size is not None and size > MAX_BYTES:
        raise InvalidInput(_("That file is too large ({size} MB). The library's limit is {limit} MB.").format(
            size=f"{size / 1_048_576:.1f}".replace(".", ","), limit=MAX_BYTES // 1_048_576))
    if kind == "photo":
        return "photo", "image/jpeg"
    ext = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if ext in ALLOWED_FILES:
        return ("photo" if ALLOWED_FILES[ext].startswith("image/") else "document"), ALLOWED_FILES[ext]
    if not ext and mime in ALLOWED_FILES.values():
        return ("photo" if mime.startswith("image/") else "document"), mime
    raise InvalidInput(type_refusal())


def check_link(text: str) -> str:
    """A link people can open: http(s), no spaces, at most 1,000 characters."""
    link = text.strip()
    if not _LINK_RE.fullmatch(link) or len(link) > 1000:
        raise InvalidInput(_("That is not a link the library can keep: it must start with http:// or https:// "
                             "(e.g. https://example.vn/tai-lieu.pdf), without spaces, within 1,000 characters."))
    return link


def month_label(year: int, month: int | None) -> str:
    return _("month {m}/{y}").format(m=month, y=year) if month else _("year {y}").format(y=year)


@dataclass(frozen=True, slots=True)
class Scope:
    """Whom an upload is for: ``o:<org id>`` (the whole đảng bộ) or ``b:<branch id>`` (one branch)."""

    org_id: int
    branch_id: int | None
    label: str

    @property
    def value(self) -> str:
        return f"b:{self.branch_id}" if self.branch_id else f"o:{self.org_id}"


@dataclass(frozen=True, slots=True)
class Page:
    items: list[LibraryItem]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


@dataclass(frozen=True, slots=True)
class OrgCounts:
    """A đảng bộ's items and how often each branch opened each (never who)."""

    org_name: str
    items: list[LibraryItem]
    branches: list[Branch]
    opens: dict[tuple[int, int], int]  # (item id, branch id) -> opens

    def total(self, item_id: int) -> int:
        return sum(n for (i, _b), n in self.opens.items() if i == item_id)

    def branches_opened(self, item_id: int) -> int:
        return sum(1 for (i, _b), n in self.opens.items() if i == item_id and n)

    def for_branch(self, item: LibraryItem) -> list[Branch]:
        """The branches an item is for."""
        return [b for b in self.branches if item.branch_id is None or b.id == item.branch_id]


def _visible_to(actor: Actor) -> Any:
    """The SQL condition: items the actor sees (their branches', their đảng bộ's, their committee's)."""
    seats = actor.active_seats()
    conds: list[Any] = []
    orgs = {s.org_id for s in seats}
    if orgs:
        conds.append(and_(LibraryItem.org_id.in_(orgs), LibraryItem.branch_id.is_(None)))
    if seats:
        conds.append(LibraryItem.branch_id.in_([s.branch_id for s in seats]))
    if actor.admin_org_ids:
        conds.append(LibraryItem.org_id.in_(actor.admin_org_ids))
    return or_(*conds) if conds else false()


class Library:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def scopes(self, actor: Actor) -> list[Scope]:
        """What the actor may upload for: their committee's đảng bộ, the branches they manage."""
        out: list[Scope] = []
        async with self.deps.db.session() as s:
            for org_id in sorted(actor.admin_org_ids):
                org = await s.get(Organization, org_id)
                if org is not None:
                    out.append(Scope(org_id, None, _("The whole {org}").format(org=org.name)))
            for seat in actor.active_seats():
                if can_upload_material(actor, seat.org_id, seat.branch_id) and seat.org_id not in actor.admin_org_ids:
                    out.append(Scope(seat.org_id, seat.branch_id, branch_title(seat.branch_name)))
        return out

    async def add(self, actor: Actor, scope: str, *, title: str, year: int, month: int | None, theme: str = "",
                  link: str = "", media: dict[str, Any] | None = None) -> LibraryItem:
        """Keep a new item. ``scope``: ``o:<org id>`` or ``b:<branch id>``; ``media``: a stored MediaRef dict."""
        kind, _sep, raw = scope.partition(":")
        if kind not in ("o", "b") or not raw.isdigit():
            raise InvalidInput(_("Please choose whom the document is for."))
        if month is not None and not 1 <= month <= 12:
            raise InvalidInput(_("The month must be between 1 and 12."))
        if not title.strip():
            raise InvalidInput(_("The answer is empty. Please type it."))
        async with self.deps.db.session() as s:
            if kind == "b":
                branch = await s.get(Branch, int(raw))
                if branch is None:
                    raise NotFound(_("Unknown branch."))
                org_id, branch_id = branch.org_id, branch.id
            else:
                org_id, branch_id = int(raw), None
            require_material_uploader(actor, org_id, branch_id)
            if bool(link) == bool(media):
                raise InvalidInput(type_refusal())
            ref = MediaRef.from_dict(media) if media else None
            if ref is not None:
                check_file(ref.kind, ref.mime, ref.file_name or "", ref.size)
            item = LibraryItem(
                org_id=org_id, branch_id=branch_id, title=title.strip()[:200], kind="link" if link else "file",
                url=check_link(link) if link else "", media_key=ref.media_key if ref else "",
                media_kind=ref.kind if ref else "document", mime=ref.mime if ref else "",
                file_name=(ref.file_name if ref else "")[:200], size=ref.size if ref else None,
                year=year, month=month, theme=theme.strip()[:200],
                search=fold(" ".join((title, theme, ref.file_name if ref else "")))[:1000],
                created_by=actor.person_id, created_at=self.deps.clock.now(),
            )
            s.add(item)
            await s.flush()
            await audit.record(s, at=self.deps.clock.now(), actor_person_id=actor.person_id, action="library.add",
                               org_id=org_id, branch_id=branch_id, target=f"library:{item.id}")
            return item

    async def page(self, actor: Actor, query: str = "", page: int = 0) -> Page:
        """The items the actor sees, newest first, matching every typed word (with or without diacritics)."""
        cond = _visible_to(actor)
        for word in fold(query).split()[:8]:
            cond = and_(cond, LibraryItem.search.contains(word))
        async with self.deps.db.session() as s:
            total = (await s.execute(select(func.count()).select_from(LibraryItem).where(cond))).scalar_one()
            page = max(0, min(page, max(0, (total - 1) // PAGE_SIZE)))
            rows = (await s.execute(
                select(LibraryItem).where(cond)
                .order_by(LibraryItem.created_at.desc(), LibraryItem.id.desc())
                .offset(page * PAGE_SIZE).limit(PAGE_SIZE))).scalars().all()
        return Page(list(rows), int(total), page)

    async def open(self, actor: Actor, item_id: int) -> LibraryItem:
        """The item, for the actor to read; one more open for the actor's branch (a count, no name kept)."""
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            item = await s.get(LibraryItem, item_id)
            if item is None:
                raise NotFound(_("That document is no longer in the library."))
            require_material_reader(actor, item.org_id, item.branch_id)
            seats = [x for x in actor.active_seats() if x.org_id == item.org_id
                     and (item.branch_id is None or x.branch_id == item.branch_id)]
            if seats:
                await _count_open(s, item_id, seats[0].branch_id, now)
            return item

    async def counts(self, actor: Actor, org_id: int) -> OrgCounts:
        async with self.deps.db.session() as s:
            require_material_counts_reader(actor, org_id)
            org = await s.get(Organization, org_id)
            if org is None:
                raise NotFound(_("Unknown đảng bộ."))
            items = (await s.execute(select(LibraryItem).where(LibraryItem.org_id == org_id)
                                     .order_by(LibraryItem.year.desc(), LibraryItem.month.desc(),
                                               LibraryItem.id.desc()))).scalars().all()
            branches = (await s.execute(select(Branch).where(Branch.org_id == org_id).order_by(Branch.id))
                        ).scalars().all()
            rows = (await s.execute(
                select(LibraryOpenCount.item_id, LibraryOpenCount.branch_id, LibraryOpenCount.opens)
                .join(LibraryItem, LibraryItem.id == LibraryOpenCount.item_id)
                .where(LibraryItem.org_id == org_id))).all()
        return OrgCounts(org.name, list(items), list(branches), {(i, b): n for i, b, n in rows})


async def _count_open(s: AsyncSession, item_id: int, branch_id: int, now: datetime) -> None:
    """One guarded UPDATE, or the first row; two workers inserting at once end as one row counting both."""
    bump = (update(LibraryOpenCount)
            .where(LibraryOpenCount.item_id == item_id, LibraryOpenCount.branch_id == branch_id)
            .values(opens=LibraryOpenCount.opens + 1, last_at=now))
    if (await s.execute(bump)).rowcount:  # type: ignore[attr-defined]
        return
    try:
        async with s.begin_nested():
            s.add(LibraryOpenCount(item_id=item_id, branch_id=branch_id, opens=1, last_at=now))
    except IntegrityError:
        await s.execute(bump)


# --- providers for the meetings feature (declared in feature.py) --------------------------------------------


async def items_for(s: AsyncSession, branch_id: int, month: date) -> list[tuple[int, str]]:
    """The branch's and its đảng bộ's items for ``month`` (those tagged with the month first, then those for
    the whole year), newest first, at most five: what a meeting notice or a reminder offers."""
    branch = await s.get(Branch, branch_id)
    if branch is None:
        return []
    rows = (await s.execute(
        select(LibraryItem.id, LibraryItem.title)
        .where(LibraryItem.org_id == branch.org_id,
               or_(LibraryItem.branch_id.is_(None), LibraryItem.branch_id == branch_id),
               LibraryItem.year == month.year,
               or_(LibraryItem.month == month.month, LibraryItem.month.is_(None)))
        .order_by(LibraryItem.month.is_(None), LibraryItem.created_at.desc(), LibraryItem.id.desc())
        .limit(PAGE_SIZE))).all()
    return [(int(i), str(t)) for i, t in rows]


async def attach(s: AsyncSession, meeting_id: int, branch_id: int, item_ids: Sequence[int]) -> None:
    """Attach items to a meeting of ``branch_id`` (its scheduler was checked by the meetings feature); only
    items that branch's members can see."""
    branch = await s.get(Branch, branch_id)
    if branch is None:
        return
    for item_id in dict.fromkeys(item_ids):
        item = await s.get(LibraryItem, item_id)
        if item is None or item.org_id != branch.org_id or item.branch_id not in (None, branch_id):
            continue
        exists = (await s.execute(select(LibraryAttachment.id).where(
            LibraryAttachment.meeting_id == meeting_id, LibraryAttachment.item_id == item_id))).first()
        if exists is None:
            s.add(LibraryAttachment(meeting_id=meeting_id, item_id=item_id))
    await s.flush()


async def attached(s: AsyncSession, meeting_id: int) -> list[tuple[int, str]]:
    rows = (await s.execute(
        select(LibraryItem.id, LibraryItem.title)
        .join(LibraryAttachment, LibraryAttachment.item_id == LibraryItem.id)
        .where(LibraryAttachment.meeting_id == meeting_id).order_by(LibraryAttachment.id))).all()
    return [(int(i), str(t)) for i, t in rows]
