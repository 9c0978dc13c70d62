"""Zalo bots in the domain: which branches a bot serves, and its monthly message quota.

- Quota: every message a Zalo bot sends is counted per bot per calendar month (local time). Passing the
  warning threshold (80% by default) tells the secretaries of the branches the bot serves, once a month;
  reaching the limit tells them again and pauses that bot's daily items until the month ends.
- Paused daily items are *skipped*, not held: a daily item belongs to its day, so holding it until next
  month would deliver stale lessons and spend the new month's quota on the first morning. Direct replies
  and notices (join requests, approvals, warnings) still go out.
- Zalo's own signal wins over our count: a 429 "Quota exceeded" (:meth:`ZaloQuotaService.mark_exhausted`, told by
  the channel) sets the month full and pauses every non-reply kind until the 1st of next month, 08:00 local
  (:data:`RESUME_AT`). Daily items are skipped; notices are held for next month; queued direct replies are held
  only if they still matter then (information, not a menu). The secretaries hear it once, on another channel
  (Telegram) when they have one.
- Joining: a Zalo bot only takes the codes of the branches it serves (a join guard in feature.py), and only up
  to its plan's member cap: the secretaries are warned at ZALO_MEMBER_WARN, and at the cap a new Zalo join is
  refused politely, offering Telegram or the branch's second bot.
- The forecast (forecast.py) is shown in ``/baocao`` (figures ``zalo_quota_*``, ``zalo_forecast*``) and told to
  the secretaries once a month when it crosses the warning percentage (the ``zalo_forecast`` tick).
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from functools import partial

from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import to_utc
from bot.delivery import Hold
from bot.features.zalo_quota.forecast import Forecast, bot_users, forecast_bot
from bot.features.zalo_quota.models import ZaloQuota
from bot.i18n import _
from bot.messages import ChatRef, Reply, esc
from bot.services.deps import Deps, Services
from bot.services.directory import manager_ids
from bot.services.extensions import BranchScope
from bot.services.notify import notify, notify_chat, zalo_quota_pauses
from bot.services.outbox import REPLY_KIND
from bot.text import branch_title
from storage.models.joining import JoinCode
from storage.models.org import Branch
from storage.models.outbox import OutboxMessage
from storage.models.people import Identity, Membership, MembershipStatus

log = logging.getLogger("hocbac.zalo")

RESUME_AT = time(8, 0)  # after an exhausted month, held messages go out on the 1st at this local time
# Not worth holding for next month: they belong to their moment (the daily item is skipped by its policy too).
STALE_KINDS = frozenset({"daily_group", "broadcast_progress", "meeting_checkin"})

class ZaloQuotaService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def limit(self, bot: str) -> int:
        return self.deps.settings.zalo_plan(bot)[0]

    def warn_at(self, bot: str) -> int:
        return max(1, self.limit(bot) * self.deps.settings.zalo_quota_warn_percent // 100)

    def month(self, at: datetime | None = None) -> str:
        local = (at or self.deps.clock.now()).astimezone(self.deps.settings.tz)
        return f"{local.year:04d}-{local.month:02d}"

    async def used(self, bot: str, month: str | None = None) -> int:
        async with self.deps.db.session() as s:
            return await _used(s, bot, month or self.month())

    async def is_full(self, bot: str) -> bool:
        return await self.used(bot) >= self.limit(bot)

    async def is_exhausted(self, bot: str) -> bool:
        """Zalo said so (429 "Quota exceeded") this month."""
        async with self.deps.db.session() as s:
            value = (await s.execute(select(ZaloQuota.exhausted_at).where(
                ZaloQuota.bot == bot, ZaloQuota.month == self.month()))).scalar_one_or_none()
        return value is not None

    def resume_at(self, now: datetime | None = None) -> datetime:
        """The first day of next month at RESUME_AT, local time, as UTC."""
        tz = self.deps.settings.tz
        first = _next_month_start((now or self.deps.clock.now()).astimezone(tz))
        return to_utc(datetime.combine(first.date(), RESUME_AT), tz)

    async def mark_exhausted(self, bot: str, reason: str) -> None:
        """Zalo answered 429 "Quota exceeded": the month is full whatever our count says. The first report of
        the month tells the secretaries of the bot's branches (on another channel when they have one)."""
        now = self.deps.clock.now()
        month = self.month(now)
        limit = self.limit(bot)
        insert = pg_insert if self.deps.db.dialect == "postgresql" else sqlite_insert
        async with self.deps.db.session() as s:
            await s.execute(insert(ZaloQuota).values(bot=bot, month=month, sent=0)
                            .on_conflict_do_nothing(index_elements=["bot", "month"]))
            sent = ZaloQuota.__table__.c.sent
            won = await s.execute(
                update(ZaloQuota)
                .where(ZaloQuota.bot == bot, ZaloQuota.month == month, ZaloQuota.exhausted_at.is_(None))
                .values(exhausted_at=now, sent=case((sent < limit, limit), else_=sent)))
            if not won.rowcount:
                return
            log.warning("zalo bot %s: Zalo says the month's quota is used up (%s); non-reply messages wait for "
                        "%s", bot, reason, self.resume_at(now).isoformat())
            await self._tell_exhausted(s, bot, month, now)

    async def _tell_exhausted(self, s: AsyncSession, bot: str, month: str, now: datetime) -> None:
        resume = _next_month_start(now.astimezone(self.deps.settings.tz))
        for branch, manager_id in await _bot_managers(s, self.deps, bot):
            render = partial(self._exhausted_notice, branch, resume)
            key = f"zalo_quota:{bot}:{month}:exhausted:{branch.id}:{manager_id}"
            other = await _identity_off_bot(s, manager_id, bot)
            if other is not None:
                chat = ChatRef(other.channel, other.chat_id, other.bot)
                await notify_chat(s, self.deps, chat, kind="zalo_quota", key=key, render=render,
                                  person_id=manager_id, branch_id=branch.id)
            else:  # only this bot: held with the other notices, it reaches them when the month turns
                await notify(s, self.deps, manager_id, key=key, kind="zalo_quota", render=render,
                             branch_id=branch.id)

    def _exhausted_notice(self, branch: Branch, resume: datetime) -> Reply:
        return Reply(text=_(
            "⛔ <b>Zalo says its monthly message quota is used up</b>\nThe Zalo bot of branch {branch} cannot send "
            "any more messages this month. Daily items on Zalo are skipped and notices wait until {resume}; "
            "members on Telegram are not affected. Members can also receive everything on Telegram: /lienket "
            "links the two accounts.").format(
                branch=esc(branch_title(branch.name)), resume=resume.strftime("%d/%m/%Y")))

    async def record_sent(self, bot: str, count: int = 1) -> int:
        """Count ``count`` messages sent by ``bot`` now; warn or pause when a threshold is crossed.
        Returns this month's total."""
        if count <= 0:
            return await self.used(bot)
        now = self.deps.clock.now()
        month = self.month(now)
        insert = pg_insert if self.deps.db.dialect == "postgresql" else sqlite_insert
        stmt = insert(ZaloQuota).values(bot=bot, month=month, sent=count)
        stmt = stmt.on_conflict_do_update(index_elements=["bot", "month"],
                                          set_={"sent": ZaloQuota.__table__.c.sent + count})
        async with self.deps.db.session() as s:
            await s.execute(stmt)
            total = await _used(s, bot, month)
            if total >= self.warn_at(bot):
                await self._notify_once(s, bot, month, now, total, full=False)
            if total >= self.limit(bot):
                await self._notify_once(s, bot, month, now, total, full=True)
        return total

    async def _notify_once(self, s: AsyncSession, bot: str, month: str, now: datetime, total: int,
                           *, full: bool) -> None:
        column = ZaloQuota.full_at if full else ZaloQuota.warned_at
        # Only the first sender past the line wins the update, so secretaries hear it once a month.
        won = await s.execute(update(ZaloQuota).where(ZaloQuota.bot == bot, ZaloQuota.month == month,
                                                      column.is_(None)).values({column.key: now}))
        if not won.rowcount:
            return
        log.warning("zalo bot %s: %s of %s messages this month%s", bot, total, self.limit(bot),
                    " - daily items paused" if full else "")
        resume = _next_month_start(now.astimezone(self.deps.settings.tz))
        level = "full" if full else "warn"
        for branch, manager_id in await _bot_managers(s, self.deps, bot):
            await notify(
                s, self.deps, manager_id, key=f"zalo_quota:{bot}:{month}:{level}:{branch.id}:{manager_id}",
                kind="zalo_quota", render=partial(self._notice, branch, total, full, resume, self.limit(bot)),
                branch_id=branch.id)

    def _notice(self, branch: Branch, total: int, full: bool, resume: datetime, limit: int) -> Reply:
        return Reply(text=self._notice_text(branch, total, full, resume, limit))

    def _notice_text(self, branch: Branch, total: int, full: bool, resume: datetime, limit: int) -> str:
        if full:
            return _("⛔ <b>Zalo message quota reached</b>\nThe Zalo bot of branch {branch} has sent {used} "
                     "messages this month, its limit of {limit}. Daily items for members on Zalo are paused "
                     "until {resume}; replies to members still go out. Members can also receive them on "
                     "Telegram: /lienket links the two accounts.").format(
                branch=esc(branch_title(branch.name)), used=total, limit=limit, resume=resume.strftime("%d/%m/%Y"))
        return _("⚠️ <b>Zalo message quota</b>\nThe Zalo bot of branch {branch} has sent {used} of its "
                 "{limit} messages this month ({percent}%). When the limit is reached, daily items on Zalo "
                 "pause until next month; replies to members still go out.").format(
            branch=esc(branch_title(branch.name)), used=total, limit=limit,
            percent=round(100 * total / limit) if limit else 100)

    async def gate(self, row: OutboxMessage) -> str | Hold | None:
        """The sender asks before each row: a reason to skip it, a Hold to keep it for later, or None to send it."""
        if row.channel != "zalo":
            return None
        if await self.is_exhausted(row.bot):
            if zalo_quota_pauses(row.kind) or row.kind in STALE_KINDS:
                return f"zalo quota exhausted for bot {row.bot}: not kept for next month"
            if row.kind == REPLY_KIND:
                reply = Reply.from_dict(row.payload)
                if reply.choices() or reply.menu or reply.buttons:
                    log.warning("reply to person %s dropped: zalo quota exhausted, and a menu is stale next month",
                                row.person_id)
                    return f"zalo quota exhausted for bot {row.bot}: a menu is not kept for next month"
            return Hold(self.resume_at(), f"zalo quota exhausted for bot {row.bot}: held until next month")
        if zalo_quota_pauses(row.kind) and await self.is_full(row.bot):
            return f"zalo quota reached for bot {row.bot}: daily items paused until next month"
        return None

    # --- the forecast and the member cap -------------------------------------------------------------

    async def forecast(self, bot: str) -> Forecast | None:
        async with self.deps.db.session() as s:
            return await forecast_bot(s, self.deps.settings, bot, self.deps.clock.now())

    async def warn_forecasts(self) -> int:
        """Tell the secretaries of each bot whose month's forecast crosses the warning percentage (once a month,
        by the notice's key). Returns how many notices were queued."""
        queued = 0
        now = self.deps.clock.now()
        month = self.month(now)
        async with self.deps.db.session() as s:
            for config in self.deps.settings.zalo_bots:
                f = await forecast_bot(s, self.deps.settings, config.key, now)
                if f is None or f.percent < self.deps.settings.zalo_quota_warn_percent:
                    continue
                for branch, manager_id in await _bot_managers(s, self.deps, config.key):
                    key = f"zalo_forecast:{config.key}:{month}:{branch.id}:{manager_id}"
                    queued += await notify(s, self.deps, manager_id, key=key, kind="zalo_quota",
                                           render=partial(_forecast_notice, branch, f), branch_id=branch.id)
        return queued


