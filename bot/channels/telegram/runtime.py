"""Telegram intake: long polling (getUpdates through the thin client) or updates fed from a webhook request,
each turned into a neutral Inbound by adapter.py. No aiogram: the update JSON is read as it is.

One update that does not parse is logged (its id, kind and the field at fault; never its text, which may be
personal) and skipped past the offset: it can never hold up the updates behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, Protocol

from bot.channels.telegram.adapter import ALLOWED_UPDATES, BadUpdate, update_to_inbound
from bot.channels.telegram.thin import ThinBot
from bot.delivery import Channel
from bot.messages import Inbound

log = logging.getLogger("hocbac.telegram")

OnInbound = Callable[[Inbound, Channel], Awaitable[None]]


class _Receiver(Channel, Protocol):
    username: str


def parse_update(raw: Any, bot_username: str = "") -> Inbound | None:
    """One raw update as an Inbound; None when it is of no use, or (logged at WARNING) does not parse."""
    try:
        return update_to_inbound(raw, bot_username)
    except Exception as exc:
        uid = raw.get("update_id") if isinstance(raw, dict) else None
        kinds = ",".join(str(k) for k in raw if k != "update_id")[:60] if isinstance(raw, dict) else type(raw).__name__
        where = exc.where[:200] if isinstance(exc, BadUpdate) else ""
        log.warning("skipped Telegram update %s (%s) that does not parse: %s %s", uid, kinds,
                    type(exc).__name__, where)
        return None


class Intake:
    """Turns updates into neutral events for ``on_inbound``; update kinds the bot does not read are dropped
    without a reply, which is what a person who is not waiting expects."""

    def __init__(self, channel: _Receiver, on_inbound: OnInbound) -> None:
        self.channel = channel
        self.on_inbound = on_inbound
        self._tasks: set[asyncio.Task[None]] = set()

    async def feed(self, raw: Any) -> None:
        inbound = parse_update(raw, self.channel.username)
        if inbound is None:
            return
        bot_key = getattr(self.channel, "bot_key", "")
        if bot_key:  # which bot it came to: identities and replies stay on that bot
            inbound.chat = replace(inbound.chat, bot=bot_key)
        try:
            if inbound.kind == "ignored" and inbound.callback_id:
                await self.channel.ack(inbound)  # e.g. a game button: stop the spinner, nothing else
                return
            await self.on_inbound(inbound, self.channel)
        except Exception as exc:
            log.error("error while handling a Telegram update: %r", exc)

    async def poll(self, bot: ThinBot, stop: asyncio.Event, *, polling_timeout: int = 25,
                   min_delay: float = 1.0, max_delay: float = 5.0) -> None:
        """Long polling until ``stop``. Each update is handled in its own task (a slow one does not hold up
        the others; the App orders one person's updates). Telegram unreachable: wait and try again."""
        offset: int | None = None
        delay = min_delay
        stopped = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                request = asyncio.ensure_future(bot.call(
                    "getUpdates", {"offset": offset, "timeout": polling_timeout, "allowed_updates": ALLOWED_UPDATES},
                    request_timeout=bot.timeout + polling_timeout))
                await asyncio.wait({request, stopped}, return_when=asyncio.FIRST_COMPLETED)
                if not request.done():
                    request.cancel()
                    with contextlib.suppress(BaseException):
                        await request
                    break
                try:
                    batch = request.result()
                except Exception as exc:
                    log.warning("getUpdates failed (%s); retrying in %.1f s", type(exc).__name__, delay)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(asyncio.shield(stopped), delay)
                    delay = min(max_delay, delay * 1.3)
                    continue
                delay = min_delay
                for item in batch if isinstance(batch, list) else ():
                    uid = item.get("update_id") if isinstance(item, dict) else None
                    if isinstance(uid, int) and not isinstance(uid, bool):
                        offset = uid + 1  # confirmed, parsed or not: the poll moves on
                    task = asyncio.create_task(self.feed(item))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
        finally:
            stopped.cancel()
            if self._tasks:  # let the updates in hand finish (the App closes after)
                await asyncio.wait(set(self._tasks), timeout=5)


def build_intake(channel: _Receiver, on_inbound: OnInbound) -> Intake:
    return Intake(channel, on_inbound)


async def feed_raw_update(intake: Intake, channel: object, payload: dict[str, Any]) -> None:
    """Webhook path: one update body (bad bodies are logged and dropped)."""
    await intake.feed(payload)
