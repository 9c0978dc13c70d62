""""Học Bác mỗi ngày": today's item per branch, delivery preferences, themes, import, reading receipts,
and the minute tick that queues everyone whose delivery time has come.

Choosing: an item tagged for today's occasion wins, then the đảng bộ's year theme, then the rest; no item
repeats within a đảng bộ until every item was used (then least recently used first). The choice is seeded
by the đảng bộ, so all its branches read the same item on a day; it is stored per (branch, day) and the
đảng bộ's usage per day, so a later import or theme change never changes what a branch already got.
"""

from __future__ import annotations

import logging
import random
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import Select, and_, delete, exists, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import to_utc
from bot.content import (
    ContentError,
    ContentItem,
    ImportResult,
    choose_item,
    import_file,
    load_library,
    search,
)
from bot.content import render_item as _render
from bot.features.daily.callbacks import MarkRead
from bot.features.daily.models import (
    DEFAULT_MINUTE,
    BranchDaily,
    ContentItemRow,
    DailyChoice,
    DailyPref,
    DailyRead,
    DailyUsage,
    YearTheme,
)
from bot.i18n import _
from bot.kernel.callbacks import StaleButton
from bot.messages import Button, ChatRef, Reply
from bot.services import audit, outbox
from bot.services.actor import Actor
from bot.services.deps import Deps, Services
from bot.services.errors import InvalidInput, NotFound
from bot.services.notify import Addressee, notify_many
from bot.services.permissions import (
    committee_org,
    group_link_branch,
    is_member,
    require_active_member,
    require_branch_manager,
    require_org_admin,
)
from bot.text import parse_time_of_day
from storage.models.org import Branch
from storage.models.outbox import OutboxMessage, OutboxStatus
from storage.models.people import Identity, Membership, MembershipStatus, Person

log = logging.getLogger("hocbac.daily")

DAILY_KIND = "daily"
GROUP_KIND = "daily_group"
DAILY_PRIORITY = 9  # bulk: interactive notices (0) and broadcasts (5) go first
READ_WINDOW_DAYS = 7  # a "Đã đọc" press older than this is refused as stale


@cache
def shipped_items() -> tuple[ContentItem, ...]:
    """The shipped library, loaded and validated once per process."""
    return tuple(load_library().all())


def parse_hhmm(text: str) -> int | None:
    """"06:30", "6:30", "6h30", "6h", "06.30" -> minute of the day; anything else (e.g. "25:99") -> None."""
    t = parse_time_of_day(text)
    return None if t is None else t.hour * 60 + t.minute


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return pg_insert if dialect == "postgresql" else sqlite_insert


