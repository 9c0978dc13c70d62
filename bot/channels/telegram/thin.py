"""A thin Bot API client over aiohttp, and a sending Channel on it, for ``hocbac worker``.

aiogram builds ~400 pydantic models when imported (~100 MB and seconds of start-up); a process that only
sends needs none of them. This module speaks the Bot API's JSON directly, renders a neutral Reply with the
same functions as the aiogram channel (render.py: ``split_html``, ``markup_json``) and raises the same typed
errors (``api_error`` is the one table of which Telegram answers are retried and which are final; the
aiogram channel's ``errors.classify`` goes through it too). It never imports aiogram.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.channels.telegram.render import MAX_CAPTION, inline_keyboard_json, markup_json, split_html, visible_len
from bot.config import StartupError
from bot.delivery import (
    Capabilities,
    DeliveryError,
    PermanentError,
    RetryableError,
    SentMessage,
    TokenRevokedError,
)
from bot.messages import ChatRef, Inbound, MediaRef, Reply

log = logging.getLogger("hocbac.telegram")

MediaReader = Callable[[str], Awaitable[tuple[bytes, str]]]  # media_key -> (bytes, file name)

# 400 answers that mean the person cannot be reached at all (not a fault of this one message).
UNREACHABLE_400 = ("chat not found", "user not found", "peer_id_invalid", "user is deactivated",
                   "bot can't initiate conversation")

REQUEST_TIMEOUT = 60.0  # seconds, as aiogram's default session


class BotApiError(Exception):
    """Telegram answered with its JSON error envelope (``ok: false``)."""

    def __init__(self, method: str, status: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"{method}: {status} {description}")
        self.method, self.status, self.description, self.retry_after = method, status, description, retry_after


class UndecodableAnswer(Exception):
    """The answer was not the Bot API's JSON (an nginx HTML page during an outage, or a garbled body).
    Non-2xx: nothing was done, retry. 2xx: the request most likely went through (see ``sent_uncertain``)."""

    def __init__(self, method: str, status: int) -> None:
        super().__init__(f"{method}: undecodable reply (HTTP {status})")
        self.method, self.status = method, status

    @property
    def sent_uncertain(self) -> bool:
        return 200 <= self.status < 300


def api_error(status: int, description: str, retry_after: float | None = None) -> DeliveryError:
    """The one table from a Bot API error answer to the delivery error the sender decides on."""
    if retry_after is not None or status == 429:
        return RetryableError(f"rate limited: {description}", retry_after=float(retry_after or 1))
    if status == 403:
        return PermanentError(f"forbidden: {description}", unreachable=True)
    if status == 401:
        return TokenRevokedError("bot token rejected (401)")
    if status == 400:
        text = description.lower()
        return PermanentError(f"bad request: {description}", unreachable=any(s in text for s in UNREACHABLE_400))
    if status >= 500:
        return RetryableError(f"telegram unavailable: {description}")
    return PermanentError(f"telegram error: {status} {description}")


def classify(exc: BaseException) -> DeliveryError:
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, BotApiError):
        return api_error(exc.status, exc.description, exc.retry_after)
    if isinstance(exc, UndecodableAnswer):
        return RetryableError(f"telegram unavailable: undecodable reply (HTTP {exc.status})")
    if isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError, OSError)):
        return RetryableError(f"network: {type(exc).__name__}")
    raise exc


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class ThinBot:
    """``await bot.call("sendMessage", {...})`` -> the ``result``; errors as BotApiError / UndecodableAnswer."""

    def __init__(self, token: str, api_url: str = "https://api.telegram.org",
                 session: aiohttp.ClientSession | None = None, timeout: float = REQUEST_TIMEOUT) -> None:
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self._session = session
        self._own_session = session is None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
            self._own_session = True
        return self._session

    async def close(self) -> None:
        if self._session is not None and self._own_session and not self._session.closed:
            await self._session.close()

    async def call(self, method: str, params: dict[str, Any] | None = None,
                   files: dict[str, tuple[bytes, str]] | None = None, request_timeout: float | None = None) -> Any:
        """One Bot API call. ``None`` values are left out; ``files`` (field -> (bytes, name)) go multipart."""
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        url = f"{self.api_url}/bot{self.token}/{method}"
        kwargs: dict[str, Any] = {}
        if request_timeout is not None:  # a long poll waits longer than the session's default
            kwargs["timeout"] = aiohttp.ClientTimeout(total=request_timeout)
        if files:
            form = aiohttp.FormData(quote_fields=False)
            for key, value in clean.items():
                form.add_field(key, _form_value(value))
            for key, (data, name) in files.items():
                form.add_field(key, data, filename=name or "file")
            kwargs["data"] = form
        else:
            kwargs["json"] = clean
        async with self.session.post(url, **kwargs) as resp:
            status = resp.status
            body = await resp.read()
        try:
            answer = json.loads(body)
        except ValueError:
            raise UndecodableAnswer(method, status) from None
        if not isinstance(answer, dict):
            raise UndecodableAnswer(method, status)
        if answer.get("ok"):
            return answer.get("result")
        parameters = answer.get("parameters") or {}
        retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        raise BotApiError(method, int(answer.get("error_code") or status), str(answer.get("description") or ""),
                          float(retry_after) if retry_after is not None else None)

    async def download(self, file_path: str) -> bytes:
        url = f"{self.api_url}/file/bot{self.token}/{file_path}"
        async with self.session.get(url) as resp:
            data = await resp.read()
            if resp.status != 200:
                raise BotApiError("file", resp.status, "file download failed")
        return data

    # The methods the channel uses, named as in the Bot API (params as its JSON fields).

    async def send_message(self, chat_id: int | str, text: str, **params: Any) -> dict[str, Any]:
        return await self.call("sendMessage", {"chat_id": chat_id, "text": text, **params})  # type: ignore[no-any-return]

    async def edit_message_text(self, chat_id: int | str, message_id: int, text: str, **params: Any) -> Any:
        return await self.call("editMessageText",
                               {"chat_id": chat_id, "message_id": message_id, "text": text, **params})

    async def copy_message(self, chat_id: int | str, from_chat_id: int | str, message_id: int,
                           **params: Any) -> dict[str, Any]:
        return await self.call("copyMessage", {"chat_id": chat_id, "from_chat_id": from_chat_id,  # type: ignore[no-any-return]
                                               "message_id": message_id, **params})

    async def set_webhook(self, url: str, *, secret_token: str | None = None,
                          allowed_updates: list[str] | None = None, max_connections: int | None = None,
                          drop_pending_updates: bool | None = None) -> bool:
        return bool(await self.call("setWebhook", {
            "url": url, "secret_token": secret_token, "allowed_updates": allowed_updates,
            "max_connections": max_connections, "drop_pending_updates": drop_pending_updates}))

    async def send_file(self, method: str, field: str, chat_id: int | str, file: str | tuple[bytes, str],
                        **params: Any) -> dict[str, Any]:
        """sendPhoto / sendDocument / sendVoice: ``file`` is a file_id or URL, or (bytes, name) to upload."""
        if isinstance(file, tuple):
            return await self.call(method, {"chat_id": chat_id, **params}, files={field: file})  # type: ignore[no-any-return]
        return await self.call(method, {"chat_id": chat_id, field: file, **params})  # type: ignore[no-any-return]


_FILE_METHODS = {"photo": ("sendPhoto", "photo"), "voice": ("sendVoice", "voice"),
                 "document": ("sendDocument", "document")}


class ThinChannel:
    """The Telegram channel for sending, on :class:`ThinBot`: the same replies, on the wire, as
    TelegramChannel (compared call by call in tests/channels/test_thin_telegram.py), without aiogram."""

    name = "telegram"
    caps = Capabilities(buttons=True, edit=True, max_text=4096, media_upload=True, media_by_url=True,
                        reply_menu=True, html=True)

    def __init__(self, bot: ThinBot, media_reader: MediaReader | None = None, bot_key: str = "") -> None:
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

    @property
    def api_url(self) -> str:
        return self.bot.api_url

    async def start(self) -> None:
        """getMe: a rejected token or an unreachable API stops start-up with one line (``StartupError``)."""
        try:
            me = await self.bot.call("getMe")
        except BotApiError as exc:
            if exc.status == 401:
                raise StartupError(self.setting, "Telegram rejected the token (401 Unauthorized)",
                                   "Copy the token again from @BotFather (/token); it changes when revoked.") from None
            if exc.status >= 500:
                raise StartupError("TELEGRAM_API_URL", f"cannot reach the Bot API at {self.api_url} "
                                   f"(HTTP {exc.status})", "Check the network or firewall, or correct "
                                   "TELEGRAM_API_URL (default https://api.telegram.org).") from None
            raise StartupError("TELEGRAM_API_URL", f"{self.api_url} did not answer as the Bot API "
                               f"(HTTP {exc.status})", "Correct TELEGRAM_API_URL (default "
                               f"https://api.telegram.org) and check {self.setting}.") from None
        except (UndecodableAnswer, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise StartupError("TELEGRAM_API_URL", f"cannot reach the Bot API at {self.api_url} "
                               f"({type(exc).__name__})", "Check the network or firewall, or correct "
                               "TELEGRAM_API_URL (default https://api.telegram.org).") from None
        self.username = str((me or {}).get("username") or "")

    async def close(self) -> None:
        await self.bot.close()

    def deep_link(self, payload: str) -> str | None:
        return f"https://t.me/{self.username}?start={payload}" if self.username else None

    async def set_commands(self, commands: list[tuple[str, str]] | None, chat_id: str | None = None) -> None:
        """As TelegramChannel.set_commands: the default "/" menu, or one private chat's (None removes it)."""
        scope = {"type": "chat", "chat_id": int(chat_id)} if chat_id is not None else None
        try:
            if commands is None:
                await self.bot.call("deleteMyCommands", {"scope": scope})
            else:
                await self.bot.call("setMyCommands", {"commands": [{"command": c, "description": d[:256]}
                                                                   for c, d in commands], "scope": scope})
        except Exception as exc:  # a menu that fails to set must not stop the bot
            log.warning("setMyCommands failed (chat %s): %s", chat_id or "default", exc)

    async def deliver(self, chat: ChatRef, reply: Reply) -> SentMessage:
        try:
            return await self._deliver(chat, reply)
        except UndecodableAnswer as exc:
            if not exc.sent_uncertain:
                raise classify(exc) from exc
            # A 2xx we could not read: most likely sent. Counted sent, never resent (see TelegramChannel).
            log.warning("telegram answered %s to chat %s with an undecodable body; counting it sent",
                        exc.status, chat.chat_id)
            return SentMessage([], uncertain=True)
        except BotApiError as exc:
            if exc.status == 400 and "message is not modified" in exc.description:
                return SentMessage([reply.edit_of or ""])
            raise classify(exc) from exc
        except Exception as exc:
            raise classify(exc) from exc

    async def _deliver(self, chat: ChatRef, reply: Reply) -> SentMessage:
        chat_id = int(chat.chat_id)
        preview = {"is_disabled": reply.disable_preview}
        if reply.edit_of and not reply.media:
            try:
                msg = await self.bot.edit_message_text(
                    chat_id, int(reply.edit_of), split_html(reply.text)[0], parse_mode="HTML",
                    reply_markup=inline_keyboard_json(reply), link_preview_options=preview)
                message_id = msg.get("message_id") if isinstance(msg, dict) else None
                return SentMessage([str(message_id or reply.edit_of)])
            except BotApiError as exc:
                if exc.status != 400:
                    raise
                if "no text in the message" in exc.description:
                    return await self._edit_caption(chat_id, reply)  # a photo or file card
                if "message to edit not found" not in exc.description and "can't be edited" not in exc.description:
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
            msg = await self.bot.send_message(chat_id, chunk, parse_mode="HTML", link_preview_options=preview,
                                              reply_markup=markup_json(reply) if last else None)
            ids.append(str(msg["message_id"]))
        return SentMessage(ids)

    async def _edit_caption(self, chat_id: int, reply: Reply) -> SentMessage:
        """Edit a media message: its caption when the new text fits, otherwise only its buttons."""
        message_id = int(reply.edit_of or 0)
        try:
            if visible_len(reply.text) <= MAX_CAPTION:
                await self.bot.call("editMessageCaption", {"chat_id": chat_id, "message_id": message_id,
                                                           "caption": reply.text, "parse_mode": "HTML",
                                                           "reply_markup": inline_keyboard_json(reply)})
            else:
                await self.bot.call("editMessageReplyMarkup", {"chat_id": chat_id, "message_id": message_id,
                                                               "reply_markup": inline_keyboard_json(reply)})
        except BotApiError as exc:
            if exc.status != 400:
                raise
            if "message is not modified" in exc.description:
                return SentMessage([str(message_id)])
            if reply.edit_only and ("not found" in exc.description or "can't be edited" in exc.description):
                return SentMessage([])
            raise
        return SentMessage([str(message_id)])

    async def _send_media(self, chat_id: int, media: MediaRef, caption: str | None, reply: Reply | None) -> str:
        file: str | tuple[bytes, str]
        if media.file_id and media.kind in ("photo", "document", "voice") and not media.media_key:
            file = media.file_id
        elif media.media_key and self.media_reader is not None:
            data, name = await self.media_reader(media.media_key)
            file = (data, name or "file")
        elif media.url:
            file = media.url
        else:
            raise ValueError("media has neither file_id, media_key nor url")
        method, field = _FILE_METHODS.get(media.kind, _FILE_METHODS["document"])
        msg = await self.bot.send_file(method, field, chat_id, file, caption=caption,
                                       parse_mode="HTML" if caption is not None else None,
                                       reply_markup=markup_json(reply) if reply is not None else None)
        return str(msg["message_id"])

    async def fetch_media(self, media: MediaRef) -> bytes:
        try:
            info = await self.bot.call("getFile", {"file_id": media.file_id})
            return await self.bot.download(str(info["file_path"]))
        except Exception as exc:
            raise classify(exc) from exc

    async def ack(self, inbound: Inbound, text: str = "") -> None:
        if not inbound.callback_id or inbound.extras.get("acked"):
            return
        inbound.extras["acked"] = True
        try:
            await self.bot.call("answerCallbackQuery", {"callback_query_id": inbound.callback_id,
                                                        "text": text[:200] or None})
        except Exception as exc:
            log.debug("answerCallbackQuery failed: %s", exc)


def thin_channel(token: str, api_url: str, media_reader: MediaReader | None = None, bot_key: str = "") -> ThinChannel:
    return ThinChannel(ThinBot(token, api_url), media_reader=media_reader, bot_key=bot_key)
