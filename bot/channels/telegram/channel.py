"""The Telegram channel on aiogram: delivers neutral replies with aiogram's Bot.

No process mode uses it any more (they use thin.py, which never imports aiogram); it stays as the reference
the thin channel is compared against on the wire (tests/emulator/test_thin_telegram.py) and for the
benchmarks that measure aiogram. Rendering (render.py) and the error table (thin.api_error) are shared."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import aiohttp
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods.base import Response
from aiogram.types import BotCommand, BotCommandScopeChat, BufferedInputFile, LinkPreviewOptions

from bot.channels.telegram.errors import UndecodableReply, classify, sent_uncertain
from bot.channels.telegram.render import MAX_CAPTION, inline_keyboard, markup, split_html, visible_len
from bot.config import StartupError
from bot.delivery import Capabilities, SentMessage
from bot.messages import ChatRef, Inbound, MediaRef, Reply

log = logging.getLogger("hocbac.telegram")

MediaReader = Callable[[str], Awaitable[tuple[bytes, str]]]  # media_key -> (bytes, file name)


class _Session(AiohttpSession):
    """Keeps every ``Response[T]`` model aiogram parses replies with alive. Pydantic caches parametrized
    generics weakly, so after each garbage collection aiogram rebuilt ``Response[Message]`` and
    ``Response[bool]`` (a few ms each on the event loop, every 10-20 updates under load)."""

    _responses: ClassVar[dict[Any, Any]] = {}

    def check_response(self, bot: Bot, method: Any, status_code: int, content: str) -> Any:
        returning = method.__returning__
        if returning not in self._responses:
            self._responses[returning] = Response[returning]  # type: ignore[valid-type]
        try:
            return super().check_response(bot, method, status_code, content)
        except ClientDecodeError as exc:
            # Keep the HTTP status: an HTML 502 page is an outage (retry), a garbled 200 is not.
            raise UndecodableReply(exc.message, exc.original, exc.data, status_code) from exc


def make_bot(token: str, api_url: str) -> Bot:
    session = _Session(api=TelegramAPIServer.from_base(api_url))
    return Bot(token=token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


class TelegramChannel:
    name = "telegram"
    caps = Capabilities(buttons=True, edit=True, max_text=4096, media_upload=True, media_by_url=True,
                        reply_menu=True, html=True)

    def __init__(self, bot: Bot, media_reader: MediaReader | None = None, bot_key: str = "") -> None:
        self.bot = bot
        self.media_reader = media_reader
        self.username = ""
        # Which bot of the deployment this is ("" = BOT_TOKEN's default bot, else its TELEGRAM_BOTS key):
        # inbound updates carry it (ChatRef.bot), so identities and replies stay on this bot.
        self.bot_key = bot_key

    @property
    def setting(self) -> str:
        """The setting that holds this bot's token, for start-up lines."""
        return f"TELEGRAM_BOTS ({self.bot_key})" if self.bot_key else "BOT_TOKEN"

    async def start(self) -> None:
        """getMe: a rejected token or an unreachable API stops start-up with one line (``StartupError``)."""
        try:
            me = await self.bot.get_me()
        except TelegramUnauthorizedError:
            raise StartupError(self.setting, "Telegram rejected the token (401 Unauthorized)",
                               "Copy the token again from @BotFather (/token); it changes when revoked.") from None
        except (TelegramNetworkError, TelegramServerError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise StartupError("TELEGRAM_API_URL", f"cannot reach the Bot API at {self.api_url} "
                               f"({type(exc).__name__})", "Check the network or firewall, or correct "
                               "TELEGRAM_API_URL (default https://api.telegram.org).") from None
        except TelegramAPIError as exc:  # e.g. 404: the address answers, but it is not a Bot API
            raise StartupError("TELEGRAM_API_URL", f"{self.api_url} did not answer as the Bot API "
                               f"({type(exc).__name__})", "Correct TELEGRAM_API_URL (default "
                               f"https://api.telegram.org) and check {self.setting}.") from None
        except Exception as exc:
            raise classify(exc) from exc
        self.username = me.username or ""

    async def close(self) -> None:
        await self.bot.session.close()

    @property
    def api_url(self) -> str:
        """The Bot API address without the token (for messages)."""
        return str(self.bot.session.api.base).split("/bot{token}")[0]

    def deep_link(self, payload: str) -> str | None:
        return f"https://t.me/{self.username}?start={payload}" if self.username else None

    async def set_commands(self, commands: list[tuple[str, str]] | None, chat_id: str | None = None) -> None:
        """The "/" menu for everyone (``chat_id`` None: the default scope) or for one private chat. ``None``
        commands removes a chat's own list, so the chat falls back to the default one."""
        scope = BotCommandScopeChat(chat_id=int(chat_id)) if chat_id is not None else None
        try:
            if commands is None:
                await self.bot.delete_my_commands(scope=scope)
            else:
                await self.bot.set_my_commands([BotCommand(command=c, description=d[:256]) for c, d in commands],
                                               scope=scope)
        except Exception as exc:  # a menu that fails to set must not stop the bot
            log.warning("setMyCommands failed (chat %s): %s", chat_id or "default", exc)

    async def deliver(self, chat: ChatRef, reply: Reply) -> SentMessage:
        try:
            return await self._deliver(chat, reply)
        except UndecodableReply as exc:
            if not sent_uncertain(exc):
                raise classify(exc) from exc
            # A 2xx answer we could not read: Telegram most likely did send it. Retrying would risk a
            # duplicate (a broadcast twice to a member); counting it sent risks a rare silent loss. We take
            # the second, and say so in the log and in the result.
            log.warning("telegram answered %s to chat %s with an undecodable body; counting it sent",
                        exc.status_code, chat.chat_id)
            return SentMessage([], uncertain=True)
        except TelegramBadRequest as exc:
            if "message is not modified" in exc.message:
                return SentMessage([reply.edit_of or ""])
            raise classify(exc) from exc
        except Exception as exc:
            raise classify(exc) from exc

    async def _deliver(self, chat: ChatRef, reply: Reply) -> SentMessage:
        chat_id = int(chat.chat_id)
        preview = LinkPreviewOptions(is_disabled=reply.disable_preview)
        if reply.edit_of and not reply.media:
            try:
                msg = await self.bot.edit_message_text(
                    text=split_html(reply.text)[0], chat_id=chat_id, message_id=int(reply.edit_of),
                    reply_markup=inline_keyboard(reply), link_preview_options=preview)
                return SentMessage([str(getattr(msg, "message_id", reply.edit_of))])
            except TelegramBadRequest as exc:
                if "no text in the message" in exc.message:
                    return await self._edit_caption(chat_id, reply)  # a photo or file card
                if "message to edit not found" not in exc.message and "can't be edited" not in exc.message:
                    raise
                if reply.edit_only:
                    return SentMessage([])
        ids: list[str] = []
        text = reply.text
        if reply.media is not None:
            caption = text if visible_len(text) <= MAX_CAPTION else None
            ids.append(await self._send_media(chat_id, reply.media, caption, reply if caption is not None else None))
            if caption is not None:
                return SentMessage(ids)
        chunks = split_html(text)
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            msg = await self.bot.send_message(chat_id=chat_id, text=chunk, link_preview_options=preview,
                                              reply_markup=markup(reply) if last else None)
            ids.append(str(msg.message_id))
        return SentMessage(ids)

    async def _edit_caption(self, chat_id: int, reply: Reply) -> SentMessage:
        """Edit a media message: its caption when the new text fits, otherwise only its buttons."""
        message_id = int(reply.edit_of or 0)
        try:
            if visible_len(reply.text) <= MAX_CAPTION:
                await self.bot.edit_message_caption(chat_id=chat_id, message_id=message_id, caption=reply.text,
                                                    reply_markup=inline_keyboard(reply))
            else:
                await self.bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id,
                                                         reply_markup=inline_keyboard(reply))
        except TelegramBadRequest as exc:
            if "message is not modified" in exc.message:
                return SentMessage([str(message_id)])
            if reply.edit_only and ("not found" in exc.message or "can't be edited" in exc.message):
                return SentMessage([])
            raise
        return SentMessage([str(message_id)])

    async def _send_media(self, chat_id: int, media: MediaRef, caption: str | None, reply: Reply | None) -> str:
        if media.file_id and media.kind in ("photo", "document", "voice") and not media.media_key:
            file: object = media.file_id
        elif media.media_key and self.media_reader is not None:
            data, name = await self.media_reader(media.media_key)
            file = BufferedInputFile(data, filename=name or "file")
        elif media.url:
            file = media.url
        else:
            raise ValueError("media has neither file_id, media_key nor url")
        kb = markup(reply) if reply is not None else None
        if media.kind == "photo":
            msg = await self.bot.send_photo(chat_id=chat_id, photo=file, caption=caption, reply_markup=kb)  # type: ignore[arg-type]
        elif media.kind == "voice":
            msg = await self.bot.send_voice(chat_id=chat_id, voice=file, caption=caption, reply_markup=kb)  # type: ignore[arg-type]
        else:
            msg = await self.bot.send_document(chat_id=chat_id, document=file, caption=caption, reply_markup=kb)  # type: ignore[arg-type]
        return str(msg.message_id)

    async def fetch_media(self, media: MediaRef) -> bytes:
        try:
            buf = await self.bot.download(media.file_id)
        except Exception as exc:
            raise classify(exc) from exc
        assert buf is not None
        return buf.getvalue()

    async def ack(self, inbound: Inbound, text: str = "") -> None:
        if not inbound.callback_id or inbound.extras.get("acked"):
            return
        inbound.extras["acked"] = True
        try:
            await self.bot.answer_callback_query(inbound.callback_id, text=text[:200] or None)
        except Exception as exc:
            log.debug("answerCallbackQuery failed: %s", exc)
