"""Bot API method handlers of the fake Telegram server (mixed into FakeTelegram).

Each ``m_<methodName>(token, params, files)`` returns the ``result`` value or raises ApiError.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from bot.devtools.emulator.telegram_state import (
    COMMAND_RE,
    ApiError,
    OutEvent,
    SentMessage,
    StoredFile,
    bad_request,
    check_text,
    image_size,
    parse_reply_markup,
)

if TYPE_CHECKING:
    from bot.devtools.emulator.telegram import FakeTelegram as _Base
else:
    _Base = object

NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message")


class MethodsMixin(_Base):
    # ---- helpers ---------------------------------------------------------------------------------

    def _chat_for_send(self, params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        if not isinstance(chat_id, int) or chat_id not in self.chats:
            raise bad_request("chat not found")
        if chat_id > 0 and chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _rate(self, token: str, chat_id: int) -> None:
        wait = self.limiter.check(token, chat_id)
        if wait:
            self.stats[f"429_{self.limiter.last_limit}"] += 1  # which limit: 429_global, 429_chat, 429_group
            raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)

    def _new_message_id(self, chat_id: int) -> int:
        self._next_message_id[chat_id] = self._next_message_id.get(chat_id, 0) + 1
        return self._next_message_id[chat_id]

    def store_file(self, data: bytes, kind: str, mime: str = "", file_name: str = "") -> StoredFile:
        """Keep bytes as a Telegram file (served by getFile and the file route)."""
        self._file_seq += 1
        n = self._file_seq
        ext = {"photo": "jpg", "voice": "oga", "sticker": "webp"}.get(kind, "bin")
        if file_name and "." in file_name:
            ext = file_name.rsplit(".", 1)[1]
        stored = StoredFile(f"{kind.upper()[:4]}AgAD{n:06d}fake", f"AQAD{n:06d}", data,
                            f"{kind}s/file_{n}.{ext}", mime, file_name)
        self.files[stored.file_id] = stored
        return stored

    def photo_sizes(self, stored: StoredFile) -> list[dict[str, Any]]:
        """Two PhotoSize entries (thumbnail first), both backed by the same bytes."""
        width, height = image_size(stored.data)
        thumb = self.store_file(stored.data, "photo", stored.mime_type)
        small = {"file_id": thumb.file_id, "file_unique_id": thumb.file_unique_id,
                 "file_size": len(stored.data), "width": min(width, 90), "height": min(height, 90)}
        big = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
               "file_size": len(stored.data), "width": width, "height": height}
        return [small, big]

    async def _input_file(self, params: dict[str, Any], files: dict[str, StoredFile], field: str,
                          kind: str) -> StoredFile:
        value = params.get(field)
        upload = files.get(field)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://"):])
            if upload is None:
                raise bad_request(f"wrong HTTP URL specified: file {value} not found in the request")
        if upload is not None:
            if not upload.data:
                raise bad_request("file must be non-empty")
            return self.store_file(upload.data, kind, upload.mime_type, upload.file_name)
        if not value:
            raise bad_request(f"there is no {kind} in the request")
        if value in self.files:
            return self.files[value]
        if re.match(r"^https?://", value):
            return await self._fetch_url(value, kind)
        raise bad_request("wrong file identifier/HTTP URL specified")

    async def _fetch_url(self, url: str, kind: str) -> StoredFile:
        # Only loopback URLs are fetched (tests never leave 127.0.0.1); others are recorded as is.
        host = urlparse(url).hostname or ""
        if host not in ("127.0.0.1", "localhost"):
            stored = self.store_file(b"", kind)
            stored.file_name = url
            return stored
        assert self._client is not None
        try:
            async with self._client.get(url) as resp:
                if resp.status != 200:
                    raise bad_request("failed to get HTTP URL content")
                data = await resp.read()
                mime = resp.headers.get("Content-Type", "")
        except OSError:
            raise bad_request("failed to get HTTP URL content") from None
        return self.store_file(data, kind, mime)

    def message_json(self, rec: SentMessage) -> dict[str, Any]:
        data: dict[str, Any] = {"message_id": rec.message_id, "from": self.bot_user,
                                "chat": self.chats[rec.chat_id], "date": int(rec.timestamp)}
        key = "caption" if rec.is_media else "text"
        if rec.visible:
            data[key] = rec.visible
        if rec.photo:
            data["photo"] = rec.photo
        if rec.document:
            data["document"] = rec.document
        if rec.voice:
            data["voice"] = rec.voice
        if rec.reply_markup and "inline_keyboard" in rec.reply_markup:
            data["reply_markup"] = rec.reply_markup
        if rec.edits:
            data["edit_date"] = int(self.clock())
        return data

    async def _emit(self, kind: str, rec: SentMessage) -> None:
        self._seq += 1
        self.out_events.append(OutEvent(self._seq, kind, rec.chat_id, rec, rec.text,  # type: ignore[arg-type]
                                        rec.parse_mode, rec.reply_markup))
        async with self.events:
            self.events.notify_all()

    async def _record(self, token: str, method: str, params: dict[str, Any], chat_id: int, text: str,
                      markup: dict[str, Any] | None, **media: Any) -> dict[str, Any]:
        self._rate(token, chat_id)
        rec = SentMessage(method, chat_id, self._new_message_id(chat_id), text, params.get("parse_mode"),
                          markup, self.clock(), params, **media)
        self.sent.append(rec)
        self._messages[(chat_id, rec.message_id)] = rec
        self.stats["sent"] += 1
        await self._emit("new", rec)
        return self.message_json(rec)

    def _stored_message(self, params: dict[str, Any], what: str) -> SentMessage:
        if params.get("inline_message_id"):
            raise bad_request("inline messages are not supported by the fake")
        chat_id = self._chat_for_send(params)
        rec = self._messages.get((chat_id, params.get("message_id") or 0))
        if rec is None or rec.deleted:
            raise bad_request(f"message to {what} not found")
        return rec

    async def _apply_edit(self, token: str, rec: SentMessage, text: str, parse_mode: str | None,
                          markup: dict[str, Any] | None) -> dict[str, Any] | bool:
        if (text, parse_mode, markup) == (rec.text, rec.parse_mode, rec.reply_markup):
            raise bad_request(NOT_MODIFIED)
        self._rate(token, rec.chat_id)
        rec.edits.append({"text": rec.text, "parse_mode": rec.parse_mode, "reply_markup": rec.reply_markup,
                          "timestamp": self.clock()})
        rec.text, rec.parse_mode, rec.reply_markup = text, parse_mode, markup
        self.stats["edits"] += 1
        await self._emit("edit", rec)
        return self.message_json(rec)

    # ---- methods ---------------------------------------------------------------------------------

    async def m_getMe(self, token: str, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}

    async def m_sendMessage(self, token: str, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        chat_id = self._chat_for_send(params)
        check_text(params.get("text"), params.get("parse_mode"))
        markup = parse_reply_markup(params.get("reply_markup"))
        return await self._record(token, "sendMessage", params, chat_id, params["text"], markup)

    async def _send_media(self, token: str, params: dict[str, Any], files: dict[str, StoredFile],
                          method: str, field: str) -> Any:
        chat_id = self._chat_for_send(params)
        caption = params.get("caption") or ""
        check_text(caption, params.get("parse_mode"), caption=True)
        markup = parse_reply_markup(params.get("reply_markup"))
        stored = await self._input_file(params, files, field, field)
        info = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data)}
        if field == "photo":
            media: dict[str, Any] = {"photo": self.photo_sizes(stored)}
        elif field == "voice":
            media = {"voice": {**info, "duration": int(params.get("duration") or 1),
                               "mime_type": stored.mime_type or "audio/ogg"}}
        else:
            media = {"document": {**info, "file_name": stored.file_name or "file",
                                  "mime_type": stored.mime_type or "application/octet-stream"}}
        return await self._record(token, method, params, chat_id, caption, markup, **media)

    async def m_sendPhoto(self, token: str, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        return await self._send_media(token, params, files, "sendPhoto", "photo")

    async def m_sendDocument(self, token: str, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        return await self._send_media(token, params, files, "sendDocument", "document")

    async def m_sendVoice(self, token: str, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        return await self._send_media(token, params, files, "sendVoice", "voice")

    async def m_copyMessage(self, token: str, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        """A copy of a stored message (text or media, caption overridable) into chat_id: a MessageId."""
        source = self._stored_message({"chat_id": params.get("from_chat_id"),
                                       "message_id": params.get("message_id")}, "copy")
        chat_id = self._chat_for_send(params)
        caption = params.get("caption")
        text = source.text if caption is None else str(caption)
        parse_mode = params.get("parse_mode") if caption is not None else source.parse_mode
        check_text(text, parse_mode, caption=source.is_media)
        markup = parse_reply_markup(params.get("reply_markup"))
        rec = await self._record(token, "copyMessage", {**params, "parse_mode": parse_mode}, chat_id, text,
                                 markup, photo=source.photo, document=source.document, voice=source.voice)
        return {"message_id": rec["message_id"]}

    async def m_editMessageText(self, token: str, params: dict[str, Any],
                                files: dict[str, StoredFile]) -> Any:
        rec = self._stored_message(params, "edit")
        if rec.is_media:
            raise bad_request("there is no text in the message to edit")
        check_text(params.get("text"), params.get("parse_mode"))
        markup = parse_reply_markup(params.get("reply_markup"))
        return await self._apply_edit(token, rec, params["text"], params.get("parse_mode"), markup)

    async def m_editMessageCaption(self, token: str, params: dict[str, Any],
                                   files: dict[str, StoredFile]) -> Any:
        rec = self._stored_message(params, "edit")
        if not rec.is_media:
            raise bad_request("there is no caption in the message to edit")
        caption = params.get("caption") or ""
        check_text(caption, params.get("parse_mode"), caption=True)
        markup = parse_reply_markup(params.get("reply_markup"))
        return await self._apply_edit(token, rec, caption, params.get("parse_mode"), markup)

    async def m_editMessageReplyMarkup(self, token: str, params: dict[str, Any],
                                       files: dict[str, StoredFile]) -> Any:
        rec = self._stored_message(params, "edit")
        markup = parse_reply_markup(params.get("reply_markup"))
        return await self._apply_edit(token, rec, rec.text, rec.parse_mode, markup)

    async def m_deleteMessage(self, token: str, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        rec = self._stored_message(params, "delete")
        rec.deleted = True
        self.stats["deleted"] += 1
        await self._emit("delete", rec)
        return True

    async def m_answerCallbackQuery(self, token: str, params: dict[str, Any],
                                    files: dict[str, StoredFile]) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self.callback_answers or self.callback_answers[query_id]:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        if len(params.get("text") or "") > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = {"text": params.get("text") or "",
                                           "show_alert": bool(params.get("show_alert")),
                                           "url": params.get("url") or ""}
        async with self.events:
            self.events.notify_all()
        return True

    async def m_sendChatAction(self, token: str, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        chat_id = self._chat_for_send(params)
        self.chat_actions.append((chat_id, str(params.get("action") or "")))
        return True

    async def m_getFile(self, token: str, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad_request("invalid file_id")
        return stored.as_file()

    async def m_getChat(self, token: str, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        chat_id = params.get("chat_id")
        if chat_id not in self.chats:
            raise bad_request("chat not found")
        gifts = dict.fromkeys(("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription",
                               "gifts_from_channels"), False)
        return {**self.chats[chat_id], "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": gifts}

    # ---- updates and webhook -----------------------------------------------------------------------

    async def m_getUpdates(self, token: str, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        if self.webhook:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0, int(params.get("timeout") or 0))
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"] or []) or None
        async with self._updates_cond:
            if "offset" in params:
                self._confirm(int(params["offset"]))
            self._poll_generation += 1
            generation = self._poll_generation
            self._updates_cond.notify_all()  # an older long-poll of this bot now gets 409
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while True:
                self._drop_unwanted()
                if self._pending or loop.time() >= deadline or self._stopping:
                    return list(self._pending[:limit])
                try:
                    await asyncio.wait_for(self._updates_cond.wait(), deadline - loop.time())
                except TimeoutError:
                    pass
                if self._poll_generation != generation:
                    raise ApiError(409, "Conflict: terminated by other getUpdates request; "
                                        "make sure that only one bot instance is running")

    def _confirm(self, offset: int) -> None:
        if offset < 0:  # negative offset: keep only the last -offset updates
            del self._pending[: max(0, len(self._pending) + offset)]
            return
        # Replayed fixtures may carry non-increasing ids; confirming up to the update whose id is
        # offset-1 keeps aiogram's "last id + 1" loop working with them too.
        for i, update in enumerate(self._pending):
            if update.get("update_id") == offset - 1:
                del self._pending[: i + 1]
                return
        self._pending = [u for u in self._pending if int(u.get("update_id", 0)) >= offset]

    def _drop_unwanted(self) -> None:
        if self._allowed_updates:
            allowed = set(self._allowed_updates)
            self._pending = [u for u in self._pending if update_kind(u) in allowed]

    async def m_setWebhook(self, token: str, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        url = str(params.get("url") or "")
        secret = str(params.get("secret_token") or "")
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        if url and not re.match(r"^https?://", url):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        async with self._updates_cond:
            if params.get("drop_pending_updates"):
                self._pending.clear()
            if "allowed_updates" in params:
                self._allowed_updates = list(params["allowed_updates"] or []) or None
            self.webhook = {"url": url, "secret_token": secret,
                            "max_connections": int(params.get("max_connections") or 40)} if url else None
            self._poll_generation += 1
            self._updates_cond.notify_all()
        return True

    async def m_deleteWebhook(self, token: str, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        async with self._updates_cond:
            if params.get("drop_pending_updates"):
                self._pending.clear()
            self.webhook = None
            self._updates_cond.notify_all()
        return True

    async def m_getWebhookInfo(self, token: str, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        hook = self.webhook or {}
        info: dict[str, Any] = {"url": hook.get("url", ""), "has_custom_certificate": False,
                                "pending_update_count": len(self._pending)}
        for key in ("max_connections", "last_error_date", "last_error_message"):
            if key in hook:
                info[key] = hook[key]
        if self._allowed_updates:
            info["allowed_updates"] = self._allowed_updates
        return info

    # ---- bot profile -------------------------------------------------------------------------------

    @staticmethod
    def _scope_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope")
        parts = [str(scope["type"])] + [str(scope[k]) for k in ("chat_id", "user_id") if k in scope]
        return ":".join(parts), str(params.get("language_code") or "")

    async def m_setMyCommands(self, token: str, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for cmd in commands:
            if not isinstance(cmd, dict) or not COMMAND_RE.match(str(cmd.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._scope_key(params)
        self.commands[key] = commands
        self.command_calls.append(("setMyCommands", *key, [str(c["command"]) for c in commands]))
        return True

    async def m_getMyCommands(self, token: str, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        return self.commands.get(self._scope_key(params), [])

    async def m_deleteMyCommands(self, token: str, params: dict[str, Any],
                                 files: dict[str, StoredFile]) -> Any:
        key = self._scope_key(params)
        self.commands.pop(key, None)
        self.command_calls.append(("deleteMyCommands", *key, []))
        return True

    async def m_setMyDescription(self, token: str, params: dict[str, Any],
                                 files: dict[str, StoredFile]) -> Any:
        text = str(params.get("description") or "")
        if len(text) > 512:
            raise bad_request("description is too long")
        self.descriptions["description:" + str(params.get("language_code") or "")] = text
        return True

    async def m_setMyShortDescription(self, token: str, params: dict[str, Any],
                                      files: dict[str, StoredFile]) -> Any:
        text = str(params.get("short_description") or "")
        if len(text) > 120:
            raise bad_request("short description is too long")
        self.descriptions["short_description:" + str(params.get("language_code") or "")] = text
        return True

    async def m_setChatMenuButton(self, token: str, params: dict[str, Any],
                                  files: dict[str, StoredFile]) -> Any:
        self.menu_buttons[str(params.get("chat_id") or "")] = params.get("menu_button") or {"type": "default"}
        return True

    async def m_close(self, token: str, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        return True

    async def m_logOut(self, token: str, params: dict[str, Any], files: dict[str, StoredFile]) -> Any:
        return True


def update_kind(update: dict[str, Any]) -> str:
    return next((k for k in update if k != "update_id"), "")


METHODS = {name[2:].lower(): name for name in vars(MethodsMixin) if name.startswith("m_")}
