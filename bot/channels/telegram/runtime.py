"""Telegram intake through aiogram: long polling, or updates fed from a webhook request."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, ClassVar

from aiogram import Bot
from aiogram import Dispatcher as AiogramDispatcher
from aiogram.methods import GetUpdates
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message, Update
from aiogram.utils.backoff import Backoff, BackoffConfig
from pydantic import ValidationError

from bot.channels.telegram.adapter import callback_to_inbound, member_to_inbound, message_to_inbound
from bot.channels.telegram.channel import TelegramChannel
from bot.delivery import Channel
from bot.messages import Inbound

log = logging.getLogger("hocbac.telegram")

OnInbound = Callable[[Inbound, Channel], Awaitable[None]]


class RawUpdates(GetUpdates):
    """getUpdates whose result stays raw JSON: each update is parsed on its own (:func:`parse_update`), so
    one that does not parse cannot fail the whole batch."""

    __returning__: ClassVar[Any] = list[Any]


def parse_update(raw: Any, bot: Bot) -> Update | None:
    """One raw update, or None (logged at WARNING with its id, kind and the fields at fault; never its
    text, which may be personal) when it does not parse."""
    try:
        return Update.model_validate(raw, context={"bot": bot})
    except Exception as exc:
        uid = raw.get("update_id") if isinstance(raw, dict) else None
        kinds = ",".join(str(k) for k in raw if k != "update_id")[:60] if isinstance(raw, dict) else type(raw).__name__
        where = ""
        if isinstance(exc, ValidationError):
            where = "; ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:3])[:200]
        log.warning("skipped Telegram update %s (%s) that does not parse: %s %s", uid, kinds,
                    type(exc).__name__, where)
        return None


class _Intake(AiogramDispatcher):
    @classmethod
    async def _listen_updates(  # type: ignore[override]
        cls,
        bot: Bot,
        polling_timeout: int = 30,
        backoff_config: BackoffConfig = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1),
        allowed_updates: list[str] | None = None,
    ) -> AsyncGenerator[Update, None]:
        """aiogram's polling reader, except that an update which does not parse is skipped past the
        offset: aiogram parses the whole batch at once, so one malformed update failed every getUpdates
        and the poll stayed stuck on it forever."""
        backoff = Backoff(config=backoff_config)
        request = RawUpdates(timeout=polling_timeout, allowed_updates=allowed_updates)
        kwargs: dict[str, Any] = {}
        if bot.session.timeout:
            kwargs["request_timeout"] = int(bot.session.timeout + polling_timeout)
        while True:
            try:
                raw = await bot(request, **kwargs)
            except Exception as exc:  # Telegram unreachable: wait and try again, never stop polling
                log.warning("getUpdates failed (%s); retrying in %.1f s", type(exc).__name__, backoff.next_delay)
                await backoff.asleep()
                continue
            backoff.reset()
            for item in raw:
                update = parse_update(item, bot)
                if update is not None:
                    yield update
                uid = item.get("update_id") if isinstance(item, dict) else None
                if isinstance(uid, int) and not isinstance(uid, bool):
                    request.offset = uid + 1  # confirmed, parsed or not: the poll moves on


def build_intake(channel: TelegramChannel, on_inbound: OnInbound) -> AiogramDispatcher:
    """An aiogram Dispatcher whose only job is to turn updates into neutral events.

    Update kinds without a handler here (edited messages, channel posts, reactions, payments …) are
    dropped by aiogram without a reply, which is what a person who is not waiting expects.
    """
    dp = _Intake()

    async def on_message(message: Message, event_update: Update) -> None:
        await on_inbound(message_to_inbound(message, event_update.update_id, channel.username, channel.bot_key),
                         channel)

    async def on_callback(query: CallbackQuery, event_update: Update) -> None:
        inbound = callback_to_inbound(query, event_update.update_id, channel.bot_key)
        if inbound.kind == "ignored":
            await channel.ack(inbound)  # e.g. a game button: stop the spinner, nothing else
            return
        await on_inbound(inbound, channel)

    async def on_member(update: ChatMemberUpdated, event_update: Update) -> None:
        await on_inbound(member_to_inbound(update, event_update.update_id, channel.bot_key), channel)

    dp.message.register(on_message)
    dp.callback_query.register(on_callback)
    dp.my_chat_member.register(on_member)

    @dp.errors()
    async def on_error(event: Any) -> bool:
        log.error("error while handling a Telegram update: %r", getattr(event, "exception", event))
        return True

    return dp


async def feed_raw_update(dp: AiogramDispatcher, channel: TelegramChannel, payload: dict[str, Any]) -> None:
    """Webhook path: validate and process one update body (bad bodies are logged and dropped)."""
    update = parse_update(payload, channel.bot)
    if update is None:
        return
    await dp.feed_update(channel.bot, update)
