"""The composition root: the one place that builds an App, its channels and its sender from settings.

Every long-running mode and the test harness go through :func:`build`:

* ``hocbac run``, ``BotHarness`` (all conversation tests) and ``hocbac demo``: ``mode="single"`` -- one
  process does everything: Telegram (when BOT_TOKEN is set), the Zalo bots (when ZALO_BOTS is set), the
  sender, the ticks;
* ``hocbac web``: ``mode="web"`` -- Telegram for replies and the webhook server, no sender, no ticks;
* ``hocbac worker``: ``mode="worker"`` -- Telegram and the sender (paced through Redis when set);
* ``hocbac set-webhook``: ``mode="setup"`` -- the App (for the command menu) and an unstarted Telegram bot.

:class:`TickRunner` is the one tick runner (``run`` and ``worker``; the harness ticks by hand through
``Composed.ticks.tick``). bot.channels never import the App or the features: what they need (the inbound
handler, the media reader, the Zalo sent-message counter) is handed to them here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from bot.app import App
from bot.channels.sender import Sender
from bot.channels.telegram.thin import ThinChannel, thin_channel
from bot.channels.zalo.runtime import ZaloRuntime, bot_names, check_zalo_tokens
from bot.clock import Clock
from bot.config import Settings, StartupError, require_token
from bot.delivery import Channel
from bot.features.zalo_quota.service import ZaloQuotaService
from bot.kernel.feature import Feature
from bot.scale.dedupe import RedisDedupe, SqlDedupe
from bot.scale.leader import AlwaysLeader, Leadership, PgAdvisoryLeadership, RedisLeaseLeadership
from bot.scale.locks import RedisLocks
from bot.scale.metrics import Metrics
from bot.scale.ratelimit import redis_limiter_factory
from bot.services.deps import Services
from bot.services.media import MediaStore
from bot.services.ticks import run_ticks
from storage.migrate import upgrade

if TYPE_CHECKING:  # aiogram is imported only by the modes that poll or serve webhooks (not ``worker``)
    from bot.channels.telegram.channel import TelegramChannel
    from bot.scale.web import WebhookServer

log = logging.getLogger("hocbac.compose")

Mode = Literal["single", "web", "worker", "setup"]

MIGRATION_LOCK_ID = 0x686F6D67  # "homg"


# --- the App -------------------------------------------------------------------------------------------


def _asyncpg_dsn(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://")


async def check_database(settings: Settings, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """Connect once before anything else: a PostgreSQL that is down, a database that does not exist or a
    refused user stops start-up with one line naming DATABASE_URL (not a 100-line traceback)."""
    if not settings.database_url.startswith("postgresql"):
        return
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    errors = asyncpg.exceptions
    try:
        conn = await asyncpg.connect(_asyncpg_dsn(settings.database_url), timeout=timeout)
    except errors.InvalidCatalogNameError:
        raise StartupError("DATABASE_URL", f"database {url.database!r} does not exist on {where}",
                           f"Create it (createdb -h {url.host or 'localhost'} -U {url.username or 'postgres'} "
                           f"{url.database}) or correct the database name.") from None
    except (errors.InvalidPasswordError, errors.InvalidAuthorizationSpecificationError):
        raise StartupError("DATABASE_URL", f"PostgreSQL at {where} refused user {url.username!r}",
                           "Check the user name and password.") from None
    except (OSError, TimeoutError) as exc:
        raise StartupError("DATABASE_URL", f"cannot connect to PostgreSQL at {where} ({_reason(exc)})",
                           "Start PostgreSQL or correct the host and port.") from None
    except errors.PostgresError as exc:
        raise StartupError("DATABASE_URL", f"PostgreSQL at {where} refused the connection ({_reason(exc)})",
                           "Check the setting against the server.") from None
    await conn.close()


async def check_redis(settings: Settings, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """PING once at start (when REDIS_URL is set): an unreachable Redis stops start-up with one line."""
    if not settings.redis_url:
        return
    import redis.asyncio as aioredis

    client = aioredis.from_url(settings.redis_url)
    try:
        await asyncio.wait_for(client.ping(), timeout)
    except Exception as exc:
        from urllib.parse import urlsplit

        parts = urlsplit(settings.redis_url)
        where = f"{parts.hostname or 'localhost'}:{parts.port or 6379}"  # never the password
        raise StartupError("REDIS_URL", f"cannot reach Redis at {where} ({_reason(exc)})",
                           "Start Redis or correct REDIS_URL (leave it empty for a single process).") from None
    finally:
        await client.aclose()


def _reason(exc: BaseException) -> str:
    """A short reason for the one start-up line: the error's first line, without a trace."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:160]}" if text else type(exc).__name__


async def migrate_once(settings: Settings, app: App) -> None:
    """N processes start together: on PostgreSQL only one runs the migrations at a time."""
    if app.db.dialect != "postgresql":
        await upgrade(app.db.engine)
        return
    import asyncpg

    conn = await asyncpg.connect(_asyncpg_dsn(settings.database_url))
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID)
        try:
            await upgrade(app.db.engine)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)
    finally:
        await conn.close()


