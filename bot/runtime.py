"""The long-running modes, thin loops around what bot.compose builds:

* ``hocbac run``: polling + ticks + sender in one process (``run_polling``);
* ``hocbac web``: the webhook worker, start it N times (``run_web``);
* ``hocbac worker``: the elected worker runs the ticks; the sender runs in every worker on PostgreSQL with
  Redis (claims skip each other's rows, limits are shared), in the elected one only otherwise (``run_worker``);
* ``hocbac set-webhook``: register the webhook and the command menu once (``set_webhook``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from aiohttp import web

from bot.app import startup_line
from bot.compose import build, build_leadership, mount_dashboard, senders_everywhere
from bot.config import Settings, require_channel, require_token
from bot.scale.leader import Leadership, lead
from bot.scale.metrics import Metrics, add_ops_routes

log = logging.getLogger("hocbac.run")


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


async def run_polling(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    require_channel(settings)
    stop = stop or asyncio.Event()
    _stop_on_signals(stop)
    # Telegram when BOT_TOKEN is set; Zalo alone is a whole deployment too (ZALO_BOTS, no BOT_TOKEN).
    composed = await build(settings, mode="single", stop=stop)
    tasks: list[asyncio.Task[None]] = []
    dashboard: web.AppRunner | None = None
    try:
        dashboard = await _serve_dashboard(composed.app.services, settings)
        assert composed.sender is not None
        tasks.append(asyncio.create_task(composed.sender.run(stop), name="sender"))
        # Catch up at once after downtime, beside the polling: a long catch-up tick (a daily send to 100,000
        # members) must not keep people's messages waiting.
        tasks.append(asyncio.create_task(composed.ticks.run(stop, first_now=True), name="ticks"))
        print(startup_line(), flush=True)
        if composed.zalo is not None and composed.zalo.polling_hint:
            print(composed.zalo.polling_hint, flush=True)
        if not composed.telegrams:
            await stop.wait()
        else:
            await composed.poll_telegram(stop)
    finally:
        stop.set()
        for task in tasks:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=5)
        if dashboard is not None:
            await dashboard.cleanup()
        await composed.close()


async def _serve_dashboard(services: object, settings: Settings) -> web.AppRunner | None:
    """`hocbac run`: the web dashboard on WEB_HOST:DASHBOARD_PORT, when DASHBOARD_URL is set."""
    if not settings.dashboard_port:
        return None
    root = web.Application()
    if not mount_dashboard(root, services):
        return None
    runner = web.AppRunner(root, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    await web.TCPSite(runner, settings.web_host, settings.dashboard_port).start()
    print(f"hocbac run: dashboard on {settings.web_host}:{settings.dashboard_port} "
          f"({settings.dashboard_url}/dashboard/)", flush=True)
    return runner


async def run_web(settings: Settings, *, stop: asyncio.Event | None = None,
                  ready: asyncio.Future[int] | None = None) -> None:
    stop = stop or asyncio.Event()
    _stop_on_signals(stop)
    composed = await build(settings, mode="web")
    runner: web.AppRunner | None = None
    try:
        assert composed.webhook is not None
        web_app = composed.webhook.build()
        mount_dashboard(web_app, composed.app.services)  # /dashboard/… next to the webhook, when configured
        runner = web.AppRunner(web_app, access_log=None,
                               shutdown_timeout=settings.web_drain_seconds)
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
        await composed.close()


async def run_worker(settings: Settings, *, stop: asyncio.Event | None = None,
                     leadership: Leadership | None = None) -> None:
    """Standby until elected; then run the ticks (and the sender, on SQLite or without Redis) until leadership
    is lost or stop. On PostgreSQL with Redis the sender runs all along, in every worker."""
    stop = stop or asyncio.Event()
    _stop_on_signals(stop)
    composed = await build(settings, mode="worker")
    app, sender = composed.app, composed.sender
    assert sender is not None
    metrics = Metrics()
    runner: web.AppRunner | None = None
    everywhere = senders_everywhere(app)
    sending: asyncio.Task[None] | None = None
    try:
        if everywhere:
            sending = asyncio.create_task(sender.run(stop, idle_poll=settings.worker_idle_poll), name="sender")
        if settings.worker_port:
            ops = web.Application()
            add_ops_routes(ops.router, app, metrics)
            runner = web.AppRunner(ops, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, settings.web_host, settings.worker_port).start()

        async def work(lost: asyncio.Event) -> None:
            if everywhere:
                await composed.ticks.run(lost)
            else:
                await asyncio.gather(composed.ticks.run(lost), sender.run(lost, idle_poll=settings.worker_idle_poll))

        def changed(leader: bool) -> None:
            metrics.leader.set(1 if leader else 0)
            print("hocbac worker: active" if leader else "hocbac worker: standby", flush=True)

        print("hocbac worker: standby", flush=True)
        await lead(leadership or build_leadership(app), work, stop, retry_every=settings.worker_retry_seconds,
                   on_change=changed)
    finally:
        stop.set()
        if sending is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(sending, timeout=10)
        if runner is not None:
            await runner.cleanup()
        await composed.close()


async def set_webhook(settings: Settings) -> str:
    """Register the webhook URL and secret with Telegram, and the command menu: once per deployment, for
    every bot (BOT_TOKEN's at WEBHOOK_PATH, each TELEGRAM_BOTS bot at WEBHOOK_PATH/<key>)."""
    if not settings.telegram_bots:
        require_token(settings)
    if not settings.webhook_url:
        raise SystemExit("missing setting WEBHOOK_URL, e.g. https://bot.example.vn (the path is added)")
    if not settings.webhook_secret:
        raise SystemExit("missing setting WEBHOOK_SECRET: 32+ random characters A-Z a-z 0-9 _ -")
    base = settings.webhook_url.rstrip("/") + settings.webhook_path
    urls: list[str] = []
    composed = await build(settings, mode="setup")
    try:
        for key, channel in composed.telegrams.items():
            url = f"{base.rstrip('/')}/{key}" if key else base
            await channel.bot.set_webhook(url=url, secret_token=settings.webhook_secret.get_secret_value(),
                                          allowed_updates=["message", "callback_query", "my_chat_member"],
                                          max_connections=settings.webhook_max_connections)
            await channel.set_commands(composed.app.command_menu("vi"))
            composed.app.add_channel(f"telegram:{key}" if key else "telegram", channel)
            urls.append(url)
        await composed.app.sync_known_command_menus()
    finally:
        await composed.close()
    return ", ".join(urls)