def _row_to_item(row: ContentItemRow) -> ContentItem:
    return ContentItem(id=row.item_id, kind=row.kind, text=row.text, source_url=row.source_url, work=row.work,
                       date=row.date, citation=row.citation, themes=tuple(row.themes or ()),
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

    @property
    def header(self) -> str | None:
        if self.theme and set(self.theme.themes).intersection(self.item.themes):
            return _("Year theme {year}: {title}").format(year=self.theme.year, title=self.theme.title)
        return None


def render_daily(today: Today, *, with_button: bool = True) -> Reply:
    """The daily message (in the current locale): item, source, and the voluntary "Đã đọc ✓" button."""
    buttons = [[Button(_("Read ✓"), MarkRead(today.day).pack())]] if with_button else []
    return Reply(text=_render(today.item, today.header), buttons=buttons)


@dataclass(frozen=True, slots=True)
class Prefs:
    minute: int = DEFAULT_MINUTE
    days: str = "all"
    paused_until: date | None = None
    group_only: bool = False


@dataclass(frozen=True, slots=True)
class WeekReads:
    since: date
    members: int
    readers: int
    reads: int
    unreachable: int


@dataclass
class TickStats:
    queued: int = 0
    groups: int = 0
    skipped_late: int = 0


class DailyService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        # (day -> branch -> item): a stored choice never changes, so the tick keeps it in memory and
        # asks the database only for branches it has not seen today.
        self._chosen: dict[date, dict[int, ContentItem]] = {}
        self._org_pick: dict[tuple[int, date], str] = {}  # (đảng bộ, day) -> item id, likewise immutable

    @property
    def tz(self):  # type: ignore[no-untyped-def]
        return self.deps.clock.tz

    def local_today(self) -> date:
        return self.deps.clock.now().astimezone(self.tz).date()

    # --- content of one đảng bộ -----------------------------------------------------------------

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
            result = import_file(path, existing=existing, owner_org_id=org_id)
            for item in result.items:
                s.add(ContentItemRow(org_id=org_id, item_id=item.id, kind=item.kind, text=item.text,
                                     source_url=item.source_url, work=item.work, date=item.date,
                                     citation=item.citation, themes=list(item.themes),
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

    async def search(self, actor: Actor, query: str, limit: int = 5) -> list[ContentItem]:
        async with self.deps.db.session() as s:
            items = await self.org_items(s, actor_org(actor))
        return search(items, query, limit)

    async def random_item(self, actor: Actor, rng: random.Random | None = None) -> ContentItem:
        async with self.deps.db.session() as s:
            items = await self.org_items(s, actor_org(actor))
        return (rng or random).choice(items)

    # --- choosing -------------------------------------------------------------------------------

    async def choices_for(self, s: AsyncSession, branch_orgs: dict[int, int], day: date
                          ) -> dict[int, ContentItem]:
        """Today's item for each branch (branch_id -> org_id): stored ones, else chosen now and stored.
        Set-based: a handful of queries whatever the number of branches."""
        if not branch_orgs:
            return {}
        stored: dict[int, str] = dict((await s.execute(  # type: ignore[arg-type]
            select(DailyChoice.branch_id, DailyChoice.item_id)
            .where(DailyChoice.day == day, DailyChoice.branch_id.in_(list(branch_orgs)))
        )).all())
        missing = [b for b in branch_orgs if b not in stored]
        if missing:
            need = sorted({branch_orgs[b] for b in missing})
            picks = {o: self._org_pick[(o, day)] for o in need if (o, day) in self._org_pick}
            rest = [o for o in need if o not in picks]
            if rest:
                items_by_org = {org: {i.id: i for i in await self.org_items(s, org)} for org in rest}
                picks.update(await self._org_picks(s, rest, day, items_by_org))
                self._org_pick.update({(o, day): picks[o] for o in rest})
            now = self.deps.clock.now()
            await s.execute(
                _insert(s)(DailyChoice).on_conflict_do_nothing(index_elements=["branch_id", "day"]),
                [{"branch_id": b, "day": day, "item_id": picks[branch_orgs[b]], "org_id": branch_orgs[b],
                  "created_at": now} for b in missing])
            stored.update({b: picks[branch_orgs[b]] for b in missing})
        return await self._resolve(s, {b: (branch_orgs[b], i) for b, i in stored.items()})

    async def _resolve(self, s: AsyncSession, wanted: dict[int, tuple[int, str]]) -> dict[int, ContentItem]:
        """branch -> (org, item id) to items: shipped ones from memory, a đảng bộ's own from the database."""
        shipped = {i.id: i for i in shipped_items()}
        own_keys = {(org, item_id) for org, item_id in wanted.values() if item_id not in shipped}
        own: dict[tuple[int, str], ContentItem] = {}
        if own_keys:
            rows = (await s.execute(select(ContentItemRow).where(
                ContentItemRow.org_id.in_(sorted({o for o, _i in own_keys})),
                ContentItemRow.item_id.in_(sorted({i for _o, i in own_keys}))))).scalars()
            own = {(r.org_id, r.item_id): _row_to_item(r) for r in rows}
        # An item deleted after it was chosen: fall back to the first shipped one rather than fail.
        fallback = shipped_items()[0]
        return {b: shipped.get(item_id) or own.get((org, item_id)) or fallback
                for b, (org, item_id) in wanted.items()}

    async def _org_picks(self, s: AsyncSession, orgs: list[int], day: date,
                         items_by_org: dict[int, dict[str, ContentItem]]) -> dict[int, str]:
        picks = dict((await s.execute(
            select(DailyUsage.org_id, DailyUsage.item_id)
            .where(DailyUsage.day == day, DailyUsage.org_id.in_(orgs))
        )).all())
        todo = [o for o in orgs if o not in picks]
        if not todo:
            return picks
        used: dict[int, dict[str, date]] = {o: {} for o in todo}
        for org_id, item_id, last in (await s.execute(
            select(DailyUsage.org_id, DailyUsage.item_id, func.max(DailyUsage.day))
            .where(DailyUsage.org_id.in_(todo), DailyUsage.day < day)
            .group_by(DailyUsage.org_id, DailyUsage.item_id)
        )).all():
            used[org_id][item_id] = last if isinstance(last, date) else date.fromisoformat(str(last))
        themes = {row.org_id: set(row.themes or ()) for row in (await s.execute(
            select(YearTheme).where(YearTheme.org_id.in_(todo), YearTheme.year == day.year))).scalars()}
        for org_id in todo:
            item = choose_item(items_by_org[org_id].values(), day=day, theme_slugs=themes.get(org_id, set()),
                               used=used[org_id], seed_key=f"org:{org_id}")
            picks[org_id] = item.id
        stmt = _insert(s)(DailyUsage).on_conflict_do_nothing(index_elements=["org_id", "day", "item_id"])
        await s.execute(stmt, [{"org_id": o, "day": day, "item_id": picks[o]} for o in todo])
        return picks

    async def today_for_branch(self, branch_id: int, day: date | None = None) -> Today:
        day = day or self.local_today()
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            if branch is None:
                raise NotFound(_("That branch does not exist."))
            item = (await self.choices_for(s, {branch_id: branch.org_id}, day))[branch_id]
            return Today(day, item, await self.theme(s, branch.org_id, day.year))

    async def today(self, actor: Actor) -> Today:
        """/homnay: the item the member's branch gets today."""
        seat = actor.primary_branch
        if seat is None:
            raise _not_joined()
        require_active_member(actor, seat.branch_id, "daily_today")
        return await self.today_for_branch(seat.branch_id)

    # --- preferences ----------------------------------------------------------------------------

    async def prefs(self, person_id: int) -> Prefs:
        async with self.deps.db.session() as s:
            row = await s.get(DailyPref, person_id)
        if row is None:
            return Prefs()
        return Prefs(row.minute, row.days, row.paused_until, row.group_only)

    async def _save(self, actor: Actor, **values: object) -> Prefs:
        if not is_member(actor):
            raise _not_joined()
        values["updated_at"] = self.deps.clock.now()
        async with self.deps.db.session() as s:
            stmt = _insert(s)(DailyPref).values(person_id=actor.person_id, **values)
            await s.execute(stmt.on_conflict_do_update(index_elements=["person_id"], set_=values))
        return await self.prefs(actor.person_id)

    async def set_time(self, actor: Actor, text: str) -> Prefs:
        minute = parse_hhmm(text)
        if minute is None:
            raise InvalidInput(_("Please type the time as HH:MM, e.g. 06:30."))
        return await self._save(actor, minute=minute)

    async def set_days(self, actor: Actor, days: str) -> Prefs:
        if days not in ("all", "weekdays"):
            raise StaleButton(f"unknown days {days!r}")
        return await self._save(actor, days=days)

    async def pause(self, actor: Actor, until: date) -> Prefs:
        if until < self.local_today():
            raise InvalidInput(_("That date has already passed."))
        return await self._save(actor, paused_until=until)

    async def resume(self, actor: Actor) -> Prefs:
        return await self._save(actor, paused_until=None)

    async def set_group_only(self, actor: Actor, group_only: bool) -> Prefs:
        return await self._save(actor, group_only=group_only)

    # --- reading receipts -----------------------------------------------------------------------

    async def mark_read(self, actor: Actor, day: date) -> int:
        """Record "Đã đọc ✓" for ``day`` (idempotent); returns the current streak."""
        today = self.local_today()
        if day > today or day < today - timedelta(days=READ_WINDOW_DAYS):
            raise StaleButton(f"read button of {day} is out of the window")
        seat = actor.primary_branch
        if seat is None:
            raise _not_joined()
        async with self.deps.db.session() as s:
            await s.execute(_insert(s)(DailyRead).values(person_id=actor.person_id, day=day,
                                                         branch_id=seat.branch_id, at=self.deps.clock.now())
                            .on_conflict_do_nothing(index_elements=["person_id", "day"]))
        return await self.streak(actor.person_id)

    async def streak(self, person_id: int) -> int:
        """Consecutive days read, ending today (or yesterday, when today's is not read yet)."""
        today = self.local_today()
        async with self.deps.db.session() as s:
            days = set((await s.execute(
                select(DailyRead.day).where(DailyRead.person_id == person_id,
                                            DailyRead.day >= today - timedelta(days=400))
            )).scalars())
        day = today if today in days else today - timedelta(days=1)
        count = 0
        while day in days:
            count += 1
            day -= timedelta(days=1)
        return count

    async def week_reads(self, actor: Actor, branch_id: int) -> WeekReads:
        """For the secretary: how many members read this week (a count, never a ranking)."""
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            if branch is None:
                raise NotFound(_("That branch does not exist."))
            require_branch_manager(actor, branch_id, branch.org_id, "daily_week_reads")
            since = self.local_today() - timedelta(days=self.local_today().weekday())
            active = select(Membership.person_id).where(Membership.branch_id == branch_id,
                                                        Membership.status == MembershipStatus.ACTIVE.value)
            members = (await s.execute(select(func.count()).select_from(active.subquery()))).scalar_one()
            readers, reads = (await s.execute(
                select(func.count(func.distinct(DailyRead.person_id)), func.count())
                .where(DailyRead.person_id.in_(active), DailyRead.day >= since)
            )).one()
            reachable = exists().where(Identity.person_id == Membership.person_id,
                                       Identity.reachable.is_(True))
            unreachable = (await s.execute(
                select(func.count()).select_from(Membership)
                .where(Membership.branch_id == branch_id, Membership.status == MembershipStatus.ACTIVE.value,
                       ~reachable)
            )).scalar_one()
        return WeekReads(since, int(members), int(readers), int(reads), int(unreachable))

    # --- branch group ---------------------------------------------------------------------------

    async def link_group(self, actor: Actor, chat: ChatRef, minute: int | None = None) -> Branch:
        """A secretary links the group chat they are writing in to their branch."""
        branch_id = group_link_branch(actor)
        if branch_id is None:
            # Committee admins and multi-branch secretaries must say which branch: not supported in a group.
            raise InvalidInput(_("Only the secretary of exactly one branch can link a group here."))
        now = self.deps.clock.now()
        async with self.deps.db.session() as s:
            branch = await s.get(Branch, branch_id)
            assert branch is not None
            require_branch_manager(actor, branch_id, branch.org_id, "link_group")
            branch.group_channel, branch.group_chat_id = chat.channel, chat.chat_id
            branch.group_bot = chat.bot
            s.add(branch)
            values: dict[str, object] = {"linked_by": actor.person_id, "linked_at": now}
            if minute is not None:
                values["minute"] = minute
            stmt = _insert(s)(BranchDaily).values(branch_id=branch_id, minute=minute or DEFAULT_MINUTE,
                                                  linked_by=actor.person_id, linked_at=now)
            await s.execute(stmt.on_conflict_do_update(index_elements=["branch_id"], set_=values))
            await audit.record(s, at=now, actor_person_id=actor.person_id, action="daily.group_link",
                               org_id=branch.org_id, branch_id=branch_id, target=chat.key())
            return branch

    async def unlink_group(self, actor: Actor, chat: ChatRef) -> Branch:
        async with self.deps.db.session() as s:
            branch = (await s.execute(select(Branch).where(
                Branch.group_channel == chat.channel, Branch.group_chat_id == chat.chat_id,
                Branch.group_bot == chat.bot))).scalars().first()
            if branch is None:
                raise NotFound(_("This group is not linked to a branch."))
            require_branch_manager(actor, branch.id, branch.org_id, "unlink_group")
            branch.group_channel = branch.group_chat_id = None
            s.add(branch)
            return branch

    async def group_minute(self, branch_id: int) -> int:
        async with self.deps.db.session() as s:
            row = await s.get(BranchDaily, branch_id)
        return row.minute if row else DEFAULT_MINUTE

    # --- the minute tick ------------------------------------------------------------------------

    def _windows(self, start: datetime, end: datetime) -> list[tuple[date, int, int]]:
        """Split (start, end] into local days: (day, minute_after, last_minute) with due minutes m where
        minute_after < m <= last_minute, i.e. m:00 lies inside the window (start's own minute is out:
        its m:00 is at or before start)."""
        out: list[tuple[date, int, int]] = []
        a, b = start.astimezone(self.tz), end.astimezone(self.tz)
        day = a.date()
        while day <= b.date():
            lo = a.hour * 60 + a.minute if day == a.date() else -1
            hi = b.hour * 60 + b.minute if day == b.date() else 24 * 60 - 1
            if hi > lo:
                out.append((day, lo, hi))
            day += timedelta(days=1)
        return out

    def _due_query(self, day: date, lo: int, hi: int) -> Select:  # type: ignore[type-arg]
        """Members due in one local window, with every reachable identity (one set-based query)."""
        p, m, per, i, b = DailyPref, Membership, Person, Identity, Branch
        weekend = day.weekday() >= 5
        cols = (m.person_id, m.branch_id, m.id.label("mid"), b.org_id, per.locale, per.preferred_channel,
                i.id.label("iid"), i.channel, i.chat_id, i.bot)
        # coalesce(): keeps SQLite (no statistics) from driving the join by the membership status index
        # (a scan of every active member) instead of the narrow delivery-minute range.
        base_where = (func.coalesce(m.status, "") == MembershipStatus.ACTIVE.value, per.erased_at.is_(None))
        with_pref = (
            select(*cols, p.minute.label("minute"))
            .select_from(p)
            .join(m, m.person_id == p.person_id)
            .join(per, per.id == p.person_id)
            .join(b, b.id == m.branch_id)
            .join(i, and_(i.person_id == p.person_id, i.reachable.is_(True)))
            .where(p.minute > lo, p.minute <= hi, *base_where,
                   or_(p.paused_until.is_(None), p.paused_until < day),
                   or_(p.group_only.is_(False), b.group_chat_id.is_(None)))
        )
        if weekend:
            with_pref = with_pref.where(p.days == "all")
        if not lo < DEFAULT_MINUTE <= hi:
            return with_pref
        no_pref = (
            select(*cols, literal(DEFAULT_MINUTE).label("minute"))
            .select_from(m)
            .join(per, per.id == m.person_id)
            .join(b, b.id == m.branch_id)
            .join(i, and_(i.person_id == m.person_id, i.reachable.is_(True)))
            .where(*base_where, ~exists().where(p.person_id == m.person_id))
        )
        return with_pref.union_all(no_pref)  # type: ignore[return-value]

    async def queue_due(self, now: datetime, since: datetime | None) -> TickStats:
        """Queue ``daily:{person}:{day}`` for everyone due in (since, now]; late ones only within the
        catch-up window (the row expires then, so the sender skips it if it is still queued)."""
        stats = TickStats()
        start = since if since is not None else now - timedelta(seconds=self.deps.settings.tick_seconds)
        if start >= now:
            return stats
        catchup = timedelta(hours=self.deps.settings.daily_catchup_hours)
        oldest = now - catchup
        if start < oldest:
            async with self.deps.db.session() as s:
                for day, lo, hi in self._windows(start, oldest):
                    q = self._due_query(day, lo, hi).subquery()
                    late = (await s.execute(select(func.count(func.distinct(q.c.person_id))))).scalar_one()
                    stats.skipped_late += int(late)
            if stats.skipped_late:
                log.warning("daily: %s deliveries were more than %s h late and are skipped (%s .. %s)",
                            stats.skipped_late, self.deps.settings.daily_catchup_hours, start, oldest)
            start = oldest
        async with self.deps.db.session() as s:
            for day, lo, hi in self._windows(start, now):
                stats.queued += await self._queue_window(s, day, lo, hi, catchup)
                stats.groups += await self._queue_groups(s, day, lo, hi, catchup)
        return stats

    async def _queue_window(self, s: AsyncSession, day: date, lo: int, hi: int, catchup: timedelta) -> int:
        rows = (await s.execute(self._due_query(day, lo, hi))).all()
        if not rows:
            return 0
        # One recipient per person: first membership, then the preferred channel's identity.
        best: dict[int, tuple] = {}  # type: ignore[type-arg]
        for r in rows:
            rank = (r.mid, r.channel != (r.preferred_channel or r.channel), r.iid)
            cur = best.get(r.person_id)
            if cur is None or rank < cur[0]:
                best[r.person_id] = (rank, r)
        picked = [r for _rank, r in best.values()]
        branch_orgs = {r.branch_id: r.org_id for r in picked}
        choices = await self._cached_choices(s, branch_orgs, day)
        themes = await self._themes(s, set(branch_orgs.values()), day.year)
        addressees: list[Addressee] = []
        for r in picked:
            due = to_utc(datetime.combine(day, time(r.minute // 60, r.minute % 60)), self.tz)
            addressees.append(Addressee(
                key=f"daily:{r.person_id}:{day.isoformat()}",
                to=outbox.Recipient(ChatRef(r.channel, r.chat_id, r.bot), r.person_id, r.iid),
                locale=r.locale, branch_id=r.branch_id, not_before=due, expires_at=due + catchup))

        def render(branch_id: int | None) -> Reply:
            assert branch_id is not None
            return render_daily(Today(day, choices[branch_id], themes.get(branch_orgs[branch_id])))

        return await notify_many(s, self.deps, addressees, kind=DAILY_KIND, render=render,
                                 ref=f"daily:{day.isoformat()}", priority=DAILY_PRIORITY)

    async def _cached_choices(self, s: AsyncSession, branch_orgs: dict[int, int], day: date
                              ) -> dict[int, ContentItem]:
        for old in [d for d in self._chosen if d < day - timedelta(days=1)]:
            del self._chosen[old]
        for key in [k for k in self._org_pick if k[1] < day - timedelta(days=1)]:
            del self._org_pick[key]
        known = self._chosen.setdefault(day, {})
        missing = {b: o for b, o in branch_orgs.items() if b not in known}
        if missing:
            known.update(await self.choices_for(s, missing, day))
        return {b: known[b] for b in branch_orgs}

    async def _themes(self, s: AsyncSession, orgs: set[int], year: int) -> dict[int, Theme]:
        rows = (await s.execute(select(YearTheme).where(YearTheme.org_id.in_(sorted(orgs)),
                                                        YearTheme.year == year))).scalars()
        return {r.org_id: Theme(r.year, r.title, tuple(r.themes or ())) for r in rows}

    async def _queue_groups(self, s: AsyncSession, day: date, lo: int, hi: int, catchup: timedelta) -> int:
        rows = (await s.execute(
            select(Branch, BranchDaily.minute).join(BranchDaily, BranchDaily.branch_id == Branch.id)
            .where(BranchDaily.minute > lo, BranchDaily.minute <= hi, Branch.group_chat_id.is_not(None))
        )).all()
        if not rows:
            return 0
        choices = await self._cached_choices(s, {b.id: b.org_id for b, _m in rows}, day)
        themes = await self._themes(s, {b.org_id for b, _m in rows}, day.year)
        addressees: list[Addressee] = []
        orgs: dict[int, int] = {}
        for branch, minute in rows:
            due = to_utc(datetime.combine(day, time(minute // 60, minute % 60)), self.tz)
            chat = ChatRef(branch.group_channel or "telegram", branch.group_chat_id or "", branch.group_bot)
            orgs[branch.id] = branch.org_id
            addressees.append(Addressee(
                key=f"daily_group:{branch.id}:{day.isoformat()}", to=outbox.Recipient(chat),
                locale=self.deps.settings.default_locale, branch_id=branch.id, not_before=due,
                expires_at=due + catchup))

        def render(branch_id: int | None) -> Reply:
            assert branch_id is not None
            # Presses in groups are not routed to handlers, so the group message has no button.
            return render_daily(Today(day, choices[branch_id], themes.get(orgs[branch_id])), with_button=False)

        return await notify_many(s, self.deps, addressees, kind=GROUP_KIND, render=render,
                                 ref=f"daily:{day.isoformat()}", priority=DAILY_PRIORITY)


# --- registrations ---------------------------------------------------------------------------------


async def daily_tick(services: Services, now: datetime, since: datetime | None) -> None:
    stats = await services.get(DailyService).queue_due(now, since)
    if stats.queued or stats.groups:
        log.info("daily: queued %s members and %s groups", stats.queued, stats.groups)


async def _delivery_time(session: AsyncSession, person_id: int) -> time:
    row = await session.get(DailyPref, person_id)
    minute = row.minute if row else DEFAULT_MINUTE
    return time(minute // 60, minute % 60)


async def _paused_until(session: AsyncSession, person_ids: list[int]) -> dict[int, date]:
    rows = await session.execute(select(DailyPref.person_id, DailyPref.paused_until).where(
        DailyPref.person_id.in_(person_ids), DailyPref.paused_until.is_not(None)))
    return {pid: until for pid, until in rows.all()}


async def _year_theme(session: AsyncSession, org_id: int, year: int) -> tuple[str, list[str]] | None:
    row = await session.get(YearTheme, (org_id, year))
    return (row.title, list(row.themes or ())) if row else None


async def _figures(session: AsyncSession, deps: Deps, branch_id: int, start: datetime, end: datetime
                   ) -> dict[str, float | int]:
    sent = (await session.execute(
        select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.branch_id == branch_id, OutboxMessage.kind == DAILY_KIND,
            OutboxMessage.status == OutboxStatus.SENT.value, OutboxMessage.sent_at >= start,
            OutboxMessage.sent_at < end))
    ).scalar_one()
    # A receipt counts in the period in which the member pressed the button.
    read = (await session.execute(
        select(func.count()).select_from(DailyRead).where(
            DailyRead.branch_id == branch_id, DailyRead.at >= start, DailyRead.at < end))
    ).scalar_one()
    return {"daily_sent": int(sent), "daily_read": int(read)}


async def _erase(session: AsyncSession, person_id: int, deps: Deps) -> None:
    await session.execute(delete(DailyPref).where(DailyPref.person_id == person_id))
    await session.execute(delete(DailyRead).where(DailyRead.person_id == person_id))
    await session.execute(update(BranchDaily).where(BranchDaily.linked_by == person_id)
                          .values(linked_by=None))
    await session.execute(update(YearTheme).where(YearTheme.set_by == person_id).values(set_by=None))
    await session.execute(update(ContentItemRow).where(ContentItemRow.created_by == person_id)
                          .values(created_by=None))
