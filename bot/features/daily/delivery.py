""""Học Bác mỗi ngày": choosing today's item per branch, and the minute tick that queues everyone whose
delivery time has come. Both share one instance's per-process cache of choices.

Choosing: an item tagged for today's occasion wins, then the đảng bộ's year theme, then the rest; no item
repeats within a đảng bộ until every item was used (then least recently used first). The choice is seeded
by the đảng bộ, so all its branches read the same item on a day; it is stored per (branch, day) and the
đảng bộ's usage per day, so a later import or theme change never changes what a branch already got.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, func, literal, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import to_utc
from bot.content import ContentItem, choose_item
from bot.features.daily.card import CardStore
from bot.features.daily.catalog import (
    DailyUseCase,
    Theme,
    Today,
    _insert,
    _not_joined,
    _row_to_item,
    org_names,
    render_daily,
    shipped_items,
)
from bot.features.daily.models import (
    DEFAULT_MINUTE,
    BranchDaily,
    ContentItemRow,
    DailyChoice,
    DailyPref,
    DailyUsage,
    YearTheme,
)
from bot.i18n import _, current_locale
from bot.messages import ChatRef, MediaRef, Reply
from bot.services import outbox
from bot.services.actor import Actor
from bot.services.deps import Deps, Services
from bot.services.errors import NotFound
from bot.services.notify import Addressee, notify_many
from bot.services.permissions import require_active_member
from storage.models.org import Branch
from storage.models.people import Identity, Membership, MembershipStatus, Person

log = logging.getLogger("hocbac.daily")


DAILY_KIND = "daily"


GROUP_KIND = "daily_group"


DAILY_PRIORITY = 9  # bulk: interactive notices (0) and broadcasts (5) go first


@dataclass
class TickStats:
    queued: int = 0
    groups: int = 0
    skipped_late: int = 0


class DailyDelivery(DailyUseCase):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        # (day -> branch -> item): a stored choice never changes, so the tick keeps it in memory and
        # asks the database only for branches it has not seen today.
        self._chosen: dict[date, dict[int, ContentItem]] = {}
        self._org_pick: dict[tuple[int, date], str] = {}  # (đảng bộ, day) -> item id, likewise immutable
        self.cards = CardStore(deps)  # "Nhận kèm ảnh chữ lớn": one PNG per item, drawn once

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
            names = await org_names(s, [item])
            return Today(day, item, await self.theme(s, branch.org_id, day.year),
                         names.get(item.owner_org_id or 0))

    async def today(self, actor: Actor) -> Today:
        """/homnay: the item the member's branch gets today."""
        seat = actor.primary_branch
        if seat is None:
            raise _not_joined()
        require_active_member(actor, seat.branch_id, "daily_today")
        return await self.today_for_branch(seat.branch_id)

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
                i.id.label("iid"), i.channel, i.chat_id, i.bot, b.group_channel, b.group_bot,
                b.group_chat_id.label("group_chat"))
        # coalesce(): keeps SQLite (no statistics) from driving the join by the membership status index
        # (a scan of every active member) instead of the narrow delivery-minute range.
        base_where = (func.coalesce(m.status, "") == MembershipStatus.ACTIVE.value, per.erased_at.is_(None))
        with_pref = (
            select(*cols, p.minute.label("minute"), p.large_card.label("card"))
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
            select(*cols, literal(DEFAULT_MINUTE).label("minute"), literal(False).label("card"))
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
        picked = [r for _rank, r in best.values() if not self._reads_in_zalo_group(r)]
        if not picked:
            return 0
        branch_orgs = {r.branch_id: r.org_id for r in picked}
        choices = await self._cached_choices(s, branch_orgs, day)
        themes = await self._themes(s, set(branch_orgs.values()), day.year)
        names = await org_names(s, choices.values())
        plain: list[Addressee] = []
        with_card: list[Addressee] = []
        for r in picked:
            due = to_utc(datetime.combine(day, time(r.minute // 60, r.minute % 60)), self.tz)
            (with_card if r.card else plain).append(Addressee(
                key=f"daily:{r.person_id}:{day.isoformat()}",
                to=outbox.Recipient(ChatRef(r.channel, r.chat_id, r.bot), r.person_id, r.iid),
                locale=r.locale, branch_id=r.branch_id, not_before=due, expires_at=due + catchup))

        # notify_many renders once per (branch, language), but every branch of a đảng bộ reads the same item
        # under the same theme: render once per (item, đảng bộ, language) (thousands of branches a minute).
        rendered: dict[tuple[str, int, str], Reply] = {}

        def render(branch_id: int | None) -> Reply:
            assert branch_id is not None
            item, org = choices[branch_id], branch_orgs[branch_id]
            key = (item.id, org, current_locale())
            if key not in rendered:
                rendered[key] = render_daily(Today(day, item, themes.get(org), names.get(item.owner_org_id or 0)))
            return rendered[key]

        photos = await self.card_photos({choices[a.branch_id] for a in with_card if a.branch_id is not None}, names)

        def render_with_card(branch_id: int | None) -> Reply:
            # The card rides in the daily item's own message (a photo with the text as its caption when the
            # channel allows): one outbox row, and on Zalo one message for the quota. A copy: the plain
            # message's rendering is shared.
            assert branch_id is not None
            return replace(render(branch_id), media=photos.get(choices[branch_id].id))

        queued = 0
        for group, renderer in ((plain, render), (with_card, render_with_card)):
            if group:
                queued += await notify_many(s, self.deps, group, kind=DAILY_KIND, render=renderer,
                                            ref=f"daily:{day.isoformat()}", priority=DAILY_PRIORITY)
        return queued

    def _reads_in_zalo_group(self, r: Any) -> bool:
        """On Zalo every message counts against the bot's monthly plan: where the branch's Zalo group (on the same
        bot) gets the daily item, its members on Zalo read it there instead of in a private message."""
        return (self.deps.settings.zalo_prefer_group_daily and r.channel == "zalo" and bool(r.group_chat)
                and r.group_channel == "zalo" and r.group_bot == r.bot)

    async def card_photos(self, items: set[ContentItem], added_by: dict[int, str] | None = None
                          ) -> dict[str, MediaRef]:
        """Item id -> its large-print card (``added_by``: đảng bộ names of imported items, by org id). A card
        that cannot be drawn never costs the member the item: it then goes out as text alone."""
        out: dict[str, MediaRef] = {}
        for item in sorted(items, key=lambda i: i.id):
            try:
                out[item.id] = await self.cards.photo(item, (added_by or {}).get(item.owner_org_id or 0))
            except Exception:
                log.exception("daily: the large-print card of %s could not be drawn; sending text only", item.id)
        return out

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
        names = await org_names(s, choices.values())
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
            item = choices[branch_id]
            return render_daily(Today(day, item, themes.get(orgs[branch_id]), names.get(item.owner_org_id or 0)),
                                with_button=False)

        return await notify_many(s, self.deps, addressees, kind=GROUP_KIND, render=render,
                                 ref=f"daily:{day.isoformat()}", priority=DAILY_PRIORITY)


async def daily_tick(services: Services, now: datetime, since: datetime | None) -> None:
    stats = await services.get(DailyDelivery).queue_due(now, since)
    if stats.queued or stats.groups:
        log.info("daily: queued %s members and %s groups", stats.queued, stats.groups)
