"""The App: settings, storage, services, the feature registry and the dispatcher, plus the channels and the
sender that bot.compose (the composition root) gives it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from bot.channels.ratelimit import BotLimiter
from bot.channels.sender import Sender
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.delivery import Channel, Hold
from bot.i18n import _, use_locale
from bot.kernel import choices
from bot.kernel.dispatcher import Dispatcher
from bot.kernel.feature import Feature, build_extensions, build_registry, check_menus
from bot.kernel.help import menu_commands
from bot.kernel.routing import Registry
from bot.messages import Inbound, Reply
from bot.services.actor import Actor
from bot.services.deps import Deps, Services
from bot.services.identity import IdentityService
from bot.services.menus import MAX_MENU_BUTTONS, all_labels, secretary_labels
from bot.services.permissions import help_role
from bot.services.state import RedisStateStore, SqlStateStore, StateStore
from storage.db import Database
from storage.migrate import upgrade
from storage.models.outbox import OutboxMessage, OutboxStatus
from storage.models.people import BranchRole, Identity, Membership, MembershipStatus, OrgRole

log = logging.getLogger("hocbac.app")


@dataclass
class App:
    settings: Settings
    db: Database
    clock: Clock
    state: StateStore
    services: Services
    registry: Registry
    dispatcher: Dispatcher
    redis: Any = None
    channels: dict[str, Channel] = field(default_factory=dict)
    sender: Sender | None = None
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    @classmethod
    async def create(cls, settings: Settings, *, clock: Clock | None = None, migrate: bool = True,
                     features: Sequence[Feature] | None = None) -> App:
        clock = clock or SystemClock(settings.tz)
        db = Database(settings.database_url)
        if migrate:
            await upgrade(db.engine)
        redis = None
        state: StateStore
        if settings.redis_url:
            import redis.asyncio as aioredis

            # A blocking pool: when every connection is busy (a burst of updates) a command waits for
            # one instead of failing with "Too many connections", which lost the update.
            pool = aioredis.BlockingConnectionPool.from_url(settings.redis_url, max_connections=64, timeout=20)
            redis = aioredis.Redis.from_pool(pool)
            state = RedisStateStore(redis, prefix=f"{settings.redis_prefix}state:")
        else:
            state = SqlStateStore(db)
        deps = Deps(db=db, clock=clock, settings=settings, state=state, redis=redis)
        services = Services(deps)
        if features is None:
            from bot.installed import FEATURES as features
        registry = build_registry(features)
        check_menus(registry, all_labels())
        if len(secretary_labels()) > MAX_MENU_BUTTONS:
            raise SystemExit(f"the secretary menu has more than {MAX_MENU_BUTTONS} buttons")
        deps.ext = build_extensions(features, services)
        dispatcher = Dispatcher(services, registry)
        app = cls(settings=settings, db=db, clock=clock, state=state, services=services, registry=registry,
                  dispatcher=dispatcher, redis=redis)
        deps.extras["app"] = app
        deps.on_roles_changed = app.sync_command_menus
        return app

    # --- channels ---

    def add_channel(self, key: str, channel: Channel) -> None:
        self.channels[key] = channel

    def build_sender(self, worker_id: str | None = None, limiter_for: Any = None) -> Sender:
        self.sender = Sender(self.db, self.clock, self.settings, self.channels,
                             self.services.get(IdentityService), worker_id=worker_id, before_send=self._before_send,
                             limiter_for=limiter_for or self._limiter_for, gate=self._gate,
                             on_finish=self._on_finish)
        return self.sender

    def _limiter_for(self, key: str) -> BotLimiter:
        s = self.settings
        if key.startswith("zalo:"):
            from bot.channels.zalo.runtime import zalo_limiter

            return zalo_limiter(s)
        return BotLimiter(s.send_global_per_sec, s.send_chat_per_sec, s.send_group_per_min)

    async def _gate(self, row: OutboxMessage) -> str | Hold | None:
        """Asked by the sender before each outbox row: the features' send gates (a reason skips it, a Hold
        keeps it for later)."""
        for gate in self.services.deps.ext.send_gates:
            reason = await gate(row)
            if reason:
                return reason
        return None

    async def handle(self, inbound: Inbound, channel: Channel) -> None:
        await self.dispatcher.handle(inbound, channel)
        if self.sender is not None:
            self.sender.wake()  # a handler may have queued notices for others

    async def _before_send(self, row: OutboxMessage, reply: Reply) -> None:
        """Remember numbered choices sent through the outbox on channels without buttons. Done before the
        delivery and under the person's lock, so an instant "1" finds them and a handler running for the
        same person does not overwrite them with its older copy of the state."""
        channel = self.channels.get(f"{row.channel}:{row.bot}") or self.channels.get(row.channel)
        if channel is None or channel.caps.buttons or not reply.choices() or row.identity_id is None:
            return
        async with self.db.session() as s:
            ident = await s.get(Identity, row.identity_id)
        if ident is None:
            return
        key = f"{row.channel}:{row.bot}:{row.chat_id}:{ident.external_id}"
        async with self.dispatcher.locks.lock(key):
            state = await self.state.get(key)
            reply.choice_start = choices.add_group(state, reply.choices())  # numbered after the live ones
            await self.state.set(key, state, self.clock.now())

    async def _on_finish(self, row: OutboxMessage, status: OutboxStatus, message_ids: list[str]) -> None:
        """Tell the features that watch outbox outcomes (e.g. broadcast progress) that a row is final."""
        for observer in self.services.deps.ext.outbox_observers:
            try:
                await observer(self.services, row, status.value, message_ids)
            except Exception:
                log.exception("outbox observer %s failed", getattr(observer, "__name__", observer))

    def command_menu(self, locale: str = "vi", actor: Actor | None = None) -> list[tuple[str, str]]:
        """Telegram's "/" menu: everyone's (members and newcomers) or one person's, from the help declarations."""
        with use_locale(locale):
            return menu_commands(self.registry, self.registry.help_lines, actor)

    async def sync_command_menus(self, person_ids: list[int]) -> None:
        """Give these people's Telegram chats the "/" menu of their role: secretaries and administrators their
        own list (BotCommandScopeChat), members the default one (their chat's own list is removed)."""
        if not person_ids or not any(k == "telegram" or k.startswith("telegram:") for k in self.channels):
            return
        identities = self.services.get(IdentityService)
        async with self.db.session() as s:
            rows = (await s.execute(select(Identity.person_id, Identity.external_id, Identity.bot).where(
                Identity.person_id.in_(person_ids), Identity.channel == "telegram"))).all()  # type: ignore[union-attr]
        for person_id, external_id, bot in rows:
            # Each identity's menu on its own bot (TELEGRAM_BOTS): another bot never saw that chat.
            channel = self.channels.get(f"telegram:{bot}" if bot else "telegram")
            setter = getattr(channel, "set_commands", None)
            actor = await identities.actor_for_person(person_id)
            if setter is None or actor is None or not str(external_id).lstrip("-").isdigit():
                continue
            own = help_role(actor) in ("secretary", "committee")
            await setter(self.command_menu(actor.locale, actor) if own else None, chat_id=str(external_id))

    async def sync_known_command_menus(self) -> None:
        """At start-up: the people whose "/" menu is not the default one (managers and administrators)."""
        admins = [a.split(":", 1)[1] for a in self.settings.admin_ids if a.startswith("telegram:")]
        async with self.db.session() as s:
            managers = (await s.execute(select(Membership.person_id).where(
                Membership.status == MembershipStatus.ACTIVE.value,
                Membership.role.in_([BranchRole.SECRETARY.value, BranchRole.DEPUTY.value])))).scalars().all()  # type: ignore[attr-defined]
            committee = (await s.execute(select(OrgRole.person_id))).scalars().all()
            system = (await s.execute(select(Identity.person_id).where(
                Identity.channel == "telegram", Identity.external_id.in_(admins)))).scalars().all()  # type: ignore[attr-defined]
        await self.sync_command_menus(sorted({*managers, *committee, *(p for p in system if p is not None)}))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for channel in self.channels.values():
            closer = getattr(channel, "close", None)
            if closer is not None:
                with contextlib.suppress(Exception):
                    await closer()
        if self.redis is not None:
            await self.redis.aclose()
        await self.db.dispose()


def startup_line() -> str:
    return _("Học Bác mỗi ngày is running. Press Ctrl+C to stop.")