def _forecast_notice(branch: Branch, f: Forecast) -> Reply:
    return Reply(text=_(
        "📈 <b>Zalo messages forecast</b>\nAt this pace the Zalo bot of branch {branch} will need about {total} "
        "messages this month, {percent}% of its {limit}: daily items {daily}, notices {notices}, replies {replies}. "
        "To save messages: link the branch's Zalo group (/lienketnhom) so the daily item goes there once, or "
        "invite members to Telegram.").format(
        branch=esc(branch_title(branch.name)), total=f.total, percent=f.percent, limit=f.limit, daily=f.daily,
        notices=f.notices,
        replies=f.replies))


async def _identity_off_bot(s: AsyncSession, person_id: int, bot: str) -> Identity | None:
    """A reachable account of the person that is not on Zalo bot ``bot`` (Telegram first)."""
    rows = (await s.execute(select(Identity).where(Identity.person_id == person_id, Identity.reachable.is_(True))
                            )).scalars().all()
    others = [i for i in rows if not (i.channel == "zalo" and i.bot == bot)]
    others.sort(key=lambda i: (i.channel != "telegram", i.id))
    return others[0] if others else None


async def forecast_tick(services: Services, now: datetime, since: datetime | None) -> None:
    """Once an hour (the first tick of each hour, or after a restart): the forecast is a few counts per bot."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    if since is not None and since >= hour:
        return
    await services.get(ZaloQuotaService).warn_forecasts()


async def _used(s: AsyncSession, bot: str, month: str) -> int:
    value = (await s.execute(select(ZaloQuota.sent).where(ZaloQuota.bot == bot, ZaloQuota.month == month))
             ).scalar_one_or_none()
    return int(value or 0)


async def _bot_managers(s: AsyncSession, deps: Deps, bot: str) -> list[tuple[Branch, int]]:
    """(branch, manager person id) for every branch Zalo bot ``bot`` serves: who hears about its month."""
    config = deps.settings.zalo_bot(bot)
    out: list[tuple[Branch, int]] = []
    for branch_id in config.branch_ids if config is not None else ():
        branch = await s.get(Branch, branch_id)
        if branch is not None:
            out += [(branch, manager_id) for manager_id in await manager_ids(s, branch)]
    return out


def _next_month_start(local: datetime) -> datetime:
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first + timedelta(days=32)).replace(day=1)


# --- report figures (they need the bot bindings from the settings) -----------------------------------


async def _quota_figures(s: AsyncSession, deps: Deps, branch_id: int, start: datetime,
                         end: datetime) -> dict[str, float | int]:
    config = deps.settings.zalo_bot_for_branch(branch_id)
    if config is None:
        return {}
    local = (end - timedelta(microseconds=1)).astimezone(deps.settings.tz)
    limit, cap = deps.settings.zalo_plan(config.key)
    figures: dict[str, float | int] = {
        "zalo_quota_used": await _used(s, config.key, f"{local.year:04d}-{local.month:02d}"),
        "zalo_quota_limit": limit}
    f = await forecast_bot(s, deps.settings, config.key, deps.clock.now())
    if f is not None:
        figures.update(zalo_forecast=f.total, zalo_forecast_percent=f.percent,
                       zalo_members=await bot_users(s, config.key), zalo_member_cap=cap)
    return figures


async def _quota_figures_bulk(s: AsyncSession, deps: Deps, branch_ids: BranchScope, start: datetime,
                              end: datetime) -> dict[int, dict[str, float | int]]:
    """``_quota_figures`` for many branches: the figures are a bot's, so each bot is read once."""
    by_bot: dict[str, dict[str, float | int]] = {}
    out: dict[int, dict[str, float | int]] = {}
    for branch_id in branch_ids:
        config = deps.settings.zalo_bot_for_branch(branch_id)
        if config is None:
            out[branch_id] = {}
            continue
        if config.key not in by_bot:
            by_bot[config.key] = await _quota_figures(s, deps, branch_id, start, end)
        out[branch_id] = dict(by_bot[config.key])
    return out


