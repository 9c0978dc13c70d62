"""Long-running modes: `hocbac run` (polling + ticks + sender in one process)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App, startup_line
from bot.channels.telegram.channel import TelegramChannel, make_bot
from bot.channels.telegram.runtime import build_intake
from bot.channels.zalo.runtime import ZaloRuntime
from bot.config import Settings, require_channel, require_token
from bot.services.media import MediaStore
from bot.services.ticks import run_ticks

log = logging.getLogger("hocbac.run")


def start_scheduler(app: App) -> AsyncIOScheduler:
    """APScheduler runs the minute ticks; each tick queries what is due (no job per person)."""
    scheduler = AsyncIOScheduler(timezone=app.settings.tz)

    async def tick_all() -> None:
        await run_ticks(app.services)
        if app.sender is not None:
            app.sender.wake()

    scheduler.add_job(tick_all, "interval", seconds=app.settings.tick_seconds, id="ticks", max_instances=1,
                      coalesce=True, misfire_grace_time=app.settings.tick_seconds)
    scheduler.start()
    return scheduler


async def setup_telegram(app: App) -> TelegramChannel:
    token = require_token(app.settings)
    media = app.services.get(MediaStore)
    channel = TelegramChannel(make_bot(token, app.settings.telegram_api_url), media_reader=media.read)
    await channel.start()
    await channel.set_commands(app.command_menu("vi"))
    app.add_channel("telegram", channel)
    return channel


async def run_polling(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    require_channel(settings)
    app = await App.create(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    scheduler = None
    zalo: ZaloRuntime | None = None
    try:
        # Telegram when BOT_TOKEN is set; Zalo alone is a whole deployment too (ZALO_BOTS, no BOT_TOKEN).
        channel = await setup_telegram(app) if settings.token else None
        zalo = ZaloRuntime(app)
        await zalo.start(stop)  # one poller per Zalo bot (or the webhook), when ZALO_BOTS is set
        sender = app.build_sender()
        app._tasks.append(asyncio.create_task(sender.run(stop), name="sender"))
        scheduler = start_scheduler(app)
        await run_ticks(app.services)  # catch up at once after downtime
        print(startup_line(), flush=True)
        if channel is None:
            await stop.wait()
            return
        dp = build_intake(channel, app.handle)
        polling = asyncio.create_task(dp.start_polling(channel.bot, handle_signals=False, close_bot_session=False,
                                                       polling_timeout=25))
        await stop.wait()
        await dp.stop_polling()
        with contextlib.suppress(Exception):
            await polling
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if zalo is not None:
            await zalo.stop()
        for ch in app.channels.values():
            bot = getattr(ch, "bot", None)
            if bot is not None:
                await bot.session.close()
        await app.close()
