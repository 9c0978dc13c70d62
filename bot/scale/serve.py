"""Long-running scale-out modes: `hocbac web` (webhook worker) and `hocbac worker` (ticks + sender)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.app import App
from bot.channels.sender import Sender
from bot.channels.telegram.channel import TelegramChannel, make_bot
from bot.config import Settings, require_token
from bot.scale.dedupe import SqlDedupe
from bot.scale.leader import AlwaysLeader, Leadership, PgAdvisoryLeadership, RedisLeaseLeadership, lead
from bot.scale.metrics import Metrics, add_ops_routes
from bot.scale.ratelimit import redis_limiter_factory
from bot.scale.web import WebhookServer
from bot.services import outbox
from bot.services.media import MediaStore
from storage.migrate import upgrade

log = logging.getLogger("hocbac.scale")

MIGRATION_LOCK_ID = 0x686F6D67  # "homg"


async def migrate_once(settings: Settings, app: App) -> None:
    """N processes start together: on PostgreSQL only one runs the migrations at a time."""
    if app.db.dialect != "postgresql":
        await upgrade(app.db.engine)
        return
    import asyncpg

    conn = await asyncpg.connect(settings.database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID)
        try:
            await upgrade(app.db.engine)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)
    finally:
        await conn.close()


async def create_app(settings: Settings) -> App:
    app = await App.create(settings, migrate=False)
    await migrate_once(settings, app)
    if app.redis is None:
        # No Redis: the processed_update table's key drops a repeated update across workers.
        app.dispatcher.dedupe = SqlDedupe(app.db, app.clock)
    return app


async def telegram_channel(app: App) -> TelegramChannel:
    token = require_token(app.settings)
    media = app.services.get(MediaStore)
    channel = TelegramChannel(make_bot(token, app.settings.telegram_api_url), media_reader=media.read)
    await channel.start()
    app.add_channel("telegram", channel)
    return channel


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


def webhook_server(app: App, telegram: TelegramChannel | None, *, zalo_channels: dict[str, Any] | None = None
                   ) -> WebhookServer:
    s = app.settings
    secret = s.webhook_secret.get_secret_value() if s.webhook_secret else ""
    return WebhookServer(app, telegram, secret, zalo_channels=zalo_channels, max_tasks=s.web_max_tasks,
                         drain_timeout=s.web_drain_seconds, telegram_path=s.webhook_path,
                         zalo_path=s.zalo_webhook_path)


async def run_web(settings: Settings, *, stop: asyncio.Event | None = None,
                  ready: asyncio.Future[int] | None = None) -> None:
    stop = stop or asyncio.Event()
    _stop_on_signals(stop)
    app = await create_app(settings)
    runner: web.AppRunner | None = None
    try:
        channel = await telegram_channel(app)
        server = webhook_server(app, channel)
        runner = web.AppRunner(server.build(), access_log=None, shutdown_timeout=settings.web_drain_seconds)
        await runner.setup()
        # reuse_port lets several workers share one port on one host (each still works on its own port).
        site = web.TCPSite(runner, settings.web_host, settings.web_port, reuse_port=settings.web_reuse_port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1] if site._server else settings.web_port  # type: ignore[union-attr]
        log.info("webhook worker listening on %s:%s", settings.web_host, port)
        print(f"hocbac web: listening on {settings.web_host}:{port}", flush=True)
        if ready is not None and not ready.done():
            ready.set_result(port)
        await stop.wait()
    finally:
        if runner is not None:
            await runner.cleanup()  # runs on_shutdown: drain the background set
        await app.close()


def build_leadership(app: App) -> Leadership:
    s = app.settings
    if app.redis is not None:
        return RedisLeaseLeadership(app.redis, key=f"{s.redis_prefix}leader:worker",
                                    lease_ms=int(s.worker_lease_seconds * 1000))
    if app.db.dialect == "postgresql":
        return PgAdvisoryLeadership(s.database_url, check_every=max(0.2, s.worker_lease_seconds / 3))
    return AlwaysLeader()


def build_sender(app: App) -> Sender:
    s = app.settings
    limiter_for = None
    if app.redis is not None:
        limiter_for = redis_limiter_factory(app.redis, s.send_global_per_sec, s.send_chat_per_sec,
                                            s.send_group_per_min, prefix=f"{s.redis_prefix}rl:")
    return app.build_sender(limiter_for=limiter_for)


async def run_worker(settings: Settings, *, stop: asyncio.Event | None = None,
                     leadership: Leadership | None = None) -> None:
    """Standby until elected; then run the ticks and the sender until leadership is lost or stop."""
    stop = stop or asyncio.Event()
    _stop_on_signals(stop)
    # Rows left 'sending' by a dead worker are claimed again after this lease (the in-flight window).
    outbox.CLAIM_LEASE = timedelta(seconds=settings.outbox_claim_lease_seconds)
    app = await create_app(settings)
    metrics = Metrics()
    runner: web.AppRunner | None = None
    try:
        await telegram_channel(app)
        sender = build_sender(app)
        if settings.worker_port:
            ops = web.Application()
            add_ops_routes(ops.router, app, metrics)
            runner = web.AppRunner(ops, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, settings.web_host, settings.worker_port).start()

        async def work(lost: asyncio.Event) -> None:
            await asyncio.gather(app.tick_loop(lost), sender.run(lost, idle_poll=settings.worker_idle_poll))

        def changed(leader: bool) -> None:
            metrics.leader.set(1 if leader else 0)
            print("hocbac worker: active" if leader else "hocbac worker: standby", flush=True)

        print("hocbac worker: standby", flush=True)
        await lead(leadership or build_leadership(app), work, stop, retry_every=settings.worker_retry_seconds,
                   on_change=changed)
    finally:
        if runner is not None:
            await runner.cleanup()
        await app.close()


async def set_webhook(settings: Settings) -> str:
    """Register the webhook URL and secret with Telegram, and the command menu: once per deployment."""
    token = require_token(settings)
    if not settings.webhook_url:
        raise SystemExit("missing setting WEBHOOK_URL, e.g. https://bot.example.vn (the path is added)")
    if not settings.webhook_secret:
        raise SystemExit("missing setting WEBHOOK_SECRET: 32+ random characters A-Z a-z 0-9 _ -")
    url = settings.webhook_url.rstrip("/") + settings.webhook_path
    app = await App.create(settings, migrate=False)
    bot = make_bot(token, settings.telegram_api_url)
    try:
        channel = TelegramChannel(bot)
        await bot.set_webhook(url=url, secret_token=settings.webhook_secret.get_secret_value(),
                              allowed_updates=["message", "callback_query", "my_chat_member"],
                              max_connections=settings.webhook_max_connections)
        await channel.set_commands(app.command_menu("vi"))
    finally:
        await bot.session.close()
        await app.close()
    return url