# --- joining: a branch's members are served by that branch's bots, up to each bot's member cap ---------------


async def _zalo_join_guard(s: AsyncSession, deps: Deps, actor: object, code: JoinCode) -> str | None:
    if getattr(actor, "channel", "") != "zalo" or code.branch_id is None:
        return None
    ident = await s.get(Identity, getattr(actor, "identity_id", 0))
    branch = await s.get(Branch, code.branch_id)
    if ident is None or branch is None:
        return None
    bots = deps.settings.zalo_bots_for_branch(code.branch_id)
    if not bots:
        return _("Branch {branch} is not served on Zalo yet. Please join on Telegram, or ask your branch "
                 "secretary.").format(branch=esc(branch_title(branch.name)))
    if ident.bot not in {b.key for b in bots}:
        return _("This code is for branch {branch}, which has its own Zalo account. Please send the code to "
                 "that account (your branch secretary can tell you which one).").format(
                     branch=esc(branch_title(branch.name)))
    return await _member_cap(s, deps, ident, branch)


async def _member_cap(s: AsyncSession, deps: Deps, ident: Identity, branch: Branch) -> str | None:
    """The plan's users per bot: warn the secretaries at ZALO_MEMBER_WARN, refuse a newcomer at the cap."""
    bot = ident.bot
    _limit, cap = deps.settings.zalo_plan(bot)
    users = await bot_users(s, bot)
    seated = (await s.execute(select(Membership.id).where(
        Membership.person_id == ident.person_id,
        Membership.status.in_((MembershipStatus.ACTIVE.value, MembershipStatus.PENDING.value))))).first()
    if seated is not None:
        return None  # already one of the bot's users: no new seat
    if users >= cap:
        log.warning("zalo bot %s: join refused at the member cap (%s of %s)", bot, users, cap)
        others = [b for b in deps.settings.zalo_bots_for_branch(branch.id) if b.key != bot
                  and await bot_users(s, b.key) < deps.settings.zalo_plan(b.key)[1]]
        if others:
            return _("Sorry, this Zalo account of branch {branch} is full ({cap} people, the most Zalo allows one "
                     "account). Please send the same code to the branch's second Zalo account (your branch secretary "
                     "can tell you which one), or join on Telegram.").format(
                         branch=esc(branch_title(branch.name)), cap=cap)
        return _("Sorry, the Zalo account of branch {branch} is full ({cap} people, the most Zalo allows one "
                 "account). Please join on Telegram with the same code, or ask your branch secretary about a second "
                 "Zalo account for the branch.").format(branch=esc(branch_title(branch.name)), cap=cap)
    warn = deps.settings.zalo_member_warn
    if users + 1 >= warn:
        for manager_id in await manager_ids(s, branch):
            await notify(s, deps, manager_id, key=f"zalo_members:{bot}:{warn}:{branch.id}:{manager_id}",
                         kind="zalo_quota", branch_id=branch.id,
                         render=partial(_cap_notice, branch, users + 1, cap))
    return None


def _cap_notice(branch: Branch, users: int, cap: int) -> Reply:
    return Reply(text=_(
        "👥 <b>The Zalo account is nearly full</b>\nThe Zalo bot of branch {branch} now serves {users} people; "
        "Zalo's plan allows {cap}. New members beyond that will be asked to join on Telegram, or on a second Zalo "
        "account of the branch (ZALO_BOTS in the server settings).").format(
        branch=esc(branch_title(branch.name)), users=users, cap=cap))
