"""Building and injecting real-shaped updates into the fake Telegram server (mixed into FakeTelegram)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.devtools.emulator.telegram_state import (
    TINY_PNG,
    SentMessage,
    command_entities,
    user_json,
)

if TYPE_CHECKING:
    from bot.devtools.emulator.script import TelegramUser
    from bot.devtools.emulator.telegram import FakeTelegram as _Base
else:
    _Base = object


@dataclass(frozen=True, slots=True)
class FakeGroup:
    """A group chat known to the fake; pass it to ``TelegramUser.send_in``."""

    chat_id: int
    title: str

    @property
    def id(self) -> int:
        return self.chat_id


class InjectMixin(_Base):
    def add_chat(self, chat_id: int, type: str | None = None, title: str = "", first_name: str = "",
                 last_name: str = "", username: str = "") -> dict[str, Any]:
        """Make a chat known (so sends to it do not get "chat not found"); returns its Chat JSON."""
        chat_id = int(chat_id)
        if type is None:
            supergroup = chat_id <= -1_000_000_000_000  # "-100" followed by the channel id
            type = "private" if chat_id > 0 else ("supergroup" if supergroup else "group")
        chat: dict[str, Any] = {"id": chat_id, "type": type}
        if type == "private":
            chat["first_name"] = first_name or f"User {chat_id}"
            if last_name:
                chat["last_name"] = last_name
        else:
            chat["title"] = title or f"Group {chat_id}"
        if username:
            chat["username"] = username
        self.chats[chat_id] = chat
        return chat

    def user(self, user_id: int, first_name: str, last_name: str = "", username: str = "",
             language_code: str = "vi") -> TelegramUser:
        """A scripted user with a private chat to the bot."""
        from bot.devtools.emulator.script import TelegramUser

        data = user_json(int(user_id), first_name, last_name, username, language_code)
        self.add_chat(user_id, "private", first_name=first_name, last_name=last_name, username=username)
        return TelegramUser(self, data)

    def group(self, chat_id: int, title: str) -> FakeGroup:
        if int(chat_id) >= 0:
            raise ValueError("group chat ids are negative")
        self.add_chat(chat_id, title=title)
        return FakeGroup(int(chat_id), title)

    async def inject_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update as is (a deep copy); chats it mentions become known."""
        update = copy.deepcopy(update)
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
        uid = update["update_id"]
        if isinstance(uid, int):
            self._next_update_id = max(self._next_update_id, uid + 1)
        self._learn_chats(update)
        async with self._updates_cond:
            self._pending.append(update)
            self._updates_cond.notify_all()
        return update

    def _learn_chats(self, update: dict[str, Any]) -> None:
        for value in update.values():
            if not isinstance(value, dict):
                continue
            chat = value.get("chat") or (value.get("message") or {}).get("chat")
            if isinstance(chat, dict) and isinstance(chat.get("id"), int) and chat["id"] not in self.chats:
                self.chats[chat["id"]] = {k: chat[k] for k in ("id", "type", "title", "first_name",
                                                              "last_name", "username") if k in chat}

    async def _inject(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update_id, kind: payload}
        return await self.inject_update(update)

    def _user_message(self, user: dict[str, Any], chat_id: int | None, **content: Any) -> dict[str, Any]:
        chat_id = int(user["id"] if chat_id is None else chat_id)
        if chat_id not in self.chats:
            self.add_chat(chat_id, first_name=user.get("first_name", ""))
        return {"message_id": self._new_message_id(chat_id), "from": user, "chat": self.chats[chat_id],
                "date": int(self.clock()), **content}

    async def inject_message(self, user: dict[str, Any], text: str, chat_id: int | None = None,
                             **extra: Any) -> dict[str, Any]:
        """A text message from ``user`` (User JSON) in ``chat_id`` (default: their private chat)."""
        content: dict[str, Any] = {"text": text, **extra}
        entities = command_entities(text)
        if entities and "entities" not in extra:
            content["entities"] = entities
        return await self._inject("message", self._user_message(user, chat_id, **content))

    async def inject_content(self, user: dict[str, Any], chat_id: int | None = None,
                             **content: Any) -> dict[str, Any]:
        """A message with arbitrary content fields (sticker, location, voice, ...)."""
        return await self._inject("message", self._user_message(user, chat_id, **content))

    async def inject_photo(self, user: dict[str, Any], chat_id: int | None = None, data: bytes = TINY_PNG,
                           caption: str = "") -> dict[str, Any]:
        stored = self.store_file(data, "photo", "image/jpeg" if data[:2] == b"\xff\xd8" else "image/png")
        content: dict[str, Any] = {"photo": self.photo_sizes(stored)}
        if caption:
            content["caption"] = caption
        return await self.inject_content(user, chat_id, **content)

    async def inject_callback(self, user: dict[str, Any], message: SentMessage, data: str) -> dict[str, Any]:
        """A button press on the bot's stored ``message`` (the update carries its current markup)."""
        self._callback_seq += 1
        query_id = f"{4_000_000_000 + self._callback_seq}"
        self.callback_answers[query_id] = {}
        payload = {"id": query_id, "from": user, "message": self.message_json(message),
                   "chat_instance": f"-{abs(message.chat_id)}0", "data": data}
        return await self._inject("callback_query", payload)
