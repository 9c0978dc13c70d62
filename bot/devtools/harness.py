"""Run the real bot (App + Telegram polling + sender) against a fake Bot API, in-process.

Used by the conversation tests and by `hocbac demo`. Nothing here is a production path: it builds the
App, channels and sender through the same bot.compose.build that `hocbac run` uses, only with a chosen
clock and base URL, and it runs the ticks by hand (``tick``) instead of on a timer.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

from bot.app import App
from bot.channels.telegram.thin import ThinChannel as TelegramChannel
from bot.channels.zalo.runtime import ZaloRuntime
from bot.clock import Clock
from bot.compose import Composed, build
from bot.config import Settings

TEST_TOKEN = "123456:TEST-token-for-the-fake-server"


class BotHarness:
    def __init__(self, settings: Settings, clock: Clock | None = None, *, run_sender: bool = True) -> None:
        self.settings = settings
        self.clock = clock
        self.run_sender = run_sender
        self.app: App | None = None
        self.channel: TelegramChannel | None = None
        self.telegrams: dict[str, TelegramChannel] = {}
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []
        self.composed: Composed | None = None
        self.zalo: ZaloRuntime | None = None

    async def start(self) -> BotHarness:
        self._stop = asyncio.Event()
        # The bots of settings.zalo_bots (ZALO_API_URL may point at a FakeZalo) too, as `hocbac run` does.
        self.composed = composed = await build(self.settings, mode="single", stop=self._stop, clock=self.clock,
                                               extra_channels=self.extra_channels(), zalo_poll_timeout=1)
        self.app, self.channel, self.zalo = composed.app, composed.telegram, composed.zalo
        # Every Telegram bot by key (TELEGRAM_BOTS): FakeTelegram.add_bot serves the others at the same address,
        # and ``fake_b.user(...)`` is someone talking to bot "b".
        self.telegrams = dict(composed.telegrams)
        if composed.telegrams:
            self._tasks.append(asyncio.create_task(composed.poll_telegram(self._stop, polling_timeout=1),
                                                   name="polling"))
        if self.run_sender and composed.sender is not None:
            self._tasks.append(asyncio.create_task(composed.sender.run(self._stop, idle_poll=0.05), name="sender"))
        return self

    def extra_channels(self) -> dict[str, Any]:
        """Hook for subclasses (e.g. a Zalo channel on the fake Zalo server)."""
        return {}

    async def tick(self, now: datetime | None = None, only: list[str] | None = None) -> dict[str, str]:
        assert self.composed is not None
        return await self.composed.ticks.tick(now, only)

    async def drain(self) -> int:
        assert self.app is not None and self.app.sender is not None
        return await self.app.sender.drain()

    async def stop(self) -> None:
        self._stop.set()  # ends the polling (stop_polling) and the sender
        for task in self._tasks:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=5)
        self._tasks.clear()
        if self.composed is not None:
            await self.composed.close()
            self.composed = None
        self.zalo = None

    async def restart(self) -> BotHarness:
        """Stop and start again on the same database: what a process restart does."""
        await self.stop()
        return await self.start()

    async def __aenter__(self) -> BotHarness:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
