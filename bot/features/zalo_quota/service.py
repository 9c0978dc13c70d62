"""Zalo bots in the domain: which branches a bot serves, and its monthly message quota.

- Quota: every message a Zalo bot sends is counted per bot per calendar month (local time). Passing the
  warning threshold (80% by default) tells the secretaries of the branches the bot serves, once a month;
  reaching the limit tells them again and pauses that bot's daily items until the month ends.
- Paused daily items are *skipped*, not held: a daily item belongs to its day, so holding it until next
  month would deliver stale lessons and spend the new month's quota on the first morning. Direct replies
  and notices (join requests, approvals, warnings) still go out.
- Joining: a Zalo bot only takes the codes of the branches it serves (a join guard in feature.py).
- ``/baocao`` gets ``zalo_quota_used`` / ``zalo_quota_limit`` (figures declared in feature.py).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.features.zalo_quota.models import ZaloQuota
from bot.i18n import _
from bot.messages import Reply, esc
from bot.services.deps import Deps
from bot.services.directory import manager_ids
from bot.services.notify import notify, zalo_quota_pauses
from bot.text import branch_title
from storage.models.joining import JoinCode
from storage.models.org import Branch
from storage.models.outbox import OutboxMessage
from storage.models.people import Identity

log = logging.getLogger("hocbac.zalo")

class ZaloQuotaService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    @property
    def limit(self) -> int:
        return self.deps.settings.zalo_monthly_quota

    @property
    def warn_at(self) -> int:
        return max(1, self.limit * self.deps.settings.zalo_quota_warn_percent // 100)

    def month(self, at: datetime | None = None) -> str:
        local = (at or self.deps.clock.now()).astimezone(self.deps.settings.tz)
        return f"{local.year:04d}-{local.month:02d}"

    async def used(self, bot: str, month: str | None = None) -> int:
        async with self.deps.db.session() as s:
            return await _used(s, bot, month or self.month())

    async def is_full(self, bot: str) -> bool:
        return await self.used(bot) >= self.limit

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
            if total >= self.warn_at:
                await self._notify_once(s, bot, month, now, total, full=False)
            if total >= self.limit:
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
        log.warning("zalo bot %s: %s of %s messages this month%s", bot, total, self.limit,
                    " - daily items paused" if full else "")
        config = self.deps.settings.zalo_bot(bot)
        if config is None:
            return
        resume = _next_month_start(now.astimezone(self.deps.settings.tz))
        for branch_id in config.branch_ids:
            branch = await s.get(Branch, branch_id)
            if branch is None:
                continue
            level = "full" if full else "warn"
            for manager_id in await manager_ids(s, branch):
                await notify(
                    s, self.deps, manager_id, key=f"zalo_quota:{bot}:{month}:{level}:{branch_id}:{manager_id}",
                    kind="zalo_quota", render=partial(self._notice, branch, total, full, resume),
                    branch_id=branch_id)

    def _notice(self, branch: Branch, total: int, full: bool, resume: datetime) -> Reply:
        return Reply(text=self._notice_text(branch, total, full, resume))

    def _notice_text(self, branch: Branch, total: int, full: bool, resume: datetime) -> str:
        if full:
            return _("⛔ <b>Zalo message quota reached</b>\nThe Zalo bot of branch {branch} has sent {used} "
                     "messages this month, its limit of {limit}. Daily items for members on Zalo are paused "
                     "until {resume}; replies to members still go out. Members can also receive them on "
                     "Telegram: /lienket links the two accounts.").format(
                branch=esc(branch_title(branch.name)), used=total, limit=self.limit, resume=resume.strftime("%d/%m/%Y"))
        return _("⚠️ <b>Zalo message quota</b>\nThe Zalo bot of branch {branch} has sent {used} of its "
                 "{limit} messages this month ({percent}%). When the limit is reached, daily items on Zalo "
                 "pause until next month; replies to members still go out.").format(
            branch=esc(branch_title(branch.name)), used=total, limit=self.limit,
            percent=round(100 * total / self.limit) if self.limit else 100)

    async def gate(self, row: OutboxMessage) -> str | None:
        """The sender asks before each row: a reason to skip it, or None to send it."""
        if row.channel != "zalo" or not zalo_quota_pauses(row.kind):
            return None
        if await self.is_full(row.bot):
            return f"zalo quota reached for bot {row.bot}: daily items paused until next month"
        return None


async def _used(s: AsyncSession, bot: str, month: str) -> int:
    value = (await s.execute(select(ZaloQuota.sent).where(ZaloQuota.bot == bot, ZaloQuota.month == month))
             ).scalar_one_or_none()
    return int(value or 0)


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
    return {"zalo_quota_used": await _used(s, config.key, f"{local.year:04d}-{local.month:02d}"),
            "zalo_quota_limit": deps.settings.zalo_monthly_quota}


# --- joining: a branch's members are served by that branch's bot -----------------------------------


async def _zalo_join_guard(s: AsyncSession, deps: Deps, actor: object, code: JoinCode) -> str | None:
    if getattr(actor, "channel", "") != "zalo" or code.branch_id is None:
        return None
    ident = await s.get(Identity, getattr(actor, "identity_id", 0))
    branch = await s.get(Branch, code.branch_id)
    if ident is None or branch is None:
        return None
    bound = deps.settings.zalo_bot_for_branch(code.branch_id)
    if bound is not None and bound.key == ident.bot:
        return None
    if bound is None:
        return _("Branch {branch} is not served on Zalo yet. Please join on Telegram, or ask your branch "
                 "secretary.").format(branch=esc(branch_title(branch.name)))
    return _("This code is for branch {branch}, which has its own Zalo account. Please send the code to "
             "that account (your branch secretary can tell you which one).").format(
                 branch=esc(branch_title(branch.name)))


