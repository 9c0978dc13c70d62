""""Học Bác mỗi ngày": delivery preferences — a member's time, days, pause and group-only, and a branch's group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from bot.features.daily.catalog import DAILY_EXAMPLE, DailyUseCase, _insert, _not_joined
from bot.features.daily.models import DEFAULT_MINUTE, BranchDaily, DailyPref
from bot.i18n import _
from bot.kernel.callbacks import StaleButton
from bot.messages import ChatRef
from bot.services import audit
from bot.services.actor import Actor
from bot.services.errors import InvalidInput, NotFound
from bot.services.permissions import group_link_branch, is_member, require_branch_manager
from bot.services.when import read_time
from storage.models.org import Branch


@dataclass(frozen=True, slots=True)
class Prefs:
    minute: int = DEFAULT_MINUTE
    days: str = "all"
    paused_until: date | None = None
    group_only: bool = False
    large_card: bool = False  # "Nhận kèm ảnh chữ lớn"


class DailyPrefs(DailyUseCase):
    async def prefs(self, person_id: int) -> Prefs:
        async with self.deps.db.session() as s:
            row = await s.get(DailyPref, person_id)
        if row is None:
            return Prefs()
        return Prefs(row.minute, row.days, row.paused_until, row.group_only, bool(row.large_card))

    async def _save(self, actor: Actor, **values: object) -> Prefs:
        if not is_member(actor):
            raise _not_joined()
        values["updated_at"] = self.deps.clock.now()
        async with self.deps.db.session() as s:
            stmt = _insert(s)(DailyPref).values(person_id=actor.person_id, **values)
            await s.execute(stmt.on_conflict_do_update(index_elements=["person_id"], set_=values))
        return await self.prefs(actor.person_id)

    async def set_time(self, actor: Actor, text: str) -> Prefs:
        at = read_time(text, example=DAILY_EXAMPLE)
        return await self._save(actor, minute=at.hour * 60 + at.minute)

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

    async def set_large_card(self, actor: Actor, on: bool) -> Prefs:
        return await self._save(actor, large_card=on)

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