async def create_app(settings: Settings, *, clock: Clock | None = None, mode: Mode = "single",
                     features: Sequence[Feature] | None = None) -> App:
    """The App with the locks and de-duplication its mode needs.

    With Redis, per-person locks and update de-duplication are shared by every process. Without Redis,
    ``web``/``worker`` processes still drop a repeated update through the processed_update table.
    """
    shared = mode in ("web", "worker")
    await check_database(settings)  # before migrations: a wrong setting is one line, not a trace
    await check_redis(settings)
    app = await App.create(settings, clock=clock, migrate=mode == "single", features=features)
    if shared:
        await migrate_once(settings, app)
    if app.redis is not None:
        prefix = settings.redis_prefix
        app.dispatcher.locks = RedisLocks(app.redis, prefix=f"{prefix}lock:")
        app.dispatcher.dedupe = RedisDedupe(app.redis, prefix=f"{prefix}upd:")
    elif shared:
        app.dispatcher.dedupe = SqlDedupe(app.db, app.clock)
    return app


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """An App for one command-line action (no channels, no loops): its services, closed afterwards."""
    app = await create_app(settings)
    try:
        yield app.services
    finally:
        await app.close()


# --- the one tick runner -------------------------------------------------------------------------------


class TickRunner:
    """Runs every declared tick (``run_ticks``) each ``settings.tick_seconds``, then wakes the sender.

    Fixed rate: a tick that overruns its slot skips the missed ones (one catch-up, not a burst), and ticks
    never overlap. ``run`` returns once ``stop`` is set and the tick in progress has finished, so a worker
    that loses its leadership never leaves a tick running behind the new leader's back.
    """

    def __init__(self, app: App) -> None:
        self.app = app

    @property
    def every(self) -> float:
        return float(self.app.settings.tick_seconds)

    async def tick(self, now: datetime | None = None, only: list[str] | None = None) -> dict[str, str]:
        results = await run_ticks(self.app.services, now, only)
        if self.app.sender is not None:
            self.app.sender.wake()  # a tick may have queued messages
        return results

    async def run(self, stop: asyncio.Event, *, first_now: bool = True) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() if first_now else loop.time() + self.every
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=max(0.0, due - loop.time()))
            if stop.is_set():
                return
            try:
                await self.tick()
            except Exception:  # run_ticks isolates each tick; this guards its own queries
                log.exception("ticks failed")
            due += self.every
            now = loop.time()
            if due <= now:
                due += ((now - due) // self.every + 1) * self.every


# --- channels and sender -------------------------------------------------------------------------------


def telegram_bot_channel(settings: Settings, app: App | None = None) -> TelegramChannel:
    """The Telegram channel for BOT_TOKEN (not started: ``await channel.start()`` asks for getMe)."""
    from bot.channels.telegram.channel import TelegramChannel, make_bot

    token = require_token(settings)
    reader = app.services.get(MediaStore).read if app is not None else None
    return TelegramChannel(make_bot(token, settings.telegram_api_url), media_reader=reader)


def telegram_channel_for(settings: Settings, mode: Mode) -> TelegramChannel | ThinChannel:
    """Every mode talks to the Bot API through the thin client: no aiogram import (~100 MB and seconds of
    start-up less). ``telegram_bot_channel`` (aiogram) stays as the reference the thin one is tested against."""
    return thin_channel(require_token(settings), settings.telegram_api_url)


def zalo_runtime(app: App, *, poll_timeout: int = 30) -> ZaloRuntime:
    """The bots of ZALO_BOTS, wired to the App: its handler, its media store, the zalo_quota counter."""
    quota = app.services.get(ZaloQuotaService)

    async def on_sent(bot_key: str, sent: int) -> None:
        await quota.record_sent(bot_key, sent)
        if app.sender is not None:
            app.sender.wake()  # a quota warning may have been queued

    async def on_quota(bot_key: str, reason: str) -> None:
        await quota.mark_exhausted(bot_key, reason)
        if app.sender is not None:
            app.sender.wake()  # the secretaries' notice was queued

    return ZaloRuntime(app.settings, app.clock, app.handle, media_reader=app.services.get(MediaStore).read,
                       on_sent=on_sent, on_quota=on_quota, poll_timeout=poll_timeout)


def build_sender(app: App, mode: Mode) -> Sender:
    """The sender; a ``worker`` with Redis paces each bot token through Redis (several may send)."""
    s = app.settings
    limiter_for = None
    if mode == "worker" and app.redis is not None:
        limiter_for = redis_limiter_factory(app.redis, s.send_global_per_sec, s.send_chat_per_sec,
                                            s.send_group_per_min, prefix=f"{s.redis_prefix}rl:")
    return app.build_sender(limiter_for=limiter_for)


def build_leadership(app: App) -> Leadership:
    """Which worker runs the ticks and the sender: a Redis lease, a PostgreSQL advisory lock, or this one."""
    s = app.settings
    if app.redis is not None:
        return RedisLeaseLeadership(app.redis, key=f"{s.redis_prefix}leader:worker",
                                    lease_ms=int(s.worker_lease_seconds * 1000))
    if app.db.dialect == "postgresql":
        return PgAdvisoryLeadership(s.database_url, check_every=max(0.2, s.worker_lease_seconds / 3))
    return AlwaysLeader()


SQLITE_WEB_MAX_TASKS = 32  # updates at once on embedded SQLite (see webhook_server)


def webhook_server(app: App, telegram: TelegramChannel | ThinChannel | None, *,
                   zalo_channels: Mapping[str, Any] | None = None, metrics: Metrics | None = None) -> WebhookServer:
    from bot.scale.web import WebhookServer

    s = app.settings
    secret = s.webhook_secret.get_secret_value() if s.webhook_secret else ""
    max_tasks = s.web_max_tasks
    if app.db.dialect == "sqlite":
        # One writer at a time: 256 updates at once queue past the writer lock's wait and fail after the 200.
        max_tasks = min(max_tasks, SQLITE_WEB_MAX_TASKS)
    return WebhookServer(app, telegram, secret, zalo_channels=zalo_channels, metrics=metrics,
                         max_tasks=max_tasks, drain_timeout=s.web_drain_seconds,
                         telegram_path=s.webhook_path, zalo_path=s.zalo_webhook_path)


# --- the whole process ---------------------------------------------------------------------------------


@dataclass
class Composed:
    """What :func:`build` made. ``close`` stops and closes all of it (the caller stops its own loops)."""

    app: App
    mode: Mode
    telegram: TelegramChannel | ThinChannel | None = None  # ThinChannel in ``worker`` mode
    zalo: ZaloRuntime | None = None
    sender: Sender | None = None
    webhook: WebhookServer | None = None
    ticks: TickRunner = field(init=False)

    def __post_init__(self) -> None:
        self.ticks = TickRunner(self.app)

    async def poll_telegram(self, stop: asyncio.Event, *, polling_timeout: int = 25) -> None:
        """Telegram long polling into the App until ``stop`` is set."""
        from bot.channels.telegram.runtime import build_intake

        assert isinstance(self.telegram, ThinChannel)
        await build_intake(self.telegram, self.app.handle).poll(self.telegram.bot, stop,
                                                                polling_timeout=polling_timeout)

    async def close(self) -> None:
        if self.zalo is not None:
            await self.zalo.stop()
        if self.telegram is not None:
            await self.telegram.close()
        await self.app.close()


async def build(settings: Settings, *, mode: Mode = "single", stop: asyncio.Event | None = None,
                clock: Clock | None = None, features: Sequence[Feature] | None = None,
                extra_channels: Mapping[str, Channel] | None = None, zalo_poll_timeout: int = 30) -> Composed:
    """Build the App and its channels for ``mode``; in ``single`` mode the Zalo bots start (they poll until
    ``stop``). ``extra_channels`` are added as they are (tests). Closed with ``Composed.close``."""
    # `run` may be Zalo alone (ZALO_BOTS, no BOT_TOKEN); web and worker are Telegram deployments.
    telegram: TelegramChannel | ThinChannel | None = None
    if mode != "setup" and (settings.token or mode != "single"):
        # getMe before the database is touched: a rejected token or an unreachable Bot API is one line.
        telegram = telegram_channel_for(settings, mode)
        try:
            await telegram.start()
        except BaseException:
            await telegram.close()
            raise
    zalo_me: dict[str, dict[str, Any]] = {}
    try:
        if mode == "single" and settings.zalo_bots:
            zalo_me = await check_zalo_tokens(settings)  # a rejected Zalo token is one line too
        app = await create_app(settings, clock=clock, mode=mode, features=features)
    except BaseException:
        if telegram is not None:
            await telegram.close()
        raise
    composed = Composed(app, mode, telegram=telegram)
    try:
        if mode == "setup":
            composed.telegram = telegram_channel_for(settings, mode)
            return composed
        if composed.telegram is not None:
            composed.telegram.media_reader = app.services.get(MediaStore).read
            app.add_channel("telegram", composed.telegram)
            if mode == "single":
                await composed.telegram.set_commands(app.command_menu("vi"))
                await app.sync_known_command_menus()
        for key, channel in (extra_channels or {}).items():
            app.add_channel(key, channel)
        if mode == "single":
            composed.zalo = zalo_runtime(app, poll_timeout=zalo_poll_timeout)
            for key, channel in composed.zalo.channels.items():
                me = zalo_me.get(key, {})
                channel.bot_id, channel.bot_names = str(me.get("id") or ""), bot_names(me)
            for key, channel in composed.zalo.channels_by_key().items():
                app.add_channel(key, channel)
            await composed.zalo.start(stop or asyncio.Event())
        if mode in ("single", "worker"):
            composed.sender = build_sender(app, mode)
            if mode == "single":
                # The only sender on this database: rows left "sending" are ours from before a crash
                # (kill -9); send them now instead of after the claim lease. Workers keep the lease.
                await composed.sender.reclaim_own()
        if mode == "web":
            composed.webhook = webhook_server(app, composed.telegram)
    except BaseException:
        await composed.close()
        raise
    return composed
