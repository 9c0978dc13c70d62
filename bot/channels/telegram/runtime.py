"""Telegram intake through aiogram: long polling, or updates fed from a webhook request."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Dispatcher as AiogramDispatcher
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message, Update

from bot.channels.telegram.adapter import callback_to_inbound, member_to_inbound, message_to_inbound
from bot.channels.telegram.channel import TelegramChannel
from bot.delivery import Channel
from bot.messages import Inbound

log = logging.getLogger("hocbac.telegram")

OnInbound = Callable[[Inbound, Channel], Awaitable[None]]


def build_intake(channel: TelegramChannel, on_inbound: OnInbound) -> AiogramDispatcher:
    """An aiogram Dispatcher whose only job is to turn updates into neutral events.

    Update kinds without a handler here (edited messages, channel posts, reactions, payments …) are
    dropped by aiogram without a reply, which is what a person who is not waiting expects.
    """
    dp = AiogramDispatcher()

    async def on_message(message: Message, event_update: Update) -> None:
        await on_inbound(message_to_inbound(message, event_update.update_id, channel.username), channel)

    async def on_callback(query: CallbackQuery, event_update: Update) -> None:
        inbound = callback_to_inbound(query, event_update.update_id)
        if inbound.kind == "ignored":
            await channel.ack(inbound)  # e.g. a game button: stop the spinner, nothing else
            return
        await on_inbound(inbound, channel)

    async def on_member(update: ChatMemberUpdated, event_update: Update) -> None:
        await on_inbound(member_to_inbound(update, event_update.update_id), channel)

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
    try:
        update = Update.model_validate(payload, context={"bot": channel.bot})
    except Exception as exc:
        log.warning("dropped an update that does not parse: %s", type(exc).__name__)
        return
    await dp.feed_update(channel.bot, update)
