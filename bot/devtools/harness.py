"""Run the real bot (App + Telegram polling + sender) against a fake Bot API, in-process.

Used by the conversation tests and by `hocbac demo`. Nothing here is a production path: it wires the
same App, channel and sender that `hocbac run` uses, only with a chosen clock and base URL.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

from bot.app import App
from bot.channels.telegram.channel import TelegramChannel, make_bot
from bot.channels.telegram.runtime import build_intake
from bot.channels.zalo.runtime import ZaloRuntime
from bot.clock import Clock
from bot.config import Settings
from bot.services.media import MediaStore
from bot.services.ticks import run_ticks

TEST_TOKEN = "123456:TEST-token-for-the-fake-server"


class BotHarness:
    def __init__(self, settings: Settings, clock: Clock | None = None, *, run_sender: bool = True) -> None:
        self.settings = settings
        self.clock = clock
        self.run_sender = run_sender
        self.app: App | None = None
        self.channel: TelegramChannel | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []
        self._dp: Any = None
        self.zalo: ZaloRuntime | None = None

    async def start(self) -> BotHarness:
        self._stop = asyncio.Event()
        self.app = await App.create(self.settings, clock=self.clock)
        media = self.app.services.get(MediaStore)
        self.channel = TelegramChannel(make_bot(self.settings.token, self.settings.telegram_api_url),
                                       media_reader=media.read)
        await self.channel.start()
        await self.channel.set_commands(self.app.command_menu("vi"))
        self.app.add_channel("telegram", self.channel)
        for key, channel in self.extra_channels().items():
            self.app.add_channel(key, channel)
        # The bots of settings.zalo_bots (ZALO_API_URL may point at a FakeZalo), wired as `hocbac run` does.
        self.zalo = ZaloRuntime(self.app, poll_timeout=1)
        await self.zalo.start(self._stop)
        sender = self.app.build_sender()
        self._dp = build_intake(self.channel, self.app.handle)
        self._tasks.append(asyncio.create_task(
            self._dp.start_polling(self.channel.bot, handle_signals=False, close_bot_session=False,
                                   polling_timeout=1), name="polling"))
        if self.run_sender:
            self._tasks.append(asyncio.create_task(sender.run(self._stop, idle_poll=0.05), name="sender"))
        return self

    def extra_channels(self) -> dict[str, Any]:
        """Hook for subclasses (e.g. a Zalo channel on the fake Zalo server)."""
        return {}

    async def tick(self, now: datetime | None = None, only: list[str] | None = None) -> dict[str, str]:
        assert self.app is not None
        results = await run_ticks(self.app.services, now, only)
        if self.app.sender is not None:
            self.app.sender.wake()
        return results

    async def drain(self) -> int:
        assert self.app is not None and self.app.sender is not None
        return await self.app.sender.drain()

    async def stop(self) -> None:
        self._stop.set()
        if self._dp is not None:
            with contextlib.suppress(Exception):
                await self._dp.stop_polling()
        for task in self._tasks:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=5)
        self._tasks.clear()
        if self.zalo is not None:
            await self.zalo.stop()
            self.zalo = None
        if self.channel is not None:
            await self.channel.bot.session.close()
        if self.app is not None:
            await self.app.close()

    async def restart(self) -> BotHarness:
        """Stop and start again on the same database: what a process restart does."""
        await self.stop()
        return await self.start()

    async def __aenter__(self) -> BotHarness:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
