"""The composition root: the one place that builds an App, its channels and its sender from settings.

Every long-running mode and the test harness go through :func:`build`:

* ``hocbac run``, ``BotHarness`` (all conversation tests) and ``hocbac demo``: ``mode="single"`` -- one
  process does everything: Telegram (when BOT_TOKEN is set), the Zalo bots (when ZALO_BOTS is set), the
  sender, the ticks;
* ``hocbac web``: ``mode="web"`` -- Telegram for replies and the webhook server, no sender, no ticks;
* ``hocbac worker``: ``mode="worker"`` -- Telegram and the sender (paced through Redis when set; on
  PostgreSQL with Redis every worker sends, see :func:`senders_everywhere`);
* ``hocbac set-webhook``: ``mode="setup"`` -- the App (for the command menu) and an unstarted Telegram bot.

:class:`TickRunner` is the one tick runner (``run`` and ``worker``; the harness ticks by hand through
``Composed.ticks.tick``). bot.channels never import the App or the features: what they need (the inbound
handler, the media reader, the Zalo sent-message counter) is handed to them here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from bot.app import App
from bot.channels.sender import Sender
from bot.channels.telegram.thin import ThinChannel, thin_channel
from bot.channels.zalo.runtime import ZaloRuntime, bot_names, check_zalo_tokens
from bot.clock import Clock
from bot.config import Settings, StartupError, TelegramBot, require_token
from bot.delivery import Channel
from bot.features.zalo_quota.service import ZaloQuotaService
from bot.kernel.feature import Feature
from bot.scale.dedupe import RedisDedupe, SqlDedupe
from bot.scale.leader import AlwaysLeader, Leadership, PgAdvisoryLeadership, RedisLeaseLeadership
from bot.scale.locks import RedisLocks
from bot.scale.metrics import Metrics
from bot.scale.ratelimit import redis_limiter_factory
from bot.services.bot_alerts import tell_admins_bot_revoked
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


def telegram_bot_channel(settings: Settings, app: App | None = None, bot: TelegramBot | None = None) -> TelegramChannel:
    """The Telegram channel for BOT_TOKEN, or for one bot of TELEGRAM_BOTS (not started: ``await
    channel.start()`` asks for getMe)."""
    from bot.channels.telegram.channel import TelegramChannel, make_bot

    token = bot.token if bot is not None else require_token(settings)
    reader = app.services.get(MediaStore).read if app is not None else None
    return TelegramChannel(make_bot(token, settings.telegram_api_url), media_reader=reader,
                           bot_key=bot.key if bot is not None else "")


async def start_telegram_bots(settings: Settings, *, require: bool) -> dict[str, ThinChannel]:
    """One started channel per Telegram bot (BOT_TOKEN's under key "", then TELEGRAM_BOTS'), each asked
    getMe: a rejected token stops start-up with one line naming its key. ``require``: web and worker are
    Telegram deployments, so no bot at all is the missing BOT_TOKEN line."""
    bots = settings.telegram_tokens()
    if not bots and require:
        require_token(settings)
    channels: dict[str, ThinChannel] = {}
    try:
        for bot in bots:
            channel = telegram_channel_for(settings, bot)
            channels[bot.key] = channel
            await channel.start()
    except BaseException:
        for channel in channels.values():
            await channel.close()
        raise
    return channels


async def telegram_username(settings: Settings, key: str) -> str:
    """The @username (without @) of bot ``key`` ("" = BOT_TOKEN's), asked with getMe; "" when it cannot be
    reached. For printed invites (``hocbac admin``), which have no running bot to ask."""
    bot = next((b for b in settings.telegram_tokens() if b.key == key), None)
    if bot is None:
        return ""
    channel = telegram_channel_for(settings, bot)
    try:
        await channel.start()
        return channel.username
    except Exception as exc:  # the invite is still printed, with the plain /start line
        log.warning("getMe of Telegram bot %r failed: %s", key or "default", exc)
        return ""
    finally:
        await channel.close()


def telegram_channel_for(settings: Settings, bot: TelegramBot | None = None) -> ThinChannel:
    """The channel of BOT_TOKEN's bot, or of one bot of TELEGRAM_BOTS (not started). Every mode talks to the
    Bot API through the thin client: no aiogram import (~100 MB and seconds of start-up less).
    ``telegram_bot_channel`` (aiogram) stays as the reference the thin one is tested against."""
    token = bot.token if bot is not None else require_token(settings)
    return thin_channel(token, settings.telegram_api_url, bot_key=bot.key if bot is not None else "")


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
    """The sender; a ``worker`` with Redis paces each bot token through Redis (several may send). A bot whose
    token is refused stops alone and the system admins are told through another bot (bot_alerts)."""
    s = app.settings
    limiter_for = None
    if mode == "worker" and app.redis is not None:
        limiter_for = redis_limiter_factory(app.redis, s.send_global_per_sec, s.send_chat_per_sec,
                                            s.send_group_per_min, prefix=f"{s.redis_prefix}rl:")
    sender = app.build_sender(limiter_for=limiter_for)
    deps = app.services.deps

    async def on_revoked(channel: str, bot: str, reason: str, usable: Callable[[str, str], bool]) -> None:
        await tell_admins_bot_revoked(deps, channel, bot, reason, usable)
        sender.wake()  # the warning is due now

    sender.on_revoked = on_revoked
    return sender


def senders_everywhere(app: App) -> bool:
    """Whether every ``hocbac worker`` sends (not only the leader): on PostgreSQL, whose claims skip rows
    another worker holds, and with Redis, through which the workers share each bot's rate limit. SQLite has
    one writer, and without Redis two senders would each spend a bot's whole limit."""
    return app.db.dialect == "postgresql" and app.redis is not None


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


def webhook_server(app: App, telegram: ThinChannel | None, *, zalo_channels: Mapping[str, Any] | None = None,
                   metrics: Metrics | None = None,
                   other_telegrams: Mapping[str, ThinChannel] | None = None) -> WebhookServer:
    from bot.scale.web import WebhookServer

    s = app.settings
    secret = s.webhook_secret.get_secret_value() if s.webhook_secret else ""
    max_tasks = s.web_max_tasks
    if app.db.dialect == "sqlite":
        # One writer at a time: 256 updates at once queue past the writer lock's wait and fail after the 200.
        max_tasks = min(max_tasks, SQLITE_WEB_MAX_TASKS)
    return WebhookServer(app, telegram, secret, zalo_channels=zalo_channels, metrics=metrics,
                         max_tasks=max_tasks, drain_timeout=s.web_drain_seconds,
                         telegram_path=s.webhook_path, zalo_path=s.zalo_webhook_path,
                         other_telegrams=other_telegrams)


def mount_dashboard(root: Any, services: Any) -> bool:
    """The web dashboard (/dashboard/…) on ``root`` when DASHBOARD_URL is set; True if mounted. ``services``
    may be a callable giving them later (the demo binds its port before the bot exists): always mounted."""
    if not callable(services) and not services.deps.settings.dashboard_url:
        return False
    from bot.features.dashboard.web import mount

    mount(root, services)
    return True


# --- the whole process ---------------------------------------------------------------------------------


@dataclass
class Composed:
    """What :func:`build` made. ``close`` stops and closes all of it (the caller stops its own loops)."""

    app: App
    mode: Mode
    telegram: ThinChannel | None = None
    zalo: ZaloRuntime | None = None
    sender: Sender | None = None
    webhook: WebhookServer | None = None
    # Every Telegram bot by key: "" is BOT_TOKEN's (also ``telegram``), the others TELEGRAM_BOTS'.
    telegrams: dict[str, ThinChannel] = field(default_factory=dict)
    ticks: TickRunner = field(init=False)

    def __post_init__(self) -> None:
        self.ticks = TickRunner(self.app)

    async def poll_telegram(self, stop: asyncio.Event, *, polling_timeout: int = 25) -> None:
        """Telegram long polling of every bot into the App until ``stop`` is set (one intake per bot, so
        each update carries the key of the bot it was sent to)."""
        from bot.channels.telegram.runtime import build_intake

        channels = self.telegrams or ({"": self.telegram} if self.telegram is not None else {})
        assert channels
        await asyncio.gather(*(build_intake(channel, self.app.handle).poll(channel.bot, stop,
                                                                           polling_timeout=polling_timeout)
                               for channel in channels.values()))

    async def close(self) -> None:
        if self.zalo is not None:
            await self.zalo.stop()
        for channel in {id(c): c for c in (self.telegram, *self.telegrams.values()) if c is not None}.values():
            await channel.close()
        await self.app.close()


async def build(settings: Settings, *, mode: Mode = "single", stop: asyncio.Event | None = None,
                clock: Clock | None = None, features: Sequence[Feature] | None = None,
                extra_channels: Mapping[str, Channel] | None = None, zalo_poll_timeout: int = 30) -> Composed:
    """Build the App and its channels for ``mode``; in ``single`` mode the Zalo bots start (they poll until
    ``stop``). ``extra_channels`` are added as they are (tests). Closed with ``Composed.close``."""
    # `run` may be Zalo alone (ZALO_BOTS, no BOT_TOKEN); web and worker are Telegram deployments.
    telegrams: dict[str, ThinChannel] = {}
    if mode != "setup":
        # getMe before the database is touched: a rejected token or an unreachable Bot API is one line.
        telegrams = await start_telegram_bots(settings, require=mode != "single")
    zalo_me: dict[str, dict[str, Any]] = {}
    try:
        if mode == "single" and settings.zalo_bots:
            zalo_me = await check_zalo_tokens(settings)  # a rejected Zalo token is one line too
        app = await create_app(settings, clock=clock, mode=mode, features=features)
    except BaseException:
        for channel in telegrams.values():
            await channel.close()
        raise
    composed = Composed(app, mode, telegram=telegrams.get(""), telegrams=telegrams)
    try:
        if mode == "setup":
            bots = settings.telegram_tokens() or [TelegramBot("", require_token(settings), ())]
            composed.telegrams = {b.key: telegram_channel_for(settings, b if b.key else None) for b in bots}
            composed.telegram = composed.telegrams.get("")
            return composed
        # Join links name the bot of the đảng bộ: its username (from getMe) by bot key.
        app.services.deps.extras["telegram_usernames"] = {key: ch.username for key, ch in telegrams.items()}
        for key, channel in telegrams.items():
            channel.media_reader = app.services.get(MediaStore).read
            app.add_channel(f"telegram:{key}" if key else "telegram", channel)
            if mode == "single":
                await channel.set_commands(app.command_menu("vi"))
        if telegrams and mode == "single":
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
            composed.webhook = webhook_server(app, composed.telegram,
                                              other_telegrams={k: c for k, c in telegrams.items() if k})
    except BaseException:
        await composed.close()
        raise
    return composed
